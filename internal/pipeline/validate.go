package pipeline

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/drift"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/outdir"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/uerr"
)

// maxWorkers bounds --workers: far above any machine's cores, far below what exhausts
// memory with goroutines and per-worker buffers.
const maxWorkers = 1024

// urlFlags are the flags that may name object storage (docs/scale-out.md#object-storage),
// as "COMMAND --FLAG"; merge's shard directories are arguments, not flags.
var urlFlags = map[string]bool{
	"mine --data": true, "mine --out": true, "mine --previous": true,
	"merge --data": true, "merge --out": true,
	"drift --model": true, "drift --data": true, "drift --previous-data": true, "drift --out": true,
	"explain --data": true, "explain --model": true,
	"report --data": true, "report --model": true, "report --drift": true,
}

// CheckFlagValues refuses, before any work, flag values no command can use: a float flag
// that is not a finite number (NaN and ±Inf pass every range check written as two
// comparisons), a --workers outside 0 (the default: one per CPU) to maxWorkers, and an
// object-storage URL given to a flag that reads only local files (it was taken for a local
// path that does not exist: "rules.json is missing", "stat s3://...").
func CheckFlagValues(fs *flag.FlagSet) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		g, ok := f.Value.(flag.Getter)
		if err != nil || !ok {
			return
		}
		switch v := g.Get().(type) {
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				err = uerr.New("%s: --%s %s: expected a finite number", cmdName(fs), f.Name, f.Value)
			}
		case string:
			if outdir.IsURL(v) && !urlFlags[cmdName(fs)+" --"+f.Name] {
				err = uerr.New("%s: --%s %s: an object-storage URL is read only by the data, model and output directories of mine, merge, drift, explain and report (docs/scale-out.md); expected a local path (copy the files there first)", cmdName(fs), f.Name, v)
			}
		case int:
			if f.Name == "workers" && (v < 0 || v > maxWorkers) {
				err = uerr.New("%s: --workers %d: expected 1 to %d (or 0 for one per CPU)", cmdName(fs), v, maxWorkers)
			}
		}
	})
	return err
}

// CheckOutDir refuses an output directory that is the data directory, lies inside it, or
// contains it: a run must never write over or among its own inputs.
func CheckOutDir(cmd, outFlag, out, dataFlag, data string) error {
	if out == "" || data == "" {
		return nil
	}
	o, err := realPath(out)
	if err != nil {
		return uerr.New("%s: --%s %s: %w", cmd, outFlag, out, err)
	}
	d, err := realPath(data)
	if err != nil {
		return uerr.New("%s: --%s %s: %w", cmd, dataFlag, data, err)
	}
	switch {
	case o == d:
		return uerr.New("%s: --%s %s is the --%s directory: choose a directory of its own for the outputs", cmd, outFlag, out, dataFlag)
	case within(o, d):
		return uerr.New("%s: --%s %s lies inside the --%s directory %s: choose a directory outside it", cmd, outFlag, out, dataFlag, data)
	case within(d, o):
		return uerr.New("%s: --%s %s contains the --%s directory %s: choose a directory that does not hold the inputs", cmd, outFlag, out, dataFlag, data)
	}
	return nil
}

// within reports whether path lies strictly under dir (both clean and absolute).
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// realPath returns path absolute with symbolic links resolved, for the part of it that
// exists (an output directory may not exist yet).
func realPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	rest := ""
	for p := abs; ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil {
			r, err := filepath.EvalSymlinks(p)
			if err != nil {
				return "", linkError(p, err)
			}
			return filepath.Join(r, rest), nil
		}
		if p == filepath.Dir(p) {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(p), rest)
	}
}

// linkError says why path, which exists, could not be resolved: a symbolic link to a
// path that does not exist, or one that cannot be followed (a loop).
func linkError(path string, err error) error {
	target, lerr := os.Readlink(path)
	switch {
	case lerr != nil:
		return fmt.Errorf("resolve %s: %w", path, err)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s is a symbolic link to %s, which does not exist (expected a directory, or a link to one)", path, target)
	default:
		return fmt.Errorf("%s is a symbolic link to %s that cannot be followed (%v; a loop of links?): expected a directory, or a link to one", path, target, err)
	}
}

// checkDriftDirs keeps drift's outputs apart from its inputs: --out is neither snapshot's
// directory nor the model's (whose summary.json it would replace).
func checkDriftDirs(o *drift.RunOptions) error {
	if err := CheckOutDir("drift", "out", o.Out, "data", o.Data); err != nil {
		return err
	}
	if err := CheckOutDir("drift", "out", o.Out, "previous-data", o.PreviousData); err != nil {
		return err
	}
	out, err := realPath(o.Out)
	if err != nil {
		return uerr.New("drift: --out %s: %w", o.Out, err)
	}
	if model, err := realPath(o.Model); err == nil && model == out {
		return uerr.New("drift: --out %s is the --model directory: drift's summary.json would replace the model's; choose another directory", o.Out)
	}
	return nil
}

// cmdName is the subcommand of a flag set made by NewFlags ("mine" for "rolemine mine").
func cmdName(fs *flag.FlagSet) string { return strings.TrimPrefix(fs.Name(), "rolemine ") }

// truthFiles are the files of a generated truth/ folder that mine --truth always reads.
var truthFiles = []string{model.TruthRulesFile, model.NoiseFile}

// checkTruthDir refuses, before any work, a --truth directory that lacks the files the
// command scores against (the run would otherwise write its outputs and then fail).
func checkTruthDir(cmd, dir, made string, files ...string) error {
	if dir == "" {
		return nil
	}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return uerr.New("%s: --truth %s: no %s there; expected the truth/ folder of a `%s` output", cmd, dir, f, made)
		}
	}
	return nil
}

// checkTruthData refuses, once the data is loaded and before anything is mined or
// written, a --truth folder generated with other data: its data.json records a
// fingerprint (want) that is not the loaded data's, and scoring would print figures of
// neither data set (docs/cli.md#quality). Truth without a data.json (generated before gen
// wrote one) is accepted as before.
func checkTruthData(cmd, dir, want, dataDir string, snap *columnar.Snapshot) error {
	if want == "" {
		return nil
	}
	if got := report.DataFingerprint(snap.Inputs); got != want {
		return uerr.New("%s: --truth %s was generated with other data: its %s names data %.12s, the data in %s is %.12s; give the truth/ folder of the data mined",
			cmd, dir, model.TruthDataFile, want, dataDir, got)
	}
	return nil
}

// warnUnmatchedCategories warns of each mining rule whose Category no role of the data
// has: it selects no role, most often for a typo or surrounding spaces (a Category is
// compared byte for byte, as every data value is; config.md config-values). A run with
// such a rule still completes: a category may be empty in one snapshot.
func warnUnmatchedCategories(cfg *mining.Config, roles *columnar.Roles, log *slog.Logger) {
	for i := range cfg.MiningRules {
		mr := &cfg.MiningRules[i]
		if mr.Category != nil && !slices.Contains(roles.Category, *mr.Category) {
			log.Warn("the mining rule's Category matches no role, so it selects none", "rule", mr.Name(), "category", *mr.Category)
		}
	}
}

// warnUnmatchedValidations warns of each mining rule whose four Include...Validation
// flags keep no role of the data, whatever its category: it selects none, most often
// because the roles file has no validations column (every role then needs 0) while the
// entry keeps only roles needing approvals. The run still completes.
func warnUnmatchedValidations(cfg *mining.Config, roles *columnar.Roles, log *slog.Logger) {
	var held [4]bool
	for _, v := range roles.Validations {
		if v >= 0 && int(v) < len(held) {
			held[v] = true
		}
	}
	var counts []string
	for v, ok := range held {
		if ok {
			counts = append(counts, strconv.Itoa(v))
		}
	}
	if len(counts) == 0 {
		return // no role at all
	}
	for i := range cfg.MiningRules {
		mr := &cfg.MiningRules[i]
		keeps := false
		for v := range held {
			keeps = keeps || held[v] && mr.IncludeValidations[v]
		}
		if !keeps {
			log.Warn("the mining rule's Include...Validation flags keep no role of the data, so it selects none",
				"rule", mr.Name(), "validations_held", strings.Join(counts, ","))
		}
	}
}

// warnUnmatchedKinds warns of each EntityType entry of a mining rule that names a kind no
// identity of the data has: it adds no identity to the scope, most often for a typo or a
// letter case ("Human", "NHI", "service-account"; kinds are exact, semantics.md
// scope-list), and a scope left empty gives its roles no rule. The keywords "*" and "nhi"
// are not kinds. A run with such an entry still completes: a kind may be absent from one
// snapshot.
func warnUnmatchedKinds(cfg *mining.Config, snap *columnar.Snapshot, log *slog.Logger) {
	kinds := snap.Dims[snap.KindDim].Values
	for i := range cfg.MiningRules {
		mr := &cfg.MiningRules[i]
		for part := range strings.SplitSeq(mr.EntityType, ",") {
			kind := strings.TrimSpace(part)
			if kind == "*" || kind == "nhi" || slices.Contains(kinds, kind) {
				continue
			}
			args := []any{"rule", mr.Name(), "kind", kind, "kinds", strings.Join(kinds, ",")}
			if like := kindLike(kinds, kind); like != "" {
				args = append(args, "did_you_mean", like)
			}
			log.Warn("the mining rule's EntityType names a kind no identity has, so it adds no one to the scope", args...)
		}
	}
}

// kindLike returns the kind of kinds, or the keyword nhi, that kind differs from only in
// letter case, or "".
func kindLike(kinds []string, kind string) string {
	for _, k := range append([]string{"nhi"}, kinds...) {
		if strings.EqualFold(k, kind) {
			return k
		}
	}
	return ""
}
