#!/usr/bin/env bash
# compare-outputs.sh OLD NEW: runs two rolemine builds on the same inputs and fails unless
# every output they write is byte-identical.
#
# OLD and NEW are each a rolemine binary, a git ref (built from `git archive REF`), or `.`
# (the working tree, uncommitted changes included). Typical use before a landing:
#
#   scripts/compare-outputs.sh main .            # tier M (the default)
#   TIER=S scripts/compare-outputs.sh main .     # quicker
#
# Cases: the generated tier (with the example configuration and truth; the implicit rule
# with flag overrides; --previous over an evolved snapshot; with usage: without UsedOnly,
# with it in a file and with --used-only; the universe with its truth and drift on it;
# the next snapshot of the universe and of the usage data), the demo tier-S enterprise
# with the three example plugins, every `mine` block of the worked examples under
# internal/mining/testdata, the explain test enterprise (mine, explain, report), drift on a
# model and its evolved snapshot (with and without --previous-data), and discover. Only
# wall-clock fields are normalised (report.html's start time, the `seconds` of phases and
# of discovered.json); the worker count is the same for both builds (--workers $WORKERS).
#
# Environment: TIER (M), WORKERS (2), WORK (a temporary directory, kept when set).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 2 ] || { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
TIER=${TIER:-M}
WORKERS=${WORKERS:-2}
if [ -n "${WORK:-}" ]; then mkdir -p "$WORK"; else
	WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
fi

# build NAME SPEC: sets $WORK/NAME to an executable built from SPEC.
build() {
	local name=$1 spec=$2
	if [ -f "$spec" ] && [ -x "$spec" ]; then
		cp "$spec" "$WORK/$name"
	elif [ "$spec" = . ]; then
		(cd "$root" && go build -trimpath -o "$WORK/$name" ./cmd/rolemine)
	else
		rm -rf "$WORK/src-$name" && mkdir -p "$WORK/src-$name"
		git -C "$root" archive "$spec" | tar -x -C "$WORK/src-$name"
		(cd "$WORK/src-$name" && go build -trimpath -o "$WORK/$name" ./cmd/rolemine)
	fi
}
build old "$1"
build new "$2"
echo "old: $1, new: $2, tier $TIER, work $WORK"

# normalise FILE: rewrites the wall-clock fields of FILE in place.
normalise() {
	case "$1" in
	*.html) sed -i -E 's/ · started [^<]*/ · started -/' "$1" ;;
	*.json) sed -i -E 's/"(seconds|elapsed_seconds)": ?[0-9.eE+-]+/"\1":0/g; s/"started": ?"[^"]*"/"started":"-"/' "$1" ;;
	esac
}

# The columns of a universe's assignments.parquet whose compression may differ (the
# thirteenth session's universeCodec, on role_id and rule_id since the fourteenth):
# such a file is compared by its rows
# (scripts/parquetrows), and the other columns' bytes must still be the same.
universe_columns=role_id,rule_id,system,account_id,inherited,via,redundant,hidden,usage
(cd "$root" && go build -o "$WORK/parquetrows" ./scripts/parquetrows)

# same_rows CASE: succeeds when the only files of CASE that differ are assignments.parquet
# files holding the same rows (noted in $WORK/rows-CASE).
same_rows() {
	local line old new
	rm -f "$WORK/rows-$1"
	while read -r line; do
		case "$line" in
		"Files "*"/assignments.parquet and "*"/assignments.parquet differ")
			old=${line#Files }; old=${old%% and *}
			new=${line#* and }; new=${new% differ}
			"$WORK/parquetrows" -may-differ "$universe_columns" "$old" "$new" >/dev/null 2>>"$WORK/diff-$1" || return 1
			echo "; assignments.parquet: same rows, universe columns compressed otherwise" >"$WORK/rows-$1" ;;
		*) return 1 ;;
		esac
	done <"$WORK/diff-$1"
	[ -s "$WORK/diff-$1" ]
}

fail=0
# run CASE ARGS...: runs both binaries with ARGS, where @OUT@ stands for the case's output
# directory, and compares exit status, stdout and every file written.
run() {
	local case=$1; shift
	local b rc
	for b in old new; do
		local out="$WORK/out/$b/$case"
		rm -rf "$out" && mkdir -p "$out"
		local args=()
		for a in "$@"; do args+=("${a//@OUT@/$out/files}"); done
		# A case that rewrites a model directory works on its own copy of one.
		if [ -n "${SEED_MODEL:-}" ]; then mkdir -p "$out/files" && cp -L "$SEED_MODEL"/*.* "$out/files/"; fi
		rc=0
		"$WORK/$b" "${args[@]}" >"$out/stdout" 2>"$out/stderr" || rc=$?
		echo "$rc" >"$out/rc"
		# stdout names the output directory and prints durations.
		sed -i -E "s#$WORK/out/(old|new)/#OUT/#g; s#[ ]*[0-9][0-9.hm]*(ns|µs|ms|s|m)([ ,)}]|$)# T\\2#g" "$out/stdout"
		if [ -d "$out/files" ]; then
			find "$out/files" -type f | while read -r f; do normalise "$f"; done
		fi
	done
	# An output directory's visible names point into its current set; the set's own
	# directory name, the lock file and the pointer differ between any two runs.
	if diff -r -q -x stderr -x .sets -x .current -x .rolemine.lock \
		"$WORK/out/old/$case" "$WORK/out/new/$case" >"$WORK/diff-$case" 2>&1 || same_rows "$case"; then
		echo "same      $case ($(find -L "$WORK/out/new/$case/files" -type f -not -path '*/.*' 2>/dev/null | wc -l) files, exit $(cat "$WORK/out/new/$case/rc"))$(cat "$WORK/rows-$case" 2>/dev/null)"
	else
		echo "DIFFERENT $case:"; sed 's/^/  /' "$WORK/diff-$case"; fail=1
	fi
}

# The generated enterprise (generated by both: the generator's output must agree too).
run gen gen --tier "$TIER" --seed 1 --out @OUT@
data="$WORK/out/old/gen/files"
run gen-evolve gen --evolve "$data" --seed 2 --out @OUT@
next="$WORK/out/old/gen-evolve/files"
run tier mine --data "$data" --config "$root/examples/mining.xml" --truth "$data/truth" \
	--workers "$WORKERS" --backend cpu --out @OUT@
model="$WORK/out/old/tier/files"
run tier-implicit mine --data "$data" --precision 0.5e2 --fp-max 10 --min-identities 5 \
	--max-dimensions 1 --rule-type 2 --entity-type nhi --workers "$WORKERS" --backend cpu --out @OUT@
run tier-previous mine --data "$next" --config "$root/examples/mining.xml" --previous "$model" \
	--workers "$WORKERS" --backend cpu --out @OUT@
run tier-drift drift --model "$model" --data "$next" --previous-data "$data" --truth "$next/truth" \
	--workers "$WORKERS" --out @OUT@
# Without --previous-data, drift reads the model's assignments.parquet instead.
run tier-drift-noprev drift --model "$model" --data "$next" --truth "$next/truth" \
	--workers "$WORKERS" --out @OUT@
SEED_MODEL=$model run tier-report report --data "$data" --model @OUT@ --drift "$WORK/out/old/tier-drift/files"
run tier-explain explain --data "$data" --model "$model" --identity "$(sed -n 2p "$model/review.csv" | cut -d, -f2)"

# The generated enterprise with usage (gen --usage): usage states and the excess ranking
# without UsedOnly, then mining used access only (the example configuration with UsedOnly
# on the mining rules of the network of service accounts and of everyone, and
# --used-only). Builds from before gen --usage or UsedOnly differ here by design.
run usage-gen gen --tier "$TIER" --seed 1 --usage --out @OUT@
udata="$WORK/out/old/usage-gen/files"
run usage mine --data "$udata" --config "$root/examples/mining.xml" --truth "$udata/truth" \
	--workers "$WORKERS" --backend cpu --out @OUT@
sed -E 's/<MiningRule Priority="(20|0)"/<MiningRule UsedOnly="true" Priority="\1"/' "$root/examples/mining.xml" >"$WORK/used-only.xml"
run usage-used-only mine --data "$udata" --config "$WORK/used-only.xml" --truth "$udata/truth" \
	--workers "$WORKERS" --backend cpu --out @OUT@
run usage-used-only-flag mine --data "$udata" --used-only --max-dimensions 3 --as-of 2026-07-01 \
	--unused-days 60 --workers "$WORKERS" --backend cpu --out @OUT@

# The generated effective-privilege universe (gen --universe), mined with its truth, and
# the next snapshot of it (refused: gen --evolve does not evolve a universe) and of the
# usage data (gen --evolve plants usage again, keeping owners).
run universe-gen gen --tier "$TIER" --seed 1 --universe --out @OUT@
vdata="$WORK/out/old/universe-gen/files"
run universe mine --data "$vdata" --config "$root/examples/mining.xml" --truth "$vdata/truth" \
	--workers "$WORKERS" --backend cpu --out @OUT@
# Drift of the universe's model on its own snapshot: the effective pairs of its
# assignments.parquet are read back.
run universe-drift drift --model "$WORK/out/old/universe/files" --data "$vdata" --workers "$WORKERS" --out @OUT@
run universe-evolve gen --evolve "$vdata" --seed 2 --out @OUT@
run usage-evolve gen --evolve "$udata" --seed 2 --out @OUT@

# The demo enterprise with the example plugins (built once, shared by both).
if (cd "$root" && mkdir -p "$WORK/plugins" && for p in titlefamily nhiname orgtree; do
	GOOS=wasip1 GOARCH=wasm go build -trimpath -buildmode=c-shared -o "$WORK/plugins/$p.wasm" ./plugins/examples/$p || exit 1
done); then
	run demo-gen gen --tier S --seed 1 --title-family-roles --division-roles --nhi-unlabelled 30 --out @OUT@
	demo="$WORK/out/old/demo-gen/files"
	run demo mine --data "$demo" --config "$root/examples/mining.xml" --plugin "$WORK/plugins/titlefamily.wasm" \
		--plugin "$WORK/plugins/nhiname.wasm" --plugin "$WORK/plugins/orgtree.wasm=$demo/truth/orgtree.json" \
		--truth "$demo/truth" --workers "$WORKERS" --backend cpu --out @OUT@
else
	echo "plugins did not build: demo case skipped"; fail=1
fi

# The explain test enterprise: mine, explain every identity it has golden files for, report.
ex="$root/internal/report/testdata/explain"
run explain-mine mine --data "$ex/data" --config "$ex/mining.xml" --workers "$WORKERS" --backend cpu --out @OUT@
for id in k02 s01 u06 u07 u10 u12 x99; do
	run "explain-$id" explain --data "$ex/data" --model "$WORK/out/old/explain-mine/files" --identity "$id" --json
done

# Discovery on the generated enterprise and on the explain data.
run discover-tier discover --data "$data" --min-members 20 --coverage 90 --out @OUT@
run discover-small discover --data "$ex/data" --out @OUT@
# An HP Labs "user permission" file, when the data sets sit beside the repository.
if [ -f "$root/../shared/data/hp/hc.txt" ]; then
	run discover-upa discover --upa "$root/../shared/data/hp/hc.txt" --budget 2s --out @OUT@
fi

# The worked examples: every `mine` block (its configuration) on the data block before it.
python3 - "$root/internal/mining/testdata" "$WORK/worked" <<'EOF'
import csv, io, os, sys
src, dst = sys.argv[1], sys.argv[2]
n = 0
def blocks(text):
    """Yields (command line, input) of each datadriven block."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or line.startswith("#"):
            i += 1; continue
        cmd = line; i += 1; inp = []
        while i < len(lines) and lines[i] != "----":
            inp.append(lines[i]); i += 1
        i += 1  # the ---- line
        # the expected output runs to the next blank line (or a ---- ---- pair)
        if i < len(lines) and lines[i] == "----":
            i += 1
            while i < len(lines) and lines[i] != "----": i += 1
            i += 2
        else:
            while i < len(lines) and lines[i].strip(): i += 1
        yield cmd, "\n".join(inp)
for dirpath, _, files in sorted(os.walk(src)):
    for name in sorted(files):
        path = os.path.join(dirpath, name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        data = None
        for cmd, inp in blocks(text):
            word = cmd.split()[0]
            if word == "data":
                sections, cur = {}, None
                for line in inp.split("\n"):
                    s = line.strip()
                    if not s or s.startswith("#"): continue
                    if s in ("identities:", "roles:", "assignments:"):
                        cur = s[:-1]; sections[cur] = []; continue
                    sections.setdefault(cur, []).append(s)
                data = sections
            elif word == "mine" and data is not None:
                n += 1
                d = os.path.join(dst, "%03d" % n)
                os.makedirs(os.path.join(d, "data"), exist_ok=True)
                with open(os.path.join(d, "data", "identities.csv"), "w") as f:
                    f.write("\n".join(data.get("identities", [])) + "\n")
                with open(os.path.join(d, "data", "roles.csv"), "w") as f:
                    f.write("\n".join(data.get("roles", [])) + "\n")
                with open(os.path.join(d, "data", "assignments.csv"), "w") as f:
                    f.write("identity_id,role_id\n")
                    for line in data.get("assignments", []):
                        role, _, holders = line.partition(":")
                        for h in holders.split():
                            f.write("%s,%s\n" % (h, role.strip()))
                with open(os.path.join(d, "mining.xml"), "w") as f:
                    f.write(inp + "\n")
                with open(os.path.join(d, "source"), "w") as f:
                    f.write("%s: %s\n" % (os.path.relpath(path, src), cmd))
print("worked examples: %d mine blocks" % n)
EOF
for d in "$WORK"/worked/*/; do
	k=$(basename "$d")
	run "worked-$k" mine --data "$d/data" --config "$d/mining.xml" --workers "$WORKERS" --backend cpu --out @OUT@
done

if [ $fail -ne 0 ]; then echo "outputs differ (work directory: $WORK)"; exit 1; fi
echo "all outputs identical"
