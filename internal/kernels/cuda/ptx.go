package cuda

import (
	"embed"
	"errors"
)

// ptxFS holds ptx/kernels.ptx when `make ptx` has been run (and the file committed); the
// directory always holds a README, so the embed pattern matches without it.
//
//go:embed ptx
var ptxFS embed.FS

// ptxFile is the embedded PTX's path inside ptxFS.
const ptxFile = "ptx/kernels.ptx"

// errNoPTX is the reason the backend is unavailable in a build without the PTX.
var errNoPTX = errors.New("cuda: no embedded PTX (internal/kernels/cuda/ptx/kernels.ptx is missing: run `make ptx` with nvcc and rebuild)")

// embeddedPTX returns the embedded PTX, or nil if the build has none.
func embeddedPTX() []byte {
	b, err := ptxFS.ReadFile(ptxFile)
	if err != nil {
		return nil
	}
	return b
}
