package main

import (
	"context"
	"flag"
	"log/slog"

	"github.com/rolemine/rolemine/columnar"
	"github.com/rolemine/rolemine/internal/uerr"
	"github.com/rolemine/rolemine/mining"
)

// pluginFlags are the criterion-plugin flags of `rolemine mine`.
type pluginFlags struct{}

func registerPluginFlags(fs *flag.FlagSet) *pluginFlags { return &pluginFlags{} }

// applyPlugins runs the criterion plugins of the configuration and flags over snap, adding
// their derived attributes as dimensions. It reports whether any plugin ran.
func applyPlugins(ctx context.Context, snap *columnar.Snapshot, cfg *mining.Config, pf *pluginFlags, logger *slog.Logger) (bool, error) {
	if len(cfg.Plugins) > 0 {
		return false, uerr.New("%s:%d: CriterionPlugin: this build cannot run plugins yet", cfg.Path, cfg.Plugins[0].Line)
	}
	return false, nil
}
