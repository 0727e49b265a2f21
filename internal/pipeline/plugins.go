package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/plugins"
	"github.com/rolemine/rolemine/internal/uerr"
)

// pluginFlags are the criterion-plugin flags of `rolemine mine`.
type pluginFlags struct {
	specs     MultiFlag
	memoryMiB int
	timeout   time.Duration
	fs        *flag.FlagSet
	// given records the plugins Deriver compiled (summary.json's form), nil before.
	given []model.PluginRecord
}

// CheckModel compares the plugins Deriver compiled with those the model recorded in its
// summary.json, named summaryFile (checkModelPlugins); cmd names the command.
func (pf *pluginFlags) CheckModel(cmd, summaryFile string, sum *model.Summary, rules []model.Rule, logger *slog.Logger) error {
	var given []model.PluginRecord
	if pf != nil {
		given = pf.given
	}
	return checkModelPlugins(cmd, summaryFile, sum.Plugins, given, rules, logger)
}

func registerPluginFlags(fs *flag.FlagSet) *pluginFlags {
	pf := &pluginFlags{fs: fs}
	fs.Var(&pf.specs, "plugin", "criterion plugin PATH.wasm[=CONFIG.json] run before mining (repeatable)")
	fs.IntVar(&pf.memoryMiB, "plugin-memory", plugins.DefaultMemoryMiB, "memory cap of each plugin instance, in MiB")
	fs.DurationVar(&pf.timeout, "plugin-timeout", plugins.DefaultTimeout, "time limit of each call into a plugin (one batch of identities)")
	return pf
}

// check refuses a malformed --plugin, and, when any plugin runs (configured counts the
// configuration's), a memory cap or time limit no plugin can run under.
func (pf *pluginFlags) check(configured int) error {
	for _, v := range pf.specs {
		path, conf, hasConf := splitPluginFlag(v)
		if path == "" || hasConf && conf == "" {
			return uerr.New("mine: --plugin %q: expected PATH.wasm or PATH.wasm=CONFIG.json", v)
		}
	}
	if configured+len(pf.specs) == 0 {
		return nil
	}
	if pf.memoryMiB < 1 {
		return uerr.New("mine: --plugin-memory %d: expected at least 1 MiB", pf.memoryMiB)
	}
	if pf.timeout <= 0 {
		return uerr.New("mine: --plugin-timeout %s: expected a positive duration", pf.timeout)
	}
	return nil
}

// compile reads, compiles and starts the plugins a run loads, in order: the
// configuration's <CriterionPlugin/> elements (paths relative to the configuration file,
// in document order), then the --plugin flags. Each plugin's configuration file is read
// and must be JSON, each module must compile and be a rolemine plugin, and each plugin
// must accept its configuration, so that a bad reference is refused, naming the element
// or flag, before any data is read
// (docs/cli.md#cli-checks). The host, nil when no plugin runs, is closed by st's cleanup.
func (pf *pluginFlags) compile(ctx context.Context, cfg *mining.Config, st *staging, logger *slog.Logger) ([]*plugins.Plugin, error) {
	var specs []plugins.Spec
	base := "."
	if cfg.Path != "" {
		base = filepath.Dir(cfg.Path)
	}
	for _, ref := range cfg.Plugins {
		s := plugins.Spec{Path: relTo(base, ref.Path), Origin: fmt.Sprintf("%s:%d: CriterionPlugin", cfg.Path, ref.Line)}
		if ref.Config != "" {
			c, err := readPluginConfig(relTo(base, ref.Config), s.Origin)
			if err != nil {
				return nil, err
			}
			s.Config = c
		}
		specs = append(specs, s)
	}
	for _, v := range pf.specs {
		path, conf, hasConf := splitPluginFlag(v)
		s := plugins.Spec{Path: path, Origin: "--plugin " + v}
		if hasConf {
			c, err := readPluginConfig(conf, s.Origin)
			if err != nil {
				return nil, err
			}
			s.Config = c
		}
		specs = append(specs, s)
	}
	if len(specs) == 0 {
		return nil, nil
	}
	workers := 0
	if fl := pf.fs.Lookup("workers"); fl != nil {
		fmt.Sscan(fl.Value.String(), &workers)
	}
	h, err := plugins.NewHost(ctx, plugins.Options{MemoryMiB: pf.memoryMiB, Timeout: pf.timeout, Workers: workers,
		MemoryBudget: pluginMemoryBudget(), Logger: logger})
	if err != nil {
		return nil, err
	}
	st.closers = append(st.closers, func() { h.Close(context.Background()) })
	ps := make([]*plugins.Plugin, len(specs))
	for k, s := range specs {
		if ps[k], err = h.Compile(ctx, s); err != nil {
			return nil, err
		}
	}
	// Started here, before any data is read, so that a configuration a plugin refuses
	// stops the run at once (exit 2), as a configuration that is not JSON does.
	for _, p := range ps {
		if err := p.Start(ctx); err != nil {
			return nil, err
		}
	}
	if err := plugins.CheckOutputs(ps); err != nil {
		return nil, err
	}
	return ps, nil
}

// pluginMemoryShare is the part of the run's memory limit that the instances of a plugin
// may hold together (docs/plugins.md#host-memory).
const pluginMemoryShare = 0.5

// pluginMemoryBudget is the memory the instances of a plugin may hold together: a share
// of the Go runtime's memory limit, which mine's --memory-limit sets (or $GOMEMLIMIT);
// 0, no bound, without a limit.
func pluginMemoryBudget() int64 {
	limit := debug.SetMemoryLimit(-1) // -1 reads the limit without changing it
	if limit <= 0 || limit == math.MaxInt64 {
		return 0
	}
	return int64(float64(limit) * pluginMemoryShare)
}

// PluginFlags are the criterion-plugin flags (--plugin, --plugin-memory, --plugin-timeout)
// of the commands that answer from a model without mining (explain, report, drift): a
// model mined with plugins has rules on their derived attributes, which the data alone
// lacks, so those commands run the same plugins over the data (docs/plugins.md).
type PluginFlags = pluginFlags

// RegisterPluginFlags declares the plugin flags on fs.
func RegisterPluginFlags(fs *flag.FlagSet) *PluginFlags { return registerPluginFlags(fs) }

// Deriver checks the flags and compiles the plugins they name (before any data is read,
// as mine does) and returns derive, which runs them over a loaded snapshot and adds their
// attributes, and cleanup, which releases them. Without --plugin, derive is nil, so that
// drift's summary.json has no plugin phase when no plugin ran (docs/outputs.md). The
// plugins' records (Given) are kept, to compare with a model's.
func (pf *pluginFlags) Deriver(ctx context.Context, logger *slog.Logger) (derive func(context.Context, *columnar.Snapshot) error, cleanup func(), err error) {
	st := &staging{}
	if pf == nil {
		return nil, st.cleanup, nil
	}
	if err := pf.check(0); err != nil {
		return nil, nil, err
	}
	ps, err := pf.compile(ctx, &mining.Config{}, st, logger)
	if err != nil {
		st.cleanup()
		return nil, nil, err
	}
	if len(ps) == 0 {
		return nil, st.cleanup, nil
	}
	pf.given = pluginRecords(ps)
	return func(ctx context.Context, snap *columnar.Snapshot) error {
		_, err := applyPlugins(ctx, snap, ps)
		return err
	}, st.cleanup, nil
}

// applyPlugins runs the started plugins (compile) over snap, adding their derived
// attributes as dimensions. It reports whether any plugin ran.
func applyPlugins(ctx context.Context, snap *columnar.Snapshot, ps []*plugins.Plugin) (bool, error) {
	if len(ps) == 0 {
		return false, nil
	}
	if err := plugins.Apply(ctx, snap, ps); err != nil {
		return false, err
	}
	return true, nil
}

// splitPluginFlag splits a --plugin value, PATH.wasm[=CONFIG.json], at the "=" after
// ".wasm" when there is one, so that a path whose directories hold "=" (dt=2026-12-01/,
// as partitioned storage names them) is not cut there; else at the first "=".
func splitPluginFlag(v string) (path, conf string, hasConf bool) {
	if i := strings.Index(v, ".wasm="); i >= 0 {
		return v[:i+len(".wasm")], v[i+len(".wasm="):], true
	}
	if strings.HasSuffix(v, ".wasm") {
		return v, "", false
	}
	return strings.Cut(v, "=")
}

// relTo resolves a path of the configuration file relative to its directory.
func relTo(base, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

// readPluginConfig reads a plugin's JSON configuration file.
func readPluginConfig(path, origin string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, uerr.New("%s: plugin configuration: %w", origin, err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := lineCol(b, se.Offset-1) // Offset is just past the offending byte
			return nil, uerr.New("%s: plugin configuration %s:%d:%d: not valid JSON: %v", origin, path, line, col, err)
		}
		return nil, uerr.New("%s: plugin configuration %s: not valid JSON: %v", origin, path, err)
	}
	return b, nil
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(b []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(b)))
	line = 1 + bytes.Count(b[:off], []byte("\n"))
	col = int(off) - bytes.LastIndexByte(b[:off], '\n')
	return line, col
}
