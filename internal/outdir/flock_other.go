//go:build !unix

package outdir

import "os"

// tryLock does not lock where flock(2) is missing: one writer at a time is then the
// user's responsibility (RATIONALE.md, output commit).
func tryLock(*os.File) error { return nil }
