# The two commands of the README: `make run` and `make test`. Everything else is a helper.
BUILD_DIR ?= build
ARGS ?=

.PHONY: all deps build run test clean

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

clean:
	rm -rf $(BUILD_DIR)
