//go:build !(linux && (amd64 || arm64))

package outdir

import (
	"errors"
	"os"
)

// startWriteback is not available here: the fsync of Commit writes everything.
func startWriteback(*os.File, int64, int64) error {
	return errors.ErrUnsupported
}

// setDirect is not available here: files are written through the page cache.
func setDirect(*os.File, bool) error {
	return errors.ErrUnsupported
}
