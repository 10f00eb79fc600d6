#!/usr/bin/env python3
"""Instructions per authorization on the engine's path, counted under valgrind (issue #8).

    python3 bench/instructions.py [BUILD_DIR] [IN_FLIGHT] [MIX]

Runs BUILD_DIR/bench/engine_benchmark (default build-rel, else build) under callgrind twice,
with one and with three iterations of BM_EngineAuthorize/IN_FLIGHT (default 64; 4,096
authorizations an iteration; MIX `hot_quota` runs BM_EngineAuthorizeHotQuota, the shared
cards on one budget quota, instead of the standard cards of the default `uniform`), and
prints the difference divided by the 8,192 extra
authorizations: the instructions each part of the path executes per authorization, with the
data set's creation, the platform keys' RSA generation (a random number of prime
candidates) and the program's start cancelled out.

Why: on this machine the speed drifts by a fifth within the hour and its virtual CPU has no
performance counters, so a change worth a few per cent of the writer's CPU cannot be told
apart in auth/s (docs/benchmarks.md). Instructions executed do not drift. They are not time:
cache misses, syscalls and the disk are not in them, and valgrind runs one thread at a time,
so the writer's batches form differently than at full speed (both runs' mean batch is
printed; per-batch costs such as the commit are spread over it). Compare two builds at the
same batch size, and confirm a gain that matters with bench/ab.py.

Needs valgrind (Debian package `valgrind`); a run takes about a minute here. With
INSTRUCTIONS_KEEP=DIR the two callgrind profiles are kept there (callgrind-1.out,
callgrind-3.out) for callgrind_annotate.

valgrind runs its threads in turn (--fair-sched=yes here, which made the batches the same
size from run to run: 32 at 64 in flight); without it they were 38-56 and the per-batch
parts moved by several per cent. Its CPU model has no SHA extensions, so OpenSSL hashes in
software there and the handler's hashing counts for more than it costs natively.
"""

import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ITERATIONS = (1, 3)
AUTHORIZATIONS_PER_ITERATION = 4096  # engine_benchmark's requests_per_iteration
CASES = {"uniform": "BM_EngineAuthorize", "hot_quota": "BM_EngineAuthorizeHotQuota"}  # bench/run.py's mix names

# (label, callgrind function name prefix): inclusive counts. The whole process's line is computed
# apart, from TOTAL less KEYS.
PARTS = [
    ("writer thread", "issuerd::engine::Writer::loop()"),
    ("  idempotency prefetch", "issuerd::engine::Writer::prefetch_idempotency_keys("),
    ("  hot commands", "issuerd::engine::Writer::run_commands("),
    ("    engine::authorize", "issuerd::engine::authorize("),
    ("  write-back statements", "issuerd::storage::Connection::execute_all("),
    ("    binding values", "issuerd::storage::(anonymous namespace)::SqliteConnection::bind("),
    ("  commit", "issuerd::storage::(anonymous namespace)::SqliteConnection::commit()"),
    ("  answering (settle)", "issuerd::engine::Writer::settle_in_flight()"),
    ("handler before the writer", "issuerd::api::sim::(anonymous namespace)::keyed_write("),
    ("the answer's JSON (after the writer)", "issuerd::api::sim::(anonymous namespace)::authorization_json("),
    ("checkpoint thread", "issuerd::storage::WalCheckpointer::loop()"),
]
TOTAL = "PROGRAM TOTALS"
KEYS = "issuerd::crypto::load_or_create_platform_keys("
LINE = re.compile(r"\s*([\d,]+) \([ \d.]+%\)\s+(?:\S*?:)?(.*?)(?: \[[^\]]*\])?$")


def binary_of(build_dir):
    path = os.path.join(build_dir, "bench", "engine_benchmark")
    if not os.access(path, os.X_OK):
        raise SystemExit(f"instructions: {path} not built (needs libbenchmark-dev; ninja -C {build_dir})")
    return path


def inclusive_counts(profile):
    """Function name -> inclusive instructions, from callgrind_annotate."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", profile],
                          capture_output=True, text=True, check=True).stdout
    counts = {}
    for line in text.splitlines():
        found = LINE.match(line)
        if found:
            name = found.group(2).strip()
            counts[name] = counts.get(name, 0) + int(found.group(1).replace(",", ""))
    return counts


def count_of(counts, prefix):
    return sum(value for name, value in counts.items() if name.startswith(prefix))


def profile_run(binary, case, in_flight, iterations, folder):
    profile = os.path.join(folder, f"callgrind-{iterations}.out")
    env = dict(os.environ, ENGINE_BENCH_ITERATIONS=str(iterations))
    env.pop("ENGINE_BENCH_DATABASE", None)  # SQLite: PostgreSQL's backend is not in this process
    done = subprocess.run(["valgrind", "--tool=callgrind", "--fair-sched=yes", f"--callgrind-out-file={profile}", binary,
                           f"--benchmark_filter={case}/{in_flight}/"],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"instructions: engine_benchmark failed under valgrind:\n{done.stderr[-2000:]}")
    batch = re.search(r"mean_batch=([\d.]+)", done.stdout)
    return inclusive_counts(profile), float(batch.group(1)) if batch else float("nan")


def main():
    build_dir = sys.argv[1] if len(sys.argv) > 1 else ("build-rel" if os.path.isdir(os.path.join(ROOT, "build-rel"))
                                                       else "build")
    in_flight = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    mix = sys.argv[3] if len(sys.argv) > 3 else "uniform"
    if mix not in CASES:
        raise SystemExit(f"instructions: MIX is one of {', '.join(CASES)}, not {mix!r}")
    if subprocess.run(["which", "valgrind"], capture_output=True).returncode != 0:
        raise SystemExit("instructions: valgrind is not installed (apt-get install valgrind)")
    binary = binary_of(os.path.join(ROOT, build_dir) if not os.path.isabs(build_dir) else build_dir)
    keep = os.environ.get("INSTRUCTIONS_KEEP")
    with tempfile.TemporaryDirectory(prefix="issuerd-instructions-") as scratch:
        folder = keep or scratch
        os.makedirs(folder, exist_ok=True)
        (few, few_batch), (more, more_batch) = (profile_run(binary, CASES[mix], in_flight, n, folder)
                                                for n in ITERATIONS)
    extra = (ITERATIONS[1] - ITERATIONS[0]) * AUTHORIZATIONS_PER_ITERATION

    def per_authorization(counts_few, counts_more):
        return (counts_more - counts_few) / extra

    all_threads = per_authorization(few[TOTAL] - count_of(few, KEYS), more[TOTAL] - count_of(more, KEYS))
    print(f"engine_benchmark {binary}, {mix} mix, {in_flight} in flight, {ITERATIONS[0]} vs {ITERATIONS[1]} iterations "
          f"(mean batch {few_batch:.1f} / {more_batch:.1f})")
    print("instructions per authorization")
    print(f"{'all threads (without key generation)':36} {all_threads:9.0f}")
    for label, prefix in PARTS:
        print(f"{label:36} {per_authorization(count_of(few, prefix), count_of(more, prefix)):9.0f}")


if __name__ == "__main__":
    main()
