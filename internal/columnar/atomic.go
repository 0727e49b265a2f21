package columnar

import "github.com/rolemine/rolemine/internal/outdir"

// OutputSet writes the output files of one run into an output directory all or nothing,
// one writer at a time (docs/outputs.md#out-atomic): see package internal/outdir. Every file
// created through the set is staged; Commit publishes them together with the directory's
// other committed files in one atomic step, and Abort (safe to defer) discards them.
type OutputSet = outdir.Set

// OutputFile is one file of an OutputSet, buffered. It implements io.Writer.
type OutputFile = outdir.File

// NewOutputSet takes the lock of the output directory dir (creating it if needed),
// recovers it from any crashed run, and begins a set that releases the lock when
// committed or aborted.
func NewOutputSet(dir string) (*OutputSet, error) {
	return outdir.NewSet(dir, outdir.Options{})
}
