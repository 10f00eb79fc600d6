#!/usr/bin/env bash
# Builds everything and runs every suite: unit, storage and end-to-end, on SQLite and on a
# private PostgreSQL 15 server started here (Unix socket in a temporary folder) and
# stopped on exit; then the unit and SQLite storage suites again under ASan and UBSan
# (build-asan/).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build_dir"

# The unit suites and the storage suite (its SQLite half: the server is not started yet; it
# holds the VFS and the checkpoint thread), built again with GCC under AddressSanitizer
# (leaks included) and UBSan (any report fails the run). Only these test binaries are
# built, two jobs at a time.
asan_dir=${ASAN_BUILD_DIR:-build-asan}
cmake -S . -B "$asan_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DISSUERD_SANITIZE=ON >/dev/null
known_targets=$(ninja -C "$asan_dir" -t targets all)
sanitized=()
for target in common_tests crypto_tests http_tests domain_tests engine_tests storage_tests; do
  if grep -q "^$target:" <<<"$known_targets"; then sanitized+=("$target"); fi
done
ninja -C "$asan_dir" -j 2 "${sanitized[@]}"
for target in "${sanitized[@]}"; do
  echo "== $target under ASan + UBSan"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$asan_dir/tests/$target" --gtest_brief=1
done

pg_dir=$(mktemp -d /tmp/issuerd-pg.XXXXXX)
chmod 755 "$pg_dir"
cleanup() { bash scripts/pg-test-server.sh stop "$pg_dir" >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
trap cleanup EXIT
ISSUERD_TEST_POSTGRES_URL=$(bash scripts/pg-test-server.sh start "$pg_dir")
export ISSUERD_TEST_POSTGRES_URL
export ISSUERD_TEST_REQUIRE_POSTGRES=1

# Last, so that its summary ("N% tests passed, ...") closes the output.
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" --timeout 600
