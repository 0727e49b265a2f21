// emu_main.cc: the CPU emulator of the CUDA device for the differential tests
// (emu_test.go). It links kernels.cu compiled with cuda_emu.h and serves a small binary
// protocol on stdin/stdout, one request at a time, little-endian:
//
//   request  = op:u8 args...
//   response = status:u8 (0 ok, 1 error then len:u32 message) payload...
//
//   1 ALLOC    bytes:u64                      -> ptr:u64 (zero-filled)
//   2 FREE     ptr:u64                        ->
//   3 HTOD     ptr:u64 n:u64 data[n]          ->
//   4 DTOH     ptr:u64 n:u64                  -> data[n]
//   5 MEMSET32 ptr:u64 v:u32 n:u64            ->
//   6 LAUNCH   kernel:u32 grid:u32 block:u32 nargs:u32 args:u64[nargs] ->
//   7 LAYOUT                                  -> sizeof(rm_job) and offsets, sizeof(rm_entry): u64[10]
//   8 LIVE                                    -> allocations not freed: u64
//   0 QUIT
//
// Device pointers are this process's own addresses, so kernel arguments pass through as
// they are. Threads of a block run one after another; odd launches run blocks and threads
// in reverse order, so a kernel that depends on thread order gives different results.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cstddef>
#include <set>
#include <string>

#include "cuda_emu.h"

rm_dim3 blockIdx, threadIdx, blockDim, gridDim;

// The kernels under test.
#include "kernels.cu"

static std::set<uintptr_t> live;

static void rd(void* p, size_t n) {
    if (fread(p, 1, n, stdin) != n) exit(0);
}
static uint64_t rd64() { uint64_t v; rd(&v, 8); return v; }
static uint32_t rd32() { uint32_t v; rd(&v, 4); return v; }
static void ok() { fputc(0, stdout); }
static void fail(const std::string& m) {
    fputc(1, stdout);
    uint32_t n = (uint32_t)m.size();
    fwrite(&n, 4, 1, stdout);
    fwrite(m.data(), 1, n, stdout);
}

template <typename F>
static void emu_launch(uint32_t grid, uint32_t block, bool reverse, F body) {
    gridDim = {grid, 1, 1};
    blockDim = {block, 1, 1};
    for (uint32_t b0 = 0; b0 < grid; b0++) {
        uint32_t b = reverse ? grid - 1 - b0 : b0;
        for (uint32_t t0 = 0; t0 < block; t0++) {
            uint32_t t = reverse ? block - 1 - t0 : t0;
            blockIdx = {b, 0, 0};
            threadIdx = {t, 0, 0};
            body();
        }
    }
}

int main() {
    uint64_t launches = 0;
    for (;;) {
        int op = fgetc(stdin);
        if (op == EOF || op == 0) return 0;
        switch (op) {
        case 1: {
            uint64_t n = rd64();
            void* p = calloc(n ? n : 8, 1);
            if (!p) { fail("out of memory"); break; }
            live.insert((uintptr_t)p);
            ok();
            uint64_t v = (uintptr_t)p;
            fwrite(&v, 8, 1, stdout);
            break;
        }
        case 2: {
            uint64_t p = rd64();
            if (!live.erase((uintptr_t)p)) { fail("free of an unknown pointer"); break; }
            free((void*)(uintptr_t)p);
            ok();
            break;
        }
        case 3: {
            uint64_t p = rd64(), n = rd64();
            rd((void*)(uintptr_t)p, n);
            ok();
            break;
        }
        case 4: {
            uint64_t p = rd64(), n = rd64();
            ok();
            fwrite((void*)(uintptr_t)p, 1, n, stdout);
            break;
        }
        case 5: {
            uint64_t p = rd64();
            uint32_t v = rd32();
            uint64_t n = rd64();
            uint32_t* q = (uint32_t*)(uintptr_t)p;
            for (uint64_t i = 0; i < n; i++) q[i] = v;
            ok();
            break;
        }
        case 6: {
            uint32_t k = rd32(), grid = rd32(), block = rd32(), nargs = rd32();
            uint64_t a[32] = {0};
            if (nargs > 32) { fail("too many arguments"); break; }
            for (uint32_t i = 0; i < nargs; i++) a[i] = rd64();
            bool rev = (launches++ & 1) != 0;
            if (k == 0 && nargs == 15) {
                emu_launch(grid, block, rev, [&] {
                    rm_hist((const rm_job*)(uintptr_t)a[0], (int)a[1], (const int*)(uintptr_t)a[2],
                            (const unsigned long long*)(uintptr_t)a[3], (const int*)(uintptr_t)a[4],
                            (long long)a[5], (const long long*)(uintptr_t)a[6],
                            (const long long*)(uintptr_t)a[7], (const int*)(uintptr_t)a[8],
                            (const int*)(uintptr_t)a[9], (const int*)(uintptr_t)a[10],
                            (int*)(uintptr_t)a[11], (rm_entry*)(uintptr_t)a[12], (int*)(uintptr_t)a[13],
                            (int)a[14]);
                });
            } else if (k == 1 && nargs == 5) {
                emu_launch(grid, block, rev, [&] {
                    rm_finish((const rm_job*)(uintptr_t)a[0], (rm_entry*)(uintptr_t)a[1],
                              (const int*)(uintptr_t)a[2], (int)a[3], (int*)(uintptr_t)a[4]);
                });
            } else {
                fail("unknown kernel or wrong argument count");
                break;
            }
            ok();
            break;
        }
        case 7: {
            uint64_t v[10] = {sizeof(rm_job), offsetof(rm_job, list_off), offsetof(rm_job, list_len),
                              offsetof(rm_job, nterm), offsetof(rm_job, tdim), offsetof(rm_job, tval),
                              offsetof(rm_job, hd_from), offsetof(rm_job, hd_to),
                              offsetof(rm_job, scratch_off), sizeof(rm_entry)};
            ok();
            fwrite(v, 8, 10, stdout);
            break;
        }
        case 8: {
            uint64_t n = live.size();
            ok();
            fwrite(&n, 8, 1, stdout);
            break;
        }
        default:
            fail("unknown op");
        }
        fflush(stdout);
    }
}
