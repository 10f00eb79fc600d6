# The two commands of the README: `make run` and `make test`. Everything else is a helper.
BUILD_DIR ?= build
ARGS ?=

.PHONY: all deps build run test fuzz clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@ninja -C $(BUILD_DIR)

# Starts issuerd on 127.0.0.1:8080 with SQLite at var/issuerd.db. Pass flags with ARGS,
# e.g. `make run ARGS=--demo`.
run: build
	@mkdir -p var
	@if [ -f var/keys/admin_token ]; then echo "admin token: $$(cat var/keys/admin_token)"; fi
	@exec $(BUILD_DIR)/issuerd $(ARGS)

# Unit, storage and end-to-end suites on SQLite and on a private PostgreSQL 15 server.
test: deps
	@bash scripts/test.sh

# libFuzzer targets (clang, ASan, UBSan) in build-fuzz/, each for FUZZ_SECONDS (default 60)
# from the seeds in fuzz/corpus/; see docs/reliability.md.
fuzz: deps
	@bash scripts/fuzz.sh

# The benchmark of issue #8 (not part of make test): a Release build, the HTTP ceiling (wrk
# against a server that only parses and answers), a data set of 10,500 cards over HTTP, wrk
# on SQLite and on a private PostgreSQL, the PL/pgSQL baseline with pgbench, and the
# decision alone; about 10 minutes. Prints a table and writes
# bench/results/latest.json; see docs/benchmarks.md. Settings: BENCH_DURATION=10s and more.
.PHONY: bench
bench: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@ninja -C $(BUILD_DIR) issuerd
	@if ninja -C $(BUILD_DIR) -t query decision_benchmark >/dev/null 2>&1; then ninja -C $(BUILD_DIR) decision_benchmark engine_benchmark http_ceiling; \
	  else echo "Google Benchmark not found (libbenchmark-dev): no decision or engine benchmark"; fi
	@BUILD_DIR="$(abspath $(BUILD_DIR))" python3 bench/run.py

# The soak test of issue #9 (not part of make test or CI): a Release build, then SOAK_SECONDS
# (default 600) of wrk authorizations near peak plus captures, reversals, refunds, top-ups and
# quota adjustments; fails on any error, broken ledger invariants or RSS growth beyond
# SOAK_RSS_GROWTH_MIB (64). SOAK_DB=postgres for PostgreSQL. Writes
# bench/results/soak-latest.json; see docs/reliability.md.
.PHONY: soak
soak: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@ninja -C $(BUILD_DIR) issuerd
	@BUILD_DIR="$(abspath $(BUILD_DIR))" python3 bench/soak.py

clean:
	rm -rf $(BUILD_DIR)
