#!/usr/bin/env bash
# fuzz-one.sh ARGS...: runs `go test ARGS` for one fuzz target (each line of `make fuzz`)
# and tells a finding from a race in Go's fuzzing coordinator.
#
# With a duration -fuzztime, Go 1.26's coordinator can report its own end-of-time
# cancellation as the target failing: "context deadline exceeded" at fuzztime, with no
# failing input written (go.dev/issue/75804, fixed in Go 1.27). On a loaded 2-core machine
# one target in 23 met it. Such a run is repeated once and, should the race strike again,
# reported and passed: without a failing input there is nothing to reproduce. Any other
# failure, and every failure that wrote an input under testdata/fuzz, fails as it is.
#
# Environment: GO (go).
set -uo pipefail

GO=${GO:-go}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for try in 1 2; do
	"$GO" test "$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	[ "$rc" -eq 0 ] && exit 0
	if grep -q 'Failing input written' "$log" || ! grep -qx '    context deadline exceeded' "$log"; then
		exit "$rc"
	fi
	echo "fuzz-one.sh: \"context deadline exceeded\" and no failing input: the Go fuzzing coordinator's race (go.dev/issue/75804), not a finding (try $try of 2)" >&2
done
echo "fuzz-one.sh: the race struck twice; no input failed, so the target passes" >&2
exit 0
