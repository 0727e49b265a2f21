package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rolemine/rolemine/internal/bench/gen"
	"github.com/rolemine/rolemine/internal/discover"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/uerr"
)

// GenOptions are the flags of `rolemine gen`: a new enterprise (Gen), or with
// Evolve.From the next snapshot of one.
type GenOptions struct {
	Gen    gen.Options
	Evolve gen.EvolveOptions
	// Given are the names of the flags set on the command line.
	Given map[string]bool
}

// Gen runs `rolemine gen`: writes a synthetic enterprise with its planted truth, or the
// next snapshot of one (--evolve), and prints what it wrote.
func Gen(ctx context.Context, o GenOptions, env Env) error {
	if o.Gen.Out == "" {
		return uerr.New("gen: --out is required")
	}
	defer warnRemoved(o.Gen.Out, gen.OwnedFiles(o.Gen.Out), env)
	if o.Evolve.From == "" {
		for _, name := range []string{"movers", "joiners", "leavers", "nhi-repurposed", "nhi-retired"} {
			if o.Given[name] {
				return uerr.New("gen: --%s applies to --evolve only", name)
			}
		}
		o.Gen.Logger = env.Logger
		prog := newProgress(env.Stderr)
		o.Gen.Progress = prog.step("gen")
		st, err := gen.Generate(ctx, o.Gen)
		prog.done()
		if err != nil {
			return err
		}
		abs, _ := filepath.Abs(o.Gen.Out)
		// The universe and usage figures follow on lines of their own; printed inside the
		// line they would be pointers, a different address on every run.
		line := *st
		line.Universe, line.Usage = nil, nil
		fmt.Fprintf(env.Stdout, "generated %s: %+v\n", abs, line)
		if st.Universe != nil {
			fmt.Fprintf(env.Stdout, "universe: %+v\n", *st.Universe)
		}
		if st.Usage != nil {
			fmt.Fprintf(env.Stdout, "usage: %+v\n", *st.Usage)
		}
		return nil
	}
	for _, name := range []string{"tier", "identities", "roles", "format", "usage"} {
		if o.Given[name] {
			return uerr.New("gen: --%s cannot be combined with --evolve (the next snapshot keeps FROM's sizes and format)", name)
		}
	}
	if err := CheckOutDir("gen", "out", o.Gen.Out, "evolve", o.Evolve.From); err != nil {
		return err
	}
	ev := o.Evolve
	ev.Out, ev.Seed, ev.Logger = o.Gen.Out, o.Gen.Seed, env.Logger
	prog := newProgress(env.Stderr)
	ev.Progress = prog.step("gen --evolve")
	st, err := gen.Evolve(ctx, ev)
	prog.done()
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(o.Gen.Out)
	us := st.Usage
	st.Usage = nil
	fmt.Fprintf(env.Stdout, "evolved %s -> %s: %+v\n", ev.From, abs, *st)
	if us != nil {
		fmt.Fprintf(env.Stdout, "usage: %+v\n", *us)
	}
	return nil
}

// warnRemoved names, on stderr, the files of an earlier data set in out that gen removed
// and did not write again (before: gen.OwnedFiles when the run started), so that no file
// of the user's disappears without a word (docs/cli.md#rolemine-gen).
func warnRemoved(out string, before []string, env Env) {
	var gone []string
	for _, p := range before {
		if _, err := os.Lstat(p); err != nil {
			rel, _ := filepath.Rel(out, p)
			gone = append(gone, rel)
		}
	}
	if len(gone) > 0 {
		env.Logger.Warn("gen: removed files of an earlier data set that this run does not write", "dir", out, "files", strings.Join(gone, ","))
	}
}

// Discover runs `rolemine discover`: bottom-up roles from access patterns
// (docs/semantics.md), written to out/discovered.json.
func Discover(ctx context.Context, o discover.RunOptions, out string, env Env) error {
	if out == "" || (o.Data == "") == (o.UPA == "") {
		return uerr.New("discover: --out and exactly one of --data or --upa are required")
	}
	if err := CheckOutDir("discover", "out", out, "data", o.Data); err != nil {
		return err
	}
	o.Logger = env.Logger
	prog := newProgress(env.Stderr)
	o.Progress = func(phase string) { prog.update(false, "%s", phase) }
	defer prog.done()
	res, err := discover.Run(ctx, o)
	if err != nil {
		return err
	}
	if res.Snap != nil {
		res.Doc.DataFingerprint = report.DataFingerprint(res.Snap.Inputs)
	}
	o.Progress("discover: writing " + discover.FileName)
	if err := discover.Write(ctx, out, res.Doc); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	prog.done()
	if res.Stopped != "" {
		// Also in the document's stats and the summary; stderr says it where logs go.
		env.Logger.Warn("discover: search stopped early", "reason", res.Stopped)
	}
	abs, _ := filepath.Abs(filepath.Join(out, discover.FileName))
	res.Print(env.Stdout, abs)
	return nil
}
