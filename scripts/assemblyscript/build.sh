#!/usr/bin/env bash
# build.sh: rebuilds the AssemblyScript plugins the tests run, byte for byte, with the
# compiler pinned in plugins/examples/assemblyscript/package-lock.json:
#
#   internal/plugins/testdata/assemblyscript/titlefamily.wasm  the example plugin
#                                  (plugins/examples/assemblyscript/assembly/titlefamily.ts)
#   internal/plugins/testdata/assemblyscript/faults.wasm       the fault plugin of the tests,
#                                  built with the minimal runtime
#                                  (internal/plugins/testdata/assemblyscript/faults.ts)
#   internal/plugins/testdata/assemblyscript/sources.sha256    the files they were built from
#
# Needs Node and npm (npm ci installs the pinned assemblyscript into a temporary copy of
# plugins/examples/assemblyscript, never into the repository). The tests need none of
# this: they read the committed .wasm files.
#
# Usage: build.sh          rewrite the .wasm files
#        build.sh --check  rebuild into a temporary directory and fail when a committed
#                          file differs from what the pinned compiler makes
# Environment: WORK (a temporary directory, kept when set).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
example="$root/plugins/examples/assemblyscript"
fixtures="$root/internal/plugins/testdata/assemblyscript"
check=false
[ "${1:-}" = "--check" ] && check=true
if [ -n "${WORK:-}" ]; then mkdir -p "$WORK"; else
	WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
fi

cp "$example/package.json" "$example/package-lock.json" "$WORK/"
(cd "$WORK" && npm ci --no-audit --no-fund --ignore-scripts >/dev/null)
asc="$WORK/node_modules/.bin/asc"
out="$fixtures"
$check && out="$WORK/out" && mkdir -p "$out"

# asc runs from the repository root, so the places env.abort reports are paths from
# there (internal/plugins/testdata/assemblyscript/faults.ts:47:5). The options are those
# of asconfig.json's release target, given here so that both modules share them.
build() {
	(cd "$root" && "$asc" "$1" --config "$example/asconfig.json" --target release "${@:3}" -o "$out/$2")
}
build plugins/examples/assemblyscript/assembly/titlefamily.ts titlefamily.wasm
build internal/plugins/testdata/assemblyscript/faults.ts faults.wasm --runtime minimal
# What the modules were built from: TestAssemblyScriptFixturesFresh fails when one of these
# files changes and the modules are not rebuilt.
(cd "$root" && sha256sum scripts/assemblyscript/build.sh plugins/examples/assemblyscript/asconfig.json \
	plugins/examples/assemblyscript/package-lock.json plugins/examples/assemblyscript/assembly/*.ts \
	internal/plugins/testdata/assemblyscript/*.ts) >"$out/sources.sha256"

if $check; then
	status=0
	for f in titlefamily.wasm faults.wasm sources.sha256; do
		if cmp -s "$out/$f" "$fixtures/$f"; then echo "$f: identical"; else
			echo "$f: differs from the committed file"; status=1
		fi
	done
	exit $status
fi
ls -l "$fixtures"/*.wasm "$fixtures/sources.sha256"
