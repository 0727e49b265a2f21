// cuda_emu.h: just enough of CUDA for kernels.cu to compile with a C++ compiler and run
// on the CPU, for the differential tests (emu_test.go). A launch runs every (block,
// thread) pair one after another (emu_launch in emu_main.cpp), so:
//   - __global__ and __device__ are empty;
//   - blockIdx, threadIdx, blockDim and gridDim are globals the launcher sets;
//   - atomicAdd is a plain read-add-write that returns the old value.
// Kernels may not use __syncthreads, shared memory or warp intrinsics: with sequential
// threads they cannot be emulated this way. Not for production use.
#ifndef RM_CUDA_EMU_H
#define RM_CUDA_EMU_H

#define __global__
#define __device__
#define __host__

struct rm_dim3 {
    unsigned int x, y, z;
};

extern rm_dim3 blockIdx, threadIdx, blockDim, gridDim;

static inline int atomicAdd(int* p, int v) {
    int old = *p;
    *p = old + v;
    return old;
}

#endif
