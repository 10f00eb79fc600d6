#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan, in build-fuzz/) and runs
# each for FUZZ_SECONDS (default 60) from the seed corpus in fuzz/corpus/<target>/. New
# inputs go to build-fuzz/corpus/<target>/ (the repo's seeds are read, never written);
# a crash is written to build-fuzz/artifacts/<target>/ and fails the run.
#
#   make fuzz                         every target, 60 s each
#   FUZZ_SECONDS=600 make fuzz        longer
#   FUZZ_TARGETS="fuzz_amount" make fuzz
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
# clang and libFuzzer's runtime are only needed here, not by make test.
missing=()
for package in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
default_targets="fuzz_json_body fuzz_amount fuzz_musepay_canonical fuzz_http_target"
[ -f src/http/forms.cpp ] && default_targets+=" fuzz_form_body"
targets=${FUZZ_TARGETS:-$default_targets}
jobs=${FUZZ_BUILD_JOBS:-2}

CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DISSUERD_FUZZ=ON >/dev/null
# shellcheck disable=SC2086
ninja -C "$build_dir" -j "$jobs" $targets

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
summary=()
failed=0
for target in $targets; do
  corpus="$build_dir/corpus/$target"
  artifacts="$build_dir/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  dict_args=()
  [ -f "fuzz/dicts/$target.dict" ] && dict_args=("-dict=fuzz/dicts/$target.dict")
  log="$build_dir/$target.log"
  echo "== $target: ${seconds}s"
  status=0
  "$build_dir/fuzz/$target" "$corpus" "fuzz/corpus/$target" "${dict_args[@]}" \
    -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  if [ "$status" -ne 0 ]; then
    failed=1
    summary+=("$target: FAILED (exit $status) after ${runs:-?} runs; see $log and $artifacts/")
    tail -40 "$log"
  else
    summary+=("$target: ok, ${runs:-?} runs in ${seconds}s (${rate:-?}/s), ${cov:-cov ?}, corpus $(find "$corpus" -type f | wc -l) files")
  fi
done
echo
printf '%s\n' "${summary[@]}"
exit "$failed"
