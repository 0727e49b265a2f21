#!/bin/sh
# Fault injection on a tier-M enterprise (issue 16): kills `rolemine mine` with SIGKILL at
# each named point of a run (after load, mining and classification, while staging files,
# at every step of the commit) and at five times spread over a run, over a directory that
# holds a previous set; each time the directory must show exactly the previous set or the
# new one, and the next run must start clean and commit. `make test` runs the same test on
# 3,000 identities; this runs it once on tier M (about 100k identities, 2.2M assignments),
# mining the non-human identities only so that each run takes seconds while every output
# file keeps its full size (several minutes in all).
# Usage: scripts/killtest.sh [TIER]   (default M; the data is generated once under $TMPDIR)
set -eu
cd "$(dirname "$0")/.."
tier="${1:-M}"
ROLEMINE_KILLTEST_TIER="$tier" exec go test -count=1 -v -timeout 60m -run '^TestKillNine$' ./cmd/rolemine
