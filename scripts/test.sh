#!/usr/bin/env bash
# Builds everything and runs every suite: unit, storage and end-to-end, on SQLite and on a
# private PostgreSQL 15 server started here (Unix socket in a temporary folder) and
# stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build_dir"

pg_dir=$(mktemp -d /tmp/issuerd-pg.XXXXXX)
chmod 755 "$pg_dir"
cleanup() { bash scripts/pg-test-server.sh stop "$pg_dir" >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
trap cleanup EXIT
ISSUERD_TEST_POSTGRES_URL=$(bash scripts/pg-test-server.sh start "$pg_dir")
export ISSUERD_TEST_POSTGRES_URL
export ISSUERD_TEST_REQUIRE_POSTGRES=1

ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" --timeout 600
