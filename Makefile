# rolemine: the two commands a fresh clone needs are `make demo` and `make test`.
GO      ?= go
BIN     := bin/rolemine
DEMO    ?= demo
TIER    ?= S
FUZZTIME ?= 20s

.PHONY: all build demo test vet fmt-check fuzz bench bench-tier-m bench-tier-l docker clean

all: build

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/rolemine

# Generates a synthetic tier-S enterprise, mines it with the shipped example configuration
# and scores the model against the planted truth.
demo: build
	@rm -rf $(DEMO)/data $(DEMO)/out
	$(BIN) gen --tier $(TIER) --seed 1 --out $(DEMO)/data
	$(BIN) mine --data $(DEMO)/data --config examples/mining.xml --out $(DEMO)/out --truth $(DEMO)/data/truth
	@echo
	@echo "rules:   $(DEMO)/out/rules.json (also rules.xml, rules.parquet)"
	@echo "roles:   $(DEMO)/out/roles.json   summary: $(DEMO)/out/summary.json"
	@echo "access:  $(DEMO)/out/assignments.parquet, $(DEMO)/out/suggestions.parquet"

test: fmt-check vet
	$(GO) test -count=1 -timeout 20m ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Short coverage-guided fuzzing of every parser.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzLoadCSV -fuzztime $(FUZZTIME) ./columnar
	$(GO) test -run '^$$' -fuzz FuzzParseConfig -fuzztime $(FUZZTIME) ./mining

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./kernels/... ./columnar/... ./mining/...

# End-to-end timings of `rolemine mine` (GNU time gives peak RSS when installed).
bench-tier-m bench-tier-l: build
	@t=$$(echo $@ | sed 's/bench-tier-//' | tr a-z A-Z); \
	d=bench-data/$$t; [ -f $$d/assignments.parquet ] || $(BIN) gen --tier $$t --seed 1 --out $$d; \
	if [ -x /usr/bin/time ]; then /usr/bin/time -v $(BIN) mine --data $$d --out $$d.out --truth $$d/truth 2>&1 | \
	  grep -E 'mined|rules:|assign|load|mine |classify|write|Maximum resident|Elapsed|F1|noise|unexplained'; \
	else $(BIN) mine --data $$d --out $$d.out --truth $$d/truth; fi

docker:
	docker build -t rolemine .

clean:
	rm -rf bin $(DEMO) bench-data
