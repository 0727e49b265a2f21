package cuda

// devPtr is an address in device memory. It is never dereferenced on the host.
type devPtr uint64

// stream is a CUDA stream handle (0: the default stream).
type stream uintptr

// kernelID names one of the kernels of kernels.cu.
type kernelID int

const (
	kHist   kernelID = iota // rm_hist
	kFinish                 // rm_finish
	numKernels
)

// kernelNames are the kernels' symbols in the PTX (extern "C", so unmangled).
var kernelNames = [numKernels]string{"rm_hist", "rm_finish"}

// device is the small set of operations the counting host code needs. The real
// implementation (driverDevice) calls the CUDA driver; the tests implement it with the
// kernel source compiled for the CPU, so the host code is the same in both.
//
// Copies and memsets are asynchronous on their stream: the host buffer passed to htod and
// dtoh must come from hostAlloc (page-locked) and stay untouched until sync(s) returns.
type device interface {
	memGetInfo() (free, total int64, err error)
	alloc(bytes int64) (devPtr, error)
	free(p devPtr) error
	hostAlloc(bytes int64) ([]byte, error)
	hostFree(b []byte) error
	newStream() (stream, error)
	destroyStream(s stream) error
	htod(dst devPtr, src []byte, s stream) error
	dtoh(dst []byte, src devPtr, s stream) error
	memset32(dst devPtr, v uint32, n int64, s stream) error
	// launch runs kernel k on a 1-D grid; each argument is passed as an 8-byte slot
	// (pointers and 64-bit integers whole, 32-bit integers in the low half).
	launch(k kernelID, grid, block uint32, s stream, args ...uint64) error
	sync(s stream) error
	close() error
}
