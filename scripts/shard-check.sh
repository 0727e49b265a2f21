#!/usr/bin/env bash
# shard-check.sh: mines one generated tier as a single run and as N = 1, 2, 3 and 7 shards
# run one after another, merges each layout, and checks the merged outputs against the
# single run (byte for byte; summary.json but for timings and shard provenance), without
# and with --previous. It prints each shard's wall time and peak RSS as a Markdown table.
#
# usage: scripts/shard-check.sh [TIER] [DIR]   (TIER defaults to M, DIR to a temporary directory)
# env: BIN (default bin/rolemine, built when missing), SHARDS (default "1 2 3 7"), CONFIG
# (default examples/mining.xml), WORKERS (default: all CPUs), RUNS (default "plain previous"),
# LOCK (a file each run, generation included, holds with flock(1): one heavy run at a time
# on a shared machine).
set -euo pipefail
tier=${1:-M}
dir=${2:-$(mktemp -d -t rolemine-shard-check.XXXXXX)}
bin=${BIN:-bin/rolemine}
shards=${SHARDS:-1 2 3 7}
config=${CONFIG:-examples/mining.xml}
workers=${WORKERS:-0}
runs=${RUNS:-plain previous}
lock=()
[ -z "${LOCK:-}" ] || lock=(flock "$LOCK")
[ -x "$bin" ] || go build -o "$bin" ./cmd/rolemine
mkdir -p "$dir"
files="rules.json rules.parquet rules.xml roles.json assignments.parquet suggestions.parquet review.csv report.html suggestions.csv churn.json"

# timed CMD...: runs CMD, appending "wall_s peak_rss_kib user_s system_s" to $dir/times.
timed() {
	"${lock[@]}" /usr/bin/time -f "%e %M %U %S" -o "$dir/time.1" "$@" >/dev/null
	cat "$dir/time.1" >>"$dir/times"
}

cpu() { python3 -c 'import sys; print(float(sys.argv[1]) + float(sys.argv[2]))' "$1" "$2"; }

same() { # same WANT GOT
	for f in $files; do
		cmp -s "$1/$f" "$2/$f" || { echo "FAIL: $2/$f differs from $1/$f" >&2; exit 1; }
	done
	python3 - "$1/summary.json" "$2/summary.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for s in (a, b):
    for k in ("phases", "started", "shards"):
        s.pop(k, None)
if a != b:
    sys.exit("FAIL: summary.json differs beyond timings and shards: " + sys.argv[2])
PY
}

[ -f "$dir/d0/identities.parquet" ] || "${lock[@]}" "$bin" gen --tier "$tier" --seed 1 --out "$dir/d0" >/dev/null
[ -f "$dir/d1/identities.parquet" ] || "${lock[@]}" "$bin" gen --evolve "$dir/d0" --out "$dir/d1" --movers 5 --joiners 3 --seed 2 >/dev/null
echo "| tier | run | N | shard | wall s | CPU s | peak RSS MiB |"
echo "|---|---|---:|---:|---:|---:|---:|"
for run in $runs; do
	args=(mine --config "$config" --workers "$workers")
	if [ "$run" = previous ]; then
		args+=(--data "$dir/d1" --previous "$dir/plain/single")
	else
		args+=(--data "$dir/d0")
	fi
	base=$dir/$run
	rm -rf "$base" "$dir/times"
	timed "$bin" "${args[@]}" --out "$base/single"
	read -r w m u y <"$dir/time.1"
	printf '| %s | %s | single | - | %.2f | %.2f | %d |\n' "$tier" "$run" "$w" "$(cpu "$u" "$y")" $((m / 1024))
	for n in $shards; do
		dirs=()
		for ((i = n - 1; i >= 0; i--)); do
			timed "$bin" "${args[@]}" --out "$base/$n/$i" --shard "$i/$n"
			read -r w m u y <"$dir/time.1"
			printf '| %s | %s | %d | %d | %.2f | %.2f | %d |\n' "$tier" "$run" "$n" "$i" "$w" "$(cpu "$u" "$y")" $((m / 1024))
			dirs+=("$base/$n/$i")
		done
		timed "$bin" merge --workers "$workers" --out "$base/merged$n" "${dirs[@]}"
		read -r w m u y <"$dir/time.1"
		printf '| %s | %s | %d | merge | %.2f | %.2f | %d |\n' "$tier" "$run" "$n" "$w" "$(cpu "$u" "$y")" $((m / 1024))
		same "$base/single" "$base/merged$n"
	done
done
echo "all merges identical to the single run ($dir)"
