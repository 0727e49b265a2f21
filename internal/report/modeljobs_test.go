package report

import (
	"context"
	"errors"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
)

// TestRunModelJobsNamesFileOnce checks the file a failed model write names: the small
// file's own name, and for the big job of a universe (assignments.parquet, which then
// writes summary.json) summary.json alone when summary.json is what failed.
func TestRunModelJobsNamesFileOnce(t *testing.T) {
	disk := errors.New("no space left on device")
	ok := func(context.Context, *columnar.OutputFile) error { return nil }
	for _, c := range []struct {
		name       string
		small, big func(context.Context, *columnar.OutputFile) error
		want       string
	}{
		{"small", func(context.Context, *columnar.OutputFile) error { return disk }, ok,
			"write rules.json: no space left on device"},
		{"big", ok, func(context.Context, *columnar.OutputFile) error { return disk },
			"write assignments.parquet: no space left on device"},
		{"summary after big", ok, func(context.Context, *columnar.OutputFile) error {
			return &fileError{SummaryJSONFile, disk}
		}, "write summary.json: no space left on device"},
	} {
		small := []modelJob{{RulesJSONFile, c.small}}
		big := modelJob{AssignmentsParquetFile, c.big}
		err := runModelJobs(context.Background(), small, big, make([]*columnar.OutputFile, 2))
		if err == nil || err.Error() != c.want || !errors.Is(err, disk) {
			t.Errorf("%s: got %v, want %q wrapping the cause", c.name, err, c.want)
		}
	}
}
