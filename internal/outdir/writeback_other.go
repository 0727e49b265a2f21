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
