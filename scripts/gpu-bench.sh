#!/usr/bin/env bash
# gpu-bench.sh: the GPU check and the CPU/GPU benchmarks, as one prepared run on an NVIDIA
# node. `make gpu-bench` builds what it needs first (bin/rolemine and the compiled test
# binaries in bin/gpu/) where Go is installed; on a GPU node without Go, build them
# elsewhere with `make gpu-build`, copy the tree with bin/, and run this script.
#
# Steps, in order of importance (a step that fails stops the run, so a broken device
# path costs seconds, not minutes):
#   1. the machine: nvidia-smi, cores, memory;
#   2. gpu-check: internal/kernels/cuda's TestGPUAgainstCPU and TestAvailableHere against the real
#      driver, then cmd/rolemine's TestSelectBackendCUDA and TestCUDAOutputsIdentical;
#   3. per tier of GPU_BENCH_TIERS (default L,XL): `rolemine bench --backends cpu,cuda`
#      (runs alternated), then every output of the last cpu and cuda runs compared byte
#      for byte; on tier GPU_BENCH_PROFILE (default L) one more cuda run with --cpuprofile,
#      to show where the host's time goes.
# Results go to $OUT (default gpu-out/): gpu-bench.log, bench-<tier>.json, identical-<tier>.txt,
# cuda-<tier>.pprof. Measured on one H200 node (2026-11-28): gpu-check 15 s, tier L 70 s,
# tier XL about 8 minutes with its generation, so give the whole run 10 minutes, or run
# GPU_BENCH_TIERS=L alone first.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
OUT=${OUT:-$root/gpu-out}
DATA=${GPU_BENCH_DIR:-/tmp/rolemine-gpu-bench}
TIERS=${GPU_BENCH_TIERS:-L,XL}
RUNS=${GPU_BENCH_RUNS:-1}
BIN=$root/bin/rolemine
mkdir -p "$OUT" "$DATA"
exec > >(tee -a "$OUT/gpu-bench.log") 2>&1

step() { echo "== $(date -u +%H:%M:%S) $*"; }
die() { step "FAILED: $*"; exit 1; }

for f in "$BIN" bin/gpu/cuda.test bin/gpu/cmd.test; do
  [ -x "$f" ] || die "$f is missing: run 'make gpu-build' where Go is installed"
done
# The driver library is often outside the default search path on container images.
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64; do
  if [ -e "$d/libcuda.so.1" ]; then export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; break; fi
done

step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv || true
echo "cores: $(nproc)"; grep -E 'MemTotal|MemAvailable' /proc/meminfo || true
echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
"$BIN" version || true

step "gpu-check: internal/kernels/cuda against the CPU on the real device"
(cd internal/kernels/cuda && ROLEMINE_REQUIRE_GPU=1 "$root/bin/gpu/cuda.test" -test.count=1 -test.v \
  -test.run 'TestGPU|TestAvailableHere') || die "internal/kernels/cuda gpu-check"
step "gpu-check: backend selection and mine --backend cuda = --backend cpu on tier S"
(cd cmd/rolemine && ROLEMINE_REQUIRE_GPU=1 ROLEMINE_BIN="$BIN" "$root/bin/gpu/cmd.test" -test.count=1 -test.v \
  -test.run 'TestCUDAOutputsIdentical|TestSelectBackendCUDA') || die "cmd/rolemine gpu-check"

for tier in ${TIERS//,/ }; do
  step "bench tier $tier: --backends cpu,cuda, $RUNS run(s) each"
  "$BIN" bench --tiers "$tier" --runs "$RUNS" --dir "$DATA" --backends cpu,cuda --json \
    > "$OUT/bench-$tier.json" || die "bench tier $tier"
  cat "$OUT/bench-$tier.json" | tr -d '\n' | head -c 4000; echo
  step "tier $tier: outputs of --backend cpu and --backend cuda"
  : > "$OUT/identical-$tier.txt"
  for f in rules.json rules.xml rules.parquet roles.json assignments.parquet suggestions.parquet review.csv suggestions.csv report.html; do
    a="$DATA/$tier.cpu.out/$f"; b="$DATA/$tier.cuda.out/$f"
    if cmp -s "$a" "$b"; then echo "$f identical" >> "$OUT/identical-$tier.txt"
    else echo "$f DIFFERS" >> "$OUT/identical-$tier.txt"; fi
  done
  cat "$OUT/identical-$tier.txt"
  if [ "$tier" = "${GPU_BENCH_PROFILE:-L}" ]; then
    step "tier $tier: host CPU profile of one --backend cuda run (cuda-$tier.pprof)"
    "$BIN" mine --data "$DATA/$tier" --out "$DATA/$tier.prof.out" --backend cuda \
      --cpuprofile "$OUT/cuda-$tier.pprof" | tail -8 || die "profile tier $tier"
  fi
done
step "done"
