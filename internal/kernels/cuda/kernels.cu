// Counting kernels of the CUDA backend (kernels/cuda). The host code is in engine.go,
// which documents the job layout; `make ptx` compiles this file to ptx/kernels.ptx.
//
// The same file compiles with a C++ compiler on the CPU through cuda_emu.h, which runs
// the grid as plain loops. So the kernels use only: blockIdx.x, blockDim.x, gridDim.x,
// threadIdx.x, and atomicAdd on int (no shared memory, no __syncthreads, no warp
// intrinsics). Extend cuda_emu.h before using anything else.
#ifndef __CUDACC__
#include "cuda_emu.h"
#endif

// One counting job: histogram, over the identities list[list_off .. list_off+list_len)
// that are in scope and hold every prefix term (tdim[t] = tval[t] for t < nterm), the
// values of the dimensions hdims[hd_from .. hd_to). The job's histogram is dense:
// hist[scratch_off + hoff[p] - hoff[hd_from] + code] counts value code of dimension
// hdims[p]. Mirrored by jobDesc in engine.go (56 bytes).
typedef struct {
    long long list_off;
    int list_len;
    int nterm;
    int tdim[3];
    int tval[3];
    int hd_from;
    int hd_to;
    long long scratch_off;
} rm_job;

// One histogram cell a job touched: job index in the launch, cell index local to the
// job's histogram, and (after rm_finish) its count. Mirrored by entrySize in engine.go.
typedef struct {
    int job;
    int idx;
    int count;
} rm_entry;

// rm_has reports whether identity i has value v on dimension d: its single code, or one
// of its extra codes when the dimension is multi-valued (mstart[d] >= 0 locates its CSR
// offsets in moff).
__device__ static int rm_has(const int* codes, long long n, const long long* mstart,
                             const long long* moff, const int* mcodes, int d, int i, int v) {
    if (codes[(long long)d * n + i] == v) return 1;
    long long s = mstart[d];
    if (s >= 0) {
        for (long long k = moff[s + i]; k < moff[s + i + 1]; k++) {
            if (mcodes[k] == v) return 1;
        }
    }
    return 0;
}

// rm_add counts one value in a job's histogram. The thread that takes a cell from 0 to 1
// records it once in ents (cap entries; *counter may pass cap, which the host reports).
__device__ static void rm_add(int* h, int idx, int job, rm_entry* ents, int* counter, int cap) {
    if (atomicAdd(&h[idx], 1) == 0) {
        int slot = atomicAdd(counter, 1);
        if (slot < cap) {
            ents[slot].job = job;
            ents[slot].idx = idx;
        }
    }
}

// rm_hist: one block per job (grid-stride over jobs), its threads striding over the
// job's identities. codes is dimension-major (codes[d*n + i], -1 for no value). scope is
// a bitset over identities, or null for every identity. Invariant: every histogram cell
// is 0 before the launch; rm_finish restores that.
extern "C" __global__ void rm_hist(const rm_job* jobs, int njobs, const int* list,
                                   const unsigned long long* scope, const int* codes, long long n,
                                   const long long* mstart, const long long* moff, const int* mcodes,
                                   const int* hdims, const int* hoff, int* hist, rm_entry* ents,
                                   int* counter, int cap) {
    for (int j = blockIdx.x; j < njobs; j += gridDim.x) {
        const rm_job job = jobs[j];
        int* h = hist + job.scratch_off;
        const int base = hoff[job.hd_from];
        for (int k = threadIdx.x; k < job.list_len; k += blockDim.x) {
            const int i = list[job.list_off + k];
            if (scope && !((scope[i >> 6] >> (i & 63)) & 1ull)) continue;
            int ok = 1;
            for (int t = 0; t < job.nterm && ok; t++) {
                ok = rm_has(codes, n, mstart, moff, mcodes, job.tdim[t], i, job.tval[t]);
            }
            if (!ok) continue;
            for (int p = job.hd_from; p < job.hd_to; p++) {
                const int d = hdims[p];
                const int lo = hoff[p] - base;
                const int c = codes[(long long)d * n + i];
                if (c >= 0) rm_add(h, lo + c, j, ents, counter, cap);
                const long long s = mstart[d];
                if (s >= 0) {
                    for (long long m = moff[s + i]; m < moff[s + i + 1]; m++) {
                        rm_add(h, lo + mcodes[m], j, ents, counter, cap);
                    }
                }
            }
        }
    }
}

// rm_finish: one thread per recorded entry (grid-stride) reads the cell's count into the
// entry and zeroes the cell, so the histograms are all zero again for the next launch.
extern "C" __global__ void rm_finish(const rm_job* jobs, rm_entry* ents, const int* counter,
                                     int cap, int* hist) {
    int total = *counter;
    if (total > cap) total = cap;
    for (int k = blockIdx.x * blockDim.x + threadIdx.x; k < total; k += gridDim.x * blockDim.x) {
        int* cell = hist + jobs[ents[k].job].scratch_off + ents[k].idx;
        ents[k].count = *cell;
        *cell = 0;
    }
}
