package main

import (
	"context"

	"github.com/rolemine/rolemine/columnar"
	"github.com/rolemine/rolemine/mining"
	"github.com/rolemine/rolemine/report"
)

// writeExtras writes the outputs beside the model that are meant for people (HTML report,
// review exports). None yet.
func writeExtras(ctx context.Context, out string, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, info report.RunInfo) error {
	return nil
}
