#!/usr/bin/env python3
"""Interleaved A/B runs of two or more issuerd builds over HTTP (issue #8).

    python3 bench/ab.py ROUNDS NAME=DIR [NAME=DIR ...]

DIR is a build folder, or any folder holding an executable `issuerd` (a wrapper script that
sets an environment variable or flag and execs a build works too). Each round runs
bench/run.py once per build, in the order given, with only issuerd over HTTP: no HTTP
ceiling, baseline, disk probe, decision or engine-alone benchmark. This machine's speed
drifts by a fifth within the hour (docs/benchmarks.md), so one run per build says little;
runs of the builds side by side, round after round, are what the session tables compare.

Prints one line per run as it ends, then per build and mix the mean auth/s, the ranges of
p99 and of CPU per authorization, the mean batch, and how many of its runs beat the first
build's run of the same round and mix. Settings (environment), passed to run.py:
  BENCH_DATABASES=sqlite  BENCH_CONNECTIONS=64  BENCH_DURATION=10s  BENCH_WARMUP=2s
  and any other BENCH_* setting of run.py (BENCH_ISSUERD_ARGS applies to every build).
Each run's JSON is kept in BENCH_AB_DIR (default /tmp/issuerd-ab) as NAME-ROUND.json.
"""

import json
import os
import subprocess
import sys

BENCH = os.path.dirname(os.path.abspath(__file__))
QUIET = {"BENCH_CEILING": "0", "BENCH_BASELINE": "0", "BENCH_DISK_PROBE": "0", "BENCH_ENGINE": "0"}


def parse_builds(args):
    builds = []
    for arg in args:
        name, sep, folder = arg.partition("=")
        if not sep or not name or not folder:
            raise SystemExit(f"ab: expected NAME=DIR, got {arg!r}")
        folder = os.path.abspath(folder)
        if not os.access(os.path.join(folder, "issuerd"), os.X_OK):
            raise SystemExit(f"ab: {folder} holds no executable issuerd")
        builds.append((name, folder))
    if len({name for name, _ in builds}) != len(builds):
        raise SystemExit("ab: build names must differ")
    return builds


def run_once(folder, out_path):
    env = dict(os.environ)
    env.setdefault("BENCH_DATABASES", "sqlite")
    env.setdefault("BENCH_CONNECTIONS", "64")
    env.update(QUIET)
    env["BUILD_DIR"] = folder
    env["BENCH_OUT"] = out_path
    done = subprocess.run([sys.executable, os.path.join(BENCH, "run.py")], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"ab: run.py failed for {folder} (rc {done.returncode}):\n{done.stdout[-2000:]}\n"
                         f"{done.stderr[-2000:]}")
    with open(out_path) as f:
        return json.load(f)


def runs_of(results):
    """(database, mix, connections key, figures) for every HTTP run in one run.py result."""
    for database in ("sqlite", "postgres"):
        for mix, by_connections in results.get(database, {}).items():
            for key, figures in by_connections.items():
                yield database, mix, key, figures


def run_line(name, database, mix, key, figures):
    return (f"{name:>10} {database:>8} {mix:>9} {key:>4} {figures['auth_per_s']:>9,.0f} auth/s  "
            f"p99 {figures['p99_ms']:7.2f} ms  batch {figures['mean_batch']:6.2f}  "
            f"CPU us/auth issuerd {figures['issuerd_cpu_us_per_auth']:6.1f} machine "
            f"{figures['machine_busy_us_per_auth']:6.1f}  idle {figures['machine_idle_pct']:4.1f} %")


def summary(builds, table):
    """table[(name, round)][(database, mix, key)] = figures"""
    first = builds[0][0]
    rounds = sorted({r for _, r in table})
    cases = sorted({case for runs in table.values() for case in runs})
    lines = []
    for case in cases:
        lines.append(" ".join(case))
        for name, _ in builds:
            runs = [(r, table[(name, r)][case]) for r in rounds if case in table.get((name, r), {})]
            if not runs:
                continue
            auth = [f["auth_per_s"] for _, f in runs]
            p99 = [f["p99_ms"] for _, f in runs]
            cpu = [f["issuerd_cpu_us_per_auth"] for _, f in runs]
            batch = [f["mean_batch"] for _, f in runs]
            line = (f"  {name:>10}: mean {sum(auth) / len(auth):9,.0f} auth/s over {len(runs)} runs, "
                    f"p99 {min(p99):.1f}-{max(p99):.1f} ms, issuerd CPU {min(cpu):.1f}-{max(cpu):.1f} us/auth, "
                    f"mean batch {sum(batch) / len(batch):.1f}")
            if name != first:
                pairs = [(f["auth_per_s"], table[(first, r)][case]["auth_per_s"])
                         for r, f in runs if case in table.get((first, r), {})]
                higher = sum(1 for mine, theirs in pairs if mine > theirs)
                line += f"; higher than {first} in {higher} of {len(pairs)}"
            lines.append(line)
    return "\n".join(lines)


def main():
    if len(sys.argv) < 3 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
        raise SystemExit(__doc__)
    rounds = int(sys.argv[1])
    builds = parse_builds(sys.argv[2:])
    out_dir = os.environ.get("BENCH_AB_DIR", "/tmp/issuerd-ab")
    os.makedirs(out_dir, exist_ok=True)
    table = {}
    for round_index in range(1, rounds + 1):
        for name, folder in builds:
            results = run_once(folder, os.path.join(out_dir, f"{name}-{round_index}.json"))
            table[(name, round_index)] = {}
            for database, mix, key, figures in runs_of(results):
                table[(name, round_index)][(database, mix, key)] = figures
                print(run_line(name, database, mix, key, figures), flush=True)
    print()
    print(summary(builds, table))


if __name__ == "__main__":
    main()
