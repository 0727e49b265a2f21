# rolemine: the two commands a fresh clone needs are `make demo` and `make test`.
GO      ?= go
BIN     := bin/rolemine
DEMO    ?= demo
TIER    ?= S
FUZZTIME ?= 20s

.PHONY: s3-server all build demo test vet fmt-check fuzz bench bench-micro bench-peers bench-doc docker clean bench-discover chromium plugins pgo seed-sweep

all: build

# cmd/rolemine/default.pgo is the CPU profile Go's profile-guided optimisation reads
# (-pgo=auto); `make pgo` rewrites it (scripts/pgo.sh).
build:
	$(GO) build -trimpath -o $(BIN) ./cmd/rolemine

pgo:
	BENCH_DIR=$(BENCH_DIR) bash scripts/pgo.sh

# Generates a synthetic tier-S enterprise, mines it with the shipped example configuration
# and scores the model against the planted truth.
demo: build plugins
	@rm -rf $(DEMO)/data $(DEMO)/out
	$(BIN) gen --tier $(TIER) --seed 1 --out $(DEMO)/data --title-family-roles --division-roles
	$(BIN) mine --data $(DEMO)/data --config examples/mining.xml --plugin bin/plugins/titlefamily.wasm \
	  --plugin bin/plugins/nhiname.wasm --plugin bin/plugins/orgtree.wasm=$(DEMO)/data/truth/orgtree.json \
	  --out $(DEMO)/out --truth $(DEMO)/data/truth
	@echo
	@echo "rules:   $(DEMO)/out/rules.json (also rules.xml, rules.parquet)"
	@echo "roles:   $(DEMO)/out/roles.json   summary: $(DEMO)/out/summary.json"
	@echo "access:  $(DEMO)/out/assignments.parquet, $(DEMO)/out/suggestions.parquet"
	@echo "review:  $(DEMO)/out/report.html (open in a browser), review.csv, suggestions.csv"

# The S3-compatible server the object-storage tests start as a separate process:
# SeaweedFS's weed command, pinned by the module in tools/s3server and built into bin/tools
# (RATIONALE.md, "Outputs on object storage": build time and memory). Should that build fail,
# gofakes3's in-memory server is built instead; the tests log which one they ran against.
S3_SERVER := bin/tools/weed
s3-server: $(S3_SERVER)
$(S3_SERVER): tools/s3server/go.mod tools/s3server/go.sum
	cd tools/s3server && $(GO) build -trimpath -buildvcs=false -o $(CURDIR)/$@ github.com/seaweedfs/seaweedfs/weed || { \
	  echo "SeaweedFS could not be built: building gofakes3's in-memory server as the fallback"; \
	  GOBIN=$(CURDIR)/bin/tools $(GO) install github.com/johannesboyne/gofakes3/cmd/gofakes3@v1.2.0; }

test: fmt-check vet
	$(GO) test -count=1 -timeout 20m ./...
	cd deploy && $(GO) vet ./... && $(GO) test -count=1 ./...

# Quality against planted truth over several seeds (scripts/seed-sweep.sh; TIER, SEEDS, FORMS).
seed-sweep: build
	BIN=$(CURDIR)/$(BIN) bash scripts/seed-sweep.sh

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Short coverage-guided fuzzing of every parser, and of the Parquet encoder against parquet-go.
# Each target runs through scripts/fuzz-one.sh, which tells a finding from Go 1.26's
# end-of-fuzztime race (go.dev/issue/75804).
FUZZ_ONE = GO=$(GO) bash scripts/fuzz-one.sh
fuzz:
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzLoadCSV$$' -fuzztime $(FUZZTIME) ./internal/columnar
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzLoadUniverse$$' -fuzztime $(FUZZTIME) ./internal/columnar
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzLoadParquet$$' -fuzztime $(FUZZTIME) ./internal/columnar
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzLoadRolesUsage$$' -fuzztime $(FUZZTIME) ./internal/columnar
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzParseConfig$$' -fuzztime $(FUZZTIME) ./internal/mining
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzEncoder$$' -fuzztime $(FUZZTIME) ./internal/parquetenc
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./internal/shard
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzParseSpec$$' -fuzztime $(FUZZTIME) ./internal/shard
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzReadUPA$$' -fuzztime $(FUZZTIME) ./internal/discover
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/usage
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzAppendIndented$$' -fuzztime $(FUZZTIME) ./internal/report
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzModelFiles$$' -fuzztime $(FUZZTIME) ./internal/report
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzReportSections$$' -fuzztime $(FUZZTIME) ./internal/report
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzInstrument$$' -fuzztime $(FUZZTIME) ./internal/plugins
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzParseManifest$$' -fuzztime $(FUZZTIME) ./internal/plugins
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzDecodeOutput$$' -fuzztime $(FUZZTIME) ./internal/plugins
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzMergeShard$$' -fuzztime $(FUZZTIME) ./internal/pipeline
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzParseMemoryLimit$$' -fuzztime $(FUZZTIME) ./internal/pipeline
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzReadPluginConfig$$' -fuzztime $(FUZZTIME) ./internal/pipeline
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzReadHolder$$' -fuzztime $(FUZZTIME) ./internal/outdir
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzRemoteManifest$$' -fuzztime $(FUZZTIME) ./internal/outdir
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzPrevAssignments$$' -fuzztime $(FUZZTIME) ./internal/drift
	$(FUZZ_ONE) -run '^$$' -fuzz '^FuzzLoadTruth$$' -fuzztime $(FUZZTIME) ./internal/bench/truth

# Go micro-benchmarks of the kernel, loader and miner.
bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/kernels/... ./internal/columnar/... ./internal/mining/...

# End-to-end `rolemine mine` timings per phase (medians of RUNS fresh processes, peak RSS,
# assignments/s) on BENCH_TIERS, generating missing tiers under BENCH_DIR.
BENCH_DIR   ?= bench-data
BENCH_TIERS ?= S,M,L
PEER_TIERS  ?= M,L
PEER_DEPTHS ?= 1,2
RUNS        ?= 3
DUCKDB_PEER := bin/duckdb-peer

bench: build
	$(BIN) bench --tiers $(BENCH_TIERS) --runs $(RUNS) --dir $(BENCH_DIR)

# The DuckDB peer is its own module (cgo, DuckDB 1.1.3 embedded); rolemine never links it.
# It hashes rows and prints results with rolemine's own packages, so it is rebuilt when
# they change.
$(DUCKDB_PEER): $(wildcard bench/peers/duckdb/*.go) bench/peers/duckdb/go.mod \
		$(wildcard internal/bench/cooccur/*.go) $(wildcard internal/bench/harness/*.go)
	cd bench/peers/duckdb && $(GO) build -o $(CURDIR)/$(DUCKDB_PEER) .

# rolemine's counting kernel against DuckDB on the complete co-occurrence tables: both
# programs alternated RUNS times per tier and depth; medians, ratios, checksums checked.
bench-peers: build $(DUCKDB_PEER)
	@mkdir -p $(BENCH_DIR)
	$(BIN) bench peers --duckdb $(DUCKDB_PEER) --tiers $(PEER_TIERS) --depths $(PEER_DEPTHS) --runs $(RUNS) \
	  --dir $(BENCH_DIR) --json $(BENCH_DIR)/peers.json

# Regenerates BENCHMARKS.md's "Mining pipeline and counting kernel" section: runs
# `rolemine bench --json`, reuses $(BENCH_DIR)/peers.json from `make bench-peers` (run
# first when missing).
bench-doc: build
	@mkdir -p $(BENCH_DIR)
	$(BIN) bench --tiers $(BENCH_TIERS) --runs $(RUNS) --dir $(BENCH_DIR) --json > $(BENCH_DIR)/mine.json
	@[ -f $(BENCH_DIR)/peers.json ] || $(MAKE) bench-peers
	$(BIN) bench doc --mine $(BENCH_DIR)/mine.json --peers $(BENCH_DIR)/peers.json --file BENCHMARKS.md

# Headless Chromium for the report's browser tests (those of internal/report/html_test.go
# skip without it). Debian's package; run as root or with sudo.
chromium:
	@if [ -x /usr/bin/chromium ]; then echo "chromium: $$(/usr/bin/chromium --version)"; \
	else apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; fi

# Exact role discovery on the nine HP Labs sets (HPDATA); rewrites the table between the
# bench-discover markers of BENCHMARKS.md.
HPDATA ?= ../shared/data/hp
HPSETS := hc:healthcare:14 domino:domino:20 emea:emea:34 apj:apj:453 customer:customer:276 \
	fire2:firewall2:10 fire1:firewall1:65 americas_small:americas_small:178 americas_large:americas_large:398
bench-discover: build
	@test -d $(HPDATA) || { echo "HP Labs data sets not found in $(HPDATA) (set HPDATA=DIR)"; exit 1; }
	@mkdir -p bench-data/discover; t=bench-data/discover/table.md; \
	echo '| data set | users | permissions | pairs | roles | best known | lower bound | user-role links | role-permission links | WSC | seconds |' > $$t; \
	echo '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|' >> $$t; \
	for s in $(HPSETS); do f=$${s%%:*}; r=$${s#*:}; n=$${r%%:*}; best=$${r#*:}; \
	  $(BIN) discover --upa $(HPDATA)/$$f.txt --out bench-data/discover/$$n > bench-data/discover/$$n.log || exit 1; \
	  users=$$(awk '{print $$1}' $(HPDATA)/$$f.txt | sort -u | wc -l); perms=$$(awk '{print $$2}' $(HPDATA)/$$f.txt | sort -u | wc -l); \
	  pairs=$$(grep -c . $(HPDATA)/$$f.txt); \
	  sed -n 's/.*"stats":{"roles":\([0-9]*\),"user_role_links":\([0-9]*\),"role_entitlement_links":\([0-9]*\),"wsc":\([0-9]*\),"lower_bound":\([0-9]*\),"seconds":\([0-9.e+-]*\).*/\1 \2 \3 \4 \5 \6/p' \
	    bench-data/discover/$$n/discovered.json | \
	  awk -v n=$$n -v best=$$best -v u=$$users -v p=$$perms -v e=$$pairs \
	    '{printf "| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %.2f |\n", n, u, p, e, $$1, best, $$5, $$2, $$3, $$4, $$6}' >> $$t; \
	done; cat $$t; \
	awk -v t=$$t 'BEGIN{skip=0} /<!-- bench-discover:begin -->/{print; while ((getline l < t) > 0) print l; skip=1; next} \
	  /<!-- bench-discover:end -->/{skip=0} !skip{print}' BENCHMARKS.md > BENCHMARKS.md.tmp && mv BENCHMARKS.md.tmp BENCHMARKS.md

# The example criterion plugins (plugins/examples/*) as WASI reactors in bin/plugins/.
plugins:
	@mkdir -p bin/plugins
	for p in titlefamily nhiname orgtree; do \
	  GOOS=wasip1 GOARCH=wasm $(GO) build -trimpath -buildmode=c-shared -o bin/plugins/$$p.wasm ./plugins/examples/$$p || exit 1; \
	done

docker:
	docker build -t rolemine .

clean:
	rm -rf bin $(DEMO) bench-data

# CUDA backend (internal/kernels/cuda/Makefile): PTX from kernels.cu (nvcc), ptxas check, the
# emulated differential test, and the same tests on a GPU node.
.PHONY: ptx ptxas-check gpu-check emu-check toolkit libcuda1
ptx ptxas-check gpu-check emu-check toolkit libcuda1:
	$(MAKE) -C internal/kernels/cuda $@

# The GPU node's prepared run (scripts/gpu-bench.sh): gpu-check through compiled test
# binaries, then tiers GPU_BENCH_TIERS (default L,XL) mined with --backend cpu and cuda
# alternated, outputs compared. gpu-build makes bin/rolemine and bin/gpu/*.test; where Go
# is missing (a GPU node's image) it keeps the prebuilt ones carried with the tree.
# gpu-pack leaves the three xz-compressed in gpu-pack/ (small enough to travel to a node without
# Go; gpu-bench.sh unpacks them there).
.PHONY: gpu-build gpu-bench gpu-pack
gpu-build:
	@if command -v $(GO) >/dev/null; then \
	  mkdir -p bin/gpu && \
	  $(GO) build -trimpath -ldflags='-s -w' -o $(BIN) ./cmd/rolemine && \
	  $(GO) test -c -trimpath -ldflags='-s -w' -o bin/gpu/cuda.test ./internal/kernels/cuda && \
	  $(GO) test -c -trimpath -ldflags='-s -w' -o bin/gpu/cmd.test ./cmd/rolemine; \
	else echo "no Go here: using the prebuilt $(BIN) and bin/gpu/*.test"; fi

gpu-bench: gpu-build
	bash scripts/gpu-bench.sh

gpu-pack: gpu-build
	mkdir -p gpu-pack
	for f in $(BIN) bin/gpu/cuda.test bin/gpu/cmd.test; do xz -T0 -6 -c $$f > gpu-pack/$$(basename $$f).xz; done
	@du -ch gpu-pack/*.xz | tail -1
