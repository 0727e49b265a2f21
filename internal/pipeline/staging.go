package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/drift"
	"github.com/rolemine/rolemine/internal/outdir"
	"github.com/rolemine/rolemine/internal/uerr"
)

// staging maps the object-storage URLs of a run's flags (--data, --previous, --out,
// merge's shard directories; drift's, explain's and report's model, data and output
// directories) to local directories: inputs are downloaded before the run, and the
// output directory, committed locally as usual, is published after it (outdir.Remote:
// staged set, manifest last). Local paths pass through unchanged.
type staging struct {
	tmp []string
	out *outdir.Remote
	// outLocal is the local directory the run commits into when --out is a URL.
	outLocal string
	// closers release what the run holds besides (the plugin host), in order.
	closers []func()
}

// tempDir makes a temporary directory removed by cleanup.
func (s *staging) tempDir(what string) (string, error) {
	d, err := os.MkdirTemp("", "rolemine-"+what+"-")
	if err != nil {
		return "", fmt.Errorf("stage %s: %w", what, err)
	}
	s.tmp = append(s.tmp, d)
	return d, nil
}

// cleanup releases what closers hold, removes the temporary directories and closes the
// output bucket.
func (s *staging) cleanup() {
	for _, c := range s.closers {
		c()
	}
	for _, d := range s.tmp {
		os.RemoveAll(d)
	}
	if s.out != nil {
		s.out.Close()
	}
}

// download copies what fetch reads from the location u into a new temporary
// directory; ok reports whether fetch found anything.
func (s *staging) download(ctx context.Context, flagName, u, what string, fetch func(*outdir.Remote, string) (bool, error)) (dir string, ok bool, err error) {
	r, err := outdir.OpenRemote(ctx, u)
	if err != nil {
		return "", false, fmt.Errorf("%s %w", flagName, err)
	}
	defer r.Close()
	if dir, err = s.tempDir(what); err != nil {
		return "", false, err
	}
	if ok, err = fetch(r, dir); err != nil {
		err = prefixFlag(flagName, err)
	}
	return dir, ok, err
}

// prefixFlag names the flag an error staging a location came from, keeping a user
// error one.
func prefixFlag(flagName string, err error) error {
	if uerr.Is(err) {
		return uerr.New("%s %w", flagName, err)
	}
	return fmt.Errorf("%s: %w", flagName, err)
}

// data returns a local directory holding the input files under u (given to flagName).
func (s *staging) data(ctx context.Context, flagName, u string) (string, error) {
	if !outdir.IsURL(u) {
		return u, nil
	}
	d, ok, err := s.download(ctx, flagName, u, "data", func(r *outdir.Remote, dir string) (bool, error) {
		names, err := r.FetchPlain(ctx, dir)
		return len(names) > 0, err
	})
	if err == nil && !ok {
		err = uerr.New("%s %s: no input files there", flagName, u)
	}
	return d, err
}

// model returns a local directory holding the published output set under u (the
// outputs of a run or a shard); a prefix without a complete manifest is a user error.
func (s *staging) model(ctx context.Context, flagName, u string) (string, error) {
	if !outdir.IsURL(u) {
		return u, nil
	}
	d, ok, err := s.download(ctx, flagName, u, "model", func(r *outdir.Remote, dir string) (bool, error) {
		return r.Fetch(ctx, dir)
	})
	if err == nil && !ok {
		err = uerr.New("%s %s: no published output there (no %s manifest: nothing written, or a run that did not finish)", flagName, u, outdir.ManifestName)
	}
	return d, err
}

// output returns the local directory a run commits into for u, given to flagName (--out,
// or report's --model). For a URL the bucket is reached before any work (an unreachable
// or missing one fails the run at once).
func (s *staging) output(ctx context.Context, flagName, u string) (string, error) {
	if !outdir.IsURL(u) {
		return u, nil
	}
	r, err := outdir.OpenRemote(ctx, u)
	if err != nil {
		return "", fmt.Errorf("%s %w", flagName, err)
	}
	s.out = r
	if _, _, err := r.Manifest(ctx); err != nil {
		return "", fmt.Errorf("%s %s: %w", flagName, u, err)
	}
	if s.outLocal, err = s.tempDir("out"); err != nil {
		return "", err
	}
	return s.outLocal, nil
}

// stage resolves --out, --previous and --data of f to local directories (in that order:
// an unreachable output bucket fails the run before any download).
func (s *staging) stage(ctx context.Context, f *MineFlags) error {
	var err error
	if f.outDir, err = s.output(ctx, "--out", f.out); err != nil {
		return err
	}
	if f.previous != "" {
		if f.prevDir, err = s.model(ctx, "--previous", f.previous); err != nil {
			return err
		}
	}
	f.dataDir, err = s.data(ctx, "--data", f.data)
	return err
}

// stageDrift resolves drift's --out, --model, --previous-data and --data to local
// directories, the output first as mine's; it returns the locations as given, or nil
// when none was a URL.
func (s *staging) stageDrift(ctx context.Context, o *drift.RunOptions) (*drift.Locations, error) {
	given := drift.Locations{Model: locationName(o.Model), Data: locationName(o.Data), PreviousData: locationName(o.PreviousData)}
	var err error
	if o.Out, err = s.output(ctx, "--out", o.Out); err != nil {
		return nil, err
	}
	if o.Model, err = s.model(ctx, "--model", o.Model); err != nil {
		return nil, err
	}
	if o.PreviousData != "" {
		if o.PreviousData, err = s.data(ctx, "--previous-data", o.PreviousData); err != nil {
			return nil, err
		}
	}
	if o.Data, err = s.data(ctx, "--data", o.Data); err != nil {
		return nil, err
	}
	if given == (drift.Locations{Model: o.Model, Data: o.Data, PreviousData: o.PreviousData}) {
		return nil, nil
	}
	return &given, nil
}

// modelRun is the model and data of explain and report, and report's --drift: the
// locations as given and the local directories they were staged to.
type modelRun struct {
	data, model, drift          string
	dataDir, modelDir, driftDir string
}

// stageModel resolves the locations of m to local directories. With write, the model is
// also the output (report writes report.html into it): a URL is staged as mine's --out
// is, and publish uploads the whole set again with the new file.
func (s *staging) stageModel(ctx context.Context, m *modelRun, write bool) error {
	var err error
	if write && outdir.IsURL(m.model) {
		if _, err = s.output(ctx, "--model", m.model); err != nil {
			return err
		}
		ok, err := s.out.Fetch(ctx, s.outLocal)
		if err == nil && !ok {
			err = uerr.New("--model %s: no published output there (no %s manifest: nothing written, or a run that did not finish)", m.model, outdir.ManifestName)
		}
		if err != nil {
			return err
		}
		m.modelDir = s.outLocal
	} else if m.modelDir, err = s.model(ctx, "--model", m.model); err != nil {
		return err
	}
	if m.drift != "" {
		if m.driftDir, err = s.model(ctx, "--drift", m.drift); err != nil {
			return err
		}
	}
	m.dataDir, err = s.data(ctx, "--data", m.data)
	return err
}

// publish publishes the committed local output directory when --out is a URL.
func (s *staging) publish(ctx context.Context) error {
	if s.out == nil {
		return nil
	}
	return s.out.Publish(ctx, s.outLocal)
}

// locationName is how outputs name a location: a URL without its query (endpoint,
// region and the like, as inputsAt names inputs), a path as given.
func locationName(u string) string {
	if !outdir.IsURL(u) {
		return u
	}
	base, _, _ := strings.Cut(u, "?")
	return base
}

// inputsAt names the inputs of a snapshot downloaded from u by their URLs, as
// summary.json reports them.
func inputsAt(snap *columnar.Snapshot, u string) {
	base, _, _ := strings.Cut(u, "?")
	for k := range snap.Inputs {
		snap.Inputs[k].Path = strings.TrimSuffix(base, "/") + "/" + filepath.Base(snap.Inputs[k].Path)
	}
}

// displayPath is how outputs are named on stdout: URLs as given, paths absolute.
func displayPath(p string) string {
	if outdir.IsURL(p) {
		return p
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs
}
