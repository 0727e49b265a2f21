#!/usr/bin/env bash
# pgo.sh: rewrites cmd/rolemine/default.pgo, the CPU profile that `go build` of
# ./cmd/rolemine reads for profile-guided optimisation (Go's -pgo=auto: every build of the
# command uses it, `make build`, the end-to-end tests and the Docker image included).
#
# The profile is two `rolemine mine --cpuprofile` runs merged: flat tier L and the tier L
# universe at the issue's size (LU750), the two workloads the speed targets name, with the
# example-free implicit configuration `rolemine bench` uses. The binary that records them is
# built with -pgo=off, so the profile describes the code and not an earlier profile's
# inlining. Run it after a change that moves where the time goes (RATIONALE.md,
# "Profile-guided optimisation"); missing data is generated as `rolemine bench` does.
#
# Environment: BENCH_DIR (bench-data), WORK (a temporary directory, kept when set).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
DIR=${BENCH_DIR:-bench-data}
if [ -n "${WORK:-}" ]; then mkdir -p "$WORK"; else
	WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
fi

go build -trimpath -pgo=off -o "$WORK/rolemine" ./cmd/rolemine
# The tiers as `rolemine bench` names and generates them (internal/bench/harness Tiers).
gen_tier() { # name, then gen's flags
	local name=$1; shift
	[ -f "$DIR/$name/assignments.parquet" ] || "$WORK/rolemine" gen "$@" --seed 1 --out "$DIR/$name"
}
gen_tier L --tier L
gen_tier LU750 --tier L --identities 750000 --roles 50000 --universe

for t in L LU750; do
	"$WORK/rolemine" mine --data "$DIR/$t" --out "$WORK/out-$t" --cpuprofile "$WORK/$t.pprof" >/dev/null
done
go tool pprof -proto "$WORK/L.pprof" "$WORK/LU750.pprof" >"$WORK/default.pgo"
mv "$WORK/default.pgo" cmd/rolemine/default.pgo
echo "wrote cmd/rolemine/default.pgo ($(wc -c <cmd/rolemine/default.pgo) bytes)"
