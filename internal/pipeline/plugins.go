package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/plugins"
	"github.com/rolemine/rolemine/internal/uerr"
)

// pluginFlags are the criterion-plugin flags of `rolemine mine`.
type pluginFlags struct {
	specs     MultiFlag
	memoryMiB int
	timeout   time.Duration
	fs        *flag.FlagSet
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
		path, conf, hasConf := strings.Cut(v, "=")
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

// applyPlugins runs the criterion plugins of the configuration (in document order) and of
// the --plugin flags (in flag order, after the configuration's) over snap, adding their
// derived attributes as dimensions. It reports whether any plugin ran. The flags were
// checked before the data was loaded (check).
func applyPlugins(ctx context.Context, snap *columnar.Snapshot, cfg *mining.Config, pf *pluginFlags, logger *slog.Logger) (bool, error) {
	var specs []plugins.Spec
	base := "."
	if cfg.Path != "" {
		base = filepath.Dir(cfg.Path)
	}
	for _, ref := range cfg.Plugins {
		origin := fmt.Sprintf("%s:%d: CriterionPlugin", cfg.Path, ref.Line)
		s := plugins.Spec{Path: relTo(base, ref.Path), Origin: origin}
		if ref.Config != "" {
			c, err := readPluginConfig(relTo(base, ref.Config), origin)
			if err != nil {
				return false, err
			}
			s.Config = c
		}
		specs = append(specs, s)
	}
	for _, v := range pf.specs {
		path, conf, hasConf := strings.Cut(v, "=")
		origin := "--plugin " + v
		s := plugins.Spec{Path: path, Origin: origin}
		if hasConf {
			c, err := readPluginConfig(conf, origin)
			if err != nil {
				return false, err
			}
			s.Config = c
		}
		specs = append(specs, s)
	}
	if len(specs) == 0 {
		return false, nil
	}
	workers := 0
	if fl := pf.fs.Lookup("workers"); fl != nil {
		fmt.Sscan(fl.Value.String(), &workers)
	}
	h, err := plugins.NewHost(ctx, plugins.Options{MemoryMiB: pf.memoryMiB, Timeout: pf.timeout, Workers: workers, Logger: logger})
	if err != nil {
		return false, err
	}
	defer h.Close(context.Background())
	var ps []*plugins.Plugin
	for _, s := range specs {
		p, err := h.Load(ctx, s)
		if err != nil {
			return false, err
		}
		ps = append(ps, p)
	}
	if err := plugins.Apply(ctx, snap, ps); err != nil {
		return false, err
	}
	return true, nil
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
