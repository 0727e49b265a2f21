#!/usr/bin/env bash
# gpu-bench.sh: the GPU check and the CPU/GPU benchmarks, as one prepared run on an NVIDIA
# node. `make gpu-bench` builds what it needs first (bin/rolemine and the compiled test
# binaries in bin/gpu/) where Go is installed. A GPU node has no Go: there, `make gpu-pack`
# (run where Go is) leaves the three binaries xz-compressed in gpu-pack/ (about 42 MB, small
# enough to travel with the tree), and this script unpacks them into bin/ when bin/ lacks them.
#
# Steps, in order of importance (a step that fails stops the run, so a broken device
# path costs seconds, not minutes):
#   1. the machine: nvidia-smi, cores, memory; every tier's data generation starts in the
#      background (gen is single-threaded, so the checks and the profile run beside it);
#   2. gpu-check: internal/kernels/cuda's TestGPUAgainstCPU and TestAvailableHere against the real
#      driver, then cmd/rolemine's TestSelectBackendCUDA and TestCUDAOutputsIdentical;
#   3. on tier GPU_BENCH_PROFILE (default L) one --backend cuda run with --cpuprofile, to show
#      where the host's time goes (before the timed runs; its timing is not a figure);
#   4. per tier of GPU_BENCH_TIERS (default L,XL), once no generation runs beside it:
#      `rolemine bench --backends cpu,cuda` (runs alternated), then every output of the last
#      cpu and cuda runs compared byte for byte.
# GPU_BENCH_RUNS is a number of runs per backend for every tier, or a list such as L=3,XL=1
# (tiers not named: 1). Results go to $OUT (default gpu-out/): gpu-bench.log, bench-<tier>.json,
# identical-<tier>.txt, cuda-<tier>.pprof. Measured on one H200 node (2026-11-28, commit
# 37f393e): gpu-check 15 s, tier L 70 s, tier XL about 8 minutes with its generation.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
OUT=${OUT:-$root/gpu-out}
DATA=${GPU_BENCH_DIR:-/tmp/rolemine-gpu-bench}
TIERS=${GPU_BENCH_TIERS:-L,XL}
RUNS=${GPU_BENCH_RUNS:-1}
PROFILE=${GPU_BENCH_PROFILE:-L}
BIN=$root/bin/rolemine
mkdir -p "$OUT" "$DATA"
exec > >(tee -a "$OUT/gpu-bench.log") 2>&1

step() { echo "== $(date -u +%H:%M:%S) $*"; }
die() { step "FAILED: $*"; exit 1; }

# runs_for TIER: the runs per backend GPU_BENCH_RUNS gives TIER.
runs_for() {
  case "$RUNS" in
    *=*) local kv; for kv in ${RUNS//,/ }; do [ "${kv%%=*}" = "$1" ] && { echo "${kv#*=}"; return; }; done; echo 1 ;;
    *) echo "$RUNS" ;;
  esac
}
# unpack SRC.xz DST: python3's lzma where xz itself is missing.
unpack() {
  if command -v xz >/dev/null; then xz -dc "$1" > "$2"
  else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi &&
    chmod +x "$2"
}
# gen_tier TIER: `rolemine gen --tier TIER --seed 1` into $DATA/TIER (what bench would
# generate), through a temporary directory so that a cut run leaves no half-written tier.
gen_tier() {
  [ -e "$DATA/$1/assignments.parquet" ] && return 0
  rm -rf "$DATA/$1.gen" && "$BIN" gen --tier "$1" --seed 1 --out "$DATA/$1.gen" > "$DATA/gen-$1.log" 2>&1 &&
    rm -rf "$DATA/$1" && mv "$DATA/$1.gen" "$DATA/$1"
}

if [ -d gpu-pack ]; then
  for f in rolemine gpu/cuda.test gpu/cmd.test; do
    if [ ! -x "bin/$f" ] && [ -e "gpu-pack/$(basename "$f").xz" ]; then
      mkdir -p "$(dirname "bin/$f")" && unpack "gpu-pack/$(basename "$f").xz" "bin/$f" || die "unpack gpu-pack/$(basename "$f").xz"
    fi
  done
fi
for f in "$BIN" bin/gpu/cuda.test bin/gpu/cmd.test; do
  [ -x "$f" ] || die "$f is missing: run 'make gpu-build' (or 'make gpu-pack') where Go is installed"
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
gens=()
for tier in ${TIERS//,/ }; do
  [ "$tier" = "$PROFILE" ] && continue
  gen_tier "$tier" & gens+=($!)
  echo "generating tier $tier in the background (pid $!)"
done

step "gpu-check: internal/kernels/cuda against the CPU on the real device"
(cd internal/kernels/cuda && ROLEMINE_REQUIRE_GPU=1 "$root/bin/gpu/cuda.test" -test.count=1 -test.v \
  -test.run 'TestGPU|TestAvailableHere') || die "internal/kernels/cuda gpu-check"
step "gpu-check: backend selection and mine --backend cuda = --backend cpu on tier S"
(cd cmd/rolemine && ROLEMINE_REQUIRE_GPU=1 ROLEMINE_BIN="$BIN" "$root/bin/gpu/cmd.test" -test.count=1 -test.v \
  -test.run 'TestCUDAOutputsIdentical|TestSelectBackendCUDA') || die "cmd/rolemine gpu-check"

if [[ ",$TIERS," == *",$PROFILE,"* ]]; then
  step "tier $PROFILE: data, then a host CPU profile of one --backend cuda run (cuda-$PROFILE.pprof)"
  gen_tier "$PROFILE" || die "generate tier $PROFILE"
  "$BIN" mine --data "$DATA/$PROFILE" --out "$DATA/$PROFILE.prof.out" --backend cuda \
    --cpuprofile "$OUT/cuda-$PROFILE.pprof" | tail -8 || die "profile tier $PROFILE"
fi
step "waiting for the background generation"
for p in "${gens[@]}"; do wait "$p" || die "generation (pid $p): see $DATA/gen-*.log"; done

for tier in ${TIERS//,/ }; do
  runs=$(runs_for "$tier")
  step "bench tier $tier: --backends cpu,cuda, $runs run(s) each"
  "$BIN" bench --tiers "$tier" --runs "$runs" --dir "$DATA" --backends cpu,cuda --json \
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
done
step "done"
