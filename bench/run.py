#!/usr/bin/env python3
"""issuerd's benchmark (issue #8): `make bench` runs this after a Release build.

For each database (SQLite, then PostgreSQL in a private server from
scripts/pg-test-server.sh) it starts build/issuerd, creates the data set over HTTP
(bench/setup_data.py), and drives POST /sim/v1/authorizations with wrk
(bench/authorize.lua) at each connection count for two mixes:
  uniform    cards picked uniformly among the standard cards (each its own balance);
  hot_quota  cards picked uniformly among the shared cards of one budget quota.
Each run: a warm-up of BENCH_WARMUP, then BENCH_DURATION measured; the writer's mean batch
is the delta of issuerd_committed_commands_total / issuerd_commits_total over the measured
run (GET /metrics).

Before the databases, the HTTP ceiling (bench/http_ceiling): the same wrk script against a
server that only parses the JSON POST and answers it, a plain Boost.Beast one and issuerd's
own HTTP layer.
Then the PL/pgSQL baseline (bench/baseline/): the same authorization as one function in its
own database of the same PostgreSQL server, loaded with the same cards, driven by pgbench
-M prepared with the same client counts and mixes. And the decision alone
(decision_benchmark, Google Benchmark), and the authorization path without sockets
(engine_benchmark: the sim route's handler, the writer, the database).

Prints a table and writes bench/results/latest.json. Settings (environment):
  BENCH_DURATION=10s  BENCH_WARMUP=2s  BENCH_CONNECTIONS=1,16,64,256
  BENCH_DATABASES=sqlite,postgres  BENCH_BASELINE=1  BENCH_CEILING=1  BENCH_ENGINE=1 (the decision and
  engine-alone benchmarks)  BENCH_STANDARD=6000  BENCH_HOT=4000
  BENCH_OTHER_QUOTAS=5  BENCH_OTHER_CARDS=100  BENCH_ADPOS=500  BENCH_WORK_DIR=/tmp/issuerd-bench
  BENCH_OUT=bench/results/latest.json  BUILD_DIR=build  BENCH_ISSUERD_ARGS= (more issuerd flags)
"""

import csv
import datetime
import io
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")

MIXES = {"uniform": "cards_standard.txt", "hot_quota": "cards_hot.txt"}
# engine_benchmark's cases, by the mix they play (bench/engine_benchmark.cpp).
ENGINE_CASES = {"BM_EngineAuthorize": "uniform", "BM_EngineAuthorizeHotQuota": "hot_quota"}

# Issue #8's targets, for the report (nothing is tuned to meet them).
TARGETS = {"sqlite_auth_per_s_c64": 35000, "postgres_auth_per_s_c64": 20000, "p99_ms_c64": 10,
           "ratio_uniform": 3, "ratio_hot_quota": 20, "decision_per_s": 1_000_000}


def env(name, default):
    value = os.environ.get(name, "")
    return value if value else default


def log(message):
    print(message, file=sys.stderr, flush=True)


def seconds(text):
    match = re.fullmatch(r"(\d+)(ms|s|m)?", text.strip())
    if not match:
        raise SystemExit(f"bad duration {text!r} (e.g. 10s)")
    n, unit = int(match.group(1)), match.group(2) or "s"
    return n / 1000 if unit == "ms" else n * 60 if unit == "m" else n


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def git_state():
    def git(*args):
        out = subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True, check=False)
        return out.stdout.strip() if out.returncode == 0 else ""
    commit = git("rev-parse", "--short", "HEAD")
    changed = git("status", "--porcelain", "--", "src")
    return {"commit": commit or None, "src_has_uncommitted_changes": bool(changed)}


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu_model": model, "kernel": platform.release(),
            "load_average_at_start": list(os.getloadavg())}


def disk_sync_ms(work, rounds=100, block=65536):
    """What one durable commit costs this disk, the floor of every commit's latency: a 64 KiB
    write then fdatasync, inside a file already on disk (as PostgreSQL's preallocated WAL
    segments and a reused SQLite WAL) and at the end of a growing file (a file-system journal
    commit each time). At c connections a server that answers only after its commit is
    durable cannot pass c / (commit latency) answers a second."""
    path = os.path.join(work, "sync-probe")
    data = b"\x5a" * block
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, b"\0" * block * rounds)
        os.fsync(fd)
        started = time.monotonic()
        for i in range(rounds):
            os.pwrite(fd, data, i * block)
            os.fdatasync(fd)
        inside = (time.monotonic() - started) / rounds * 1000
        started = time.monotonic()
        for i in range(rounds):
            os.pwrite(fd, data, (rounds + i) * block)
            os.fdatasync(fd)
        growing = (time.monotonic() - started) / rounds * 1000
    finally:
        os.close(fd)
        os.unlink(path)
    return {"inside_file_ms": round(inside, 3), "growing_file_ms": round(growing, 3)}


def disk_sync_tail(work, seconds_total, block=458752, file_bytes=64 << 20, pause_s=0.002):
    """The disk's own slow syncs, the floor of the p99: a WAL's commit as the writer makes it
    at 64 connections (448 KiB, then fdatasync, about every 2 ms) into a file already written
    once, with nothing else running. A request waits for the sync of its batch, so every sync
    over 10 ms holds every request in flight, and wrk's p99 counts each of them several
    times (docs/benchmarks.md, "What each figure means")."""
    path = os.path.join(work, "sync-tail-probe")
    data = b"\x5a" * block
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    latencies_ms = []
    try:
        for offset in range(0, file_bytes, block):
            os.pwrite(fd, data, offset)
        os.fsync(fd)
        offset = 0
        deadline = time.monotonic() + seconds_total
        while time.monotonic() < deadline:
            started = time.monotonic()
            os.pwrite(fd, data, offset)
            os.fdatasync(fd)
            latencies_ms.append((time.monotonic() - started) * 1000)
            offset = offset + block if offset + 2 * block <= file_bytes else 0
            time.sleep(pause_s)
    finally:
        os.close(fd)
        os.unlink(path)
    ordered = sorted(latencies_ms)

    def at(q):
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 2)

    minutes = seconds_total / 60
    return {"seconds": seconds_total, "syncs": len(ordered), "p50_ms": at(0.5), "p99_ms": at(0.99),
            "p999_ms": at(0.999), "max_ms": round(ordered[-1], 2),
            "over_10ms_per_min": round(sum(1 for v in ordered if v > 10) / minutes, 1),
            "over_25ms_per_min": round(sum(1 for v in ordered if v > 25) / minutes, 1)}


# ---- issuerd ----

class Issuerd:
    def __init__(self, binary, database_url, work, name):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = "bench-" + secrets.token_hex(16)
        self.log_path = os.path.join(work, f"issuerd-{name}.log")
        key_dir = os.path.join(work, f"keys-{name}")
        shutil.rmtree(key_dir, ignore_errors=True)
        self.log_file = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [binary, "--listen", f"127.0.0.1:{self.port}", "--database", database_url, "--admin-token", self.token,
             "--key-dir", key_dir] + env("BENCH_ISSUERD_ARGS", "").split(),
            stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"issuerd exited ({self.process.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"issuerd did not answer /healthz; see {self.log_path}")

    def metrics(self):
        with urllib.request.urlopen(self.url + "/metrics", timeout=30) as r:
            text = r.read().decode()
        values = {}
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] in ("issuerd_commits_total", "issuerd_committed_commands_total",
                                                "issuerd_commit_duration_seconds_sum"):
                values[parts[0]] = float(parts[1])
            elif len(parts) == 2 and parts[0].startswith("issuerd_authorizations_total{"):
                values["authorizations"] = values.get("authorizations", 0.0) + float(parts[1])
            elif len(parts) == 2 and (parts[0] in SLOW_BATCH_BUCKETS or parts[0] in SLOW_REQUEST_BUCKETS
                                      or parts[0] == "issuerd_http_request_duration_seconds_count"):
                values[parts[0]] = float(parts[1])
        return values

    def written_bytes(self):
        """Bytes issuerd has caused to be written to storage (Linux /proc/PID/io), or None."""
        try:
            with open(f"/proc/{self.process.pid}/io") as f:
                for line in f:
                    if line.startswith("write_bytes:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    def invariants_ok(self):
        request = urllib.request.Request(self.url + "/admin/v1/ledger/invariants",
                                         headers={"Authorization": "Bearer " + self.token})
        try:
            with urllib.request.urlopen(request, timeout=300) as r:
                return bool(json.loads(r.read()).get("ok"))
        except OSError as e:
            log(f"  ledger invariants: {e}")
            return None

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


# The commit histogram's buckets (cumulative) below which a batch was not slow.
SLOW_BATCH_BUCKETS = {'issuerd_commit_duration_seconds_bucket{le="0.01"}': "batches_over_10ms",
                      'issuerd_commit_duration_seconds_bucket{le="0.025"}': "batches_over_25ms"}
# The same for requests inside issuerd (read to answer handed to the socket): what of the
# p99 wrk sees is issuerd's own, and what is the sockets' and the scheduler's.
SLOW_REQUEST_BUCKETS = {'issuerd_http_request_duration_seconds_bucket{le="0.01"}': "server_pct_over_10ms",
                        'issuerd_http_request_duration_seconds_bucket{le="0.025"}': "server_pct_over_25ms"}


def machine_cpu_seconds():
    """(busy, all) CPU seconds of the whole machine so far (/proc/stat): busy leaves out idle
    and iowait."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    per_s = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - ticks[3] - ticks[4]) / per_s, sum(ticks) / per_s


def children_cpu_seconds():
    """CPU time of the finished child processes (wrk once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid):
    """A process's CPU time so far, user + system, all threads (Linux /proc/PID/stat), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


class CpuMeter:
    """Where the two cores went during one wrk run, per request: the server's threads, wrk's,
    and the whole machine busy (the rest is the kernel's work for both, PostgreSQL, and
    anything else running). CPU per request measures a change to the server's own cost
    directly, where requests/s also move with the scheduling and the disk."""

    def __init__(self, pid):
        self.pid = pid
        self.before = (process_cpu_seconds(pid), machine_cpu_seconds(), children_cpu_seconds())

    def per_request_us(self, count, server, unit):
        """{server}_cpu_us_per_{unit}, wrk_cpu_us_per_{unit}, machine_busy_us_per_{unit} and
        machine_idle_pct since construction, for count requests; call once wrk has exited."""
        server_after, machine_after, wrk_after = (process_cpu_seconds(self.pid), machine_cpu_seconds(),
                                                  children_cpu_seconds())
        server_before, machine_before, wrk_before = self.before
        if count <= 0:
            return {}
        machine_busy_s = machine_after[0] - machine_before[0]
        figures = {}
        if server_before is not None and server_after is not None:
            figures[f"{server}_cpu_us_per_{unit}"] = round((server_after - server_before) * 1e6 / count, 1)
        figures[f"wrk_cpu_us_per_{unit}"] = round((wrk_after - wrk_before) * 1e6 / count, 1)
        figures[f"machine_busy_us_per_{unit}"] = round(machine_busy_s * 1e6 / count, 1)
        figures["machine_idle_pct"] = round(100 * (1 - machine_busy_s / (machine_after[1] - machine_before[1])), 1)
        return figures


def wrk(url, cards_file, api_key, connections, duration):
    threads = max(1, min(2, connections))
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, int(round(duration)))}s", "--timeout", "10s", "--latency",
           "-s", os.path.join(BENCH, "authorize.lua"), url, "--", cards_file, api_key]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line[len("BENCH_RESULT "):])
    raise RuntimeError(f"wrk gave no result (rc {out.returncode}):\n{out.stdout}\n{out.stderr}")


def bench_issuerd(name, database_url, binary, work, settings):
    log(f"== issuerd on {name}")
    server = Issuerd(binary, database_url, work, name)
    result = {}
    try:
        data_dir = os.path.join(work, f"data-{name}")
        log(f"  creating the data set over HTTP ({server.url})")
        subprocess.run([sys.executable, os.path.join(BENCH, "setup_data.py"), "--url", server.url,
                        "--admin-token", server.token, "--out", data_dir,
                        "--standard", str(settings["standard"]), "--hot", str(settings["hot"]),
                        "--other-quotas", str(settings["other_quotas"]), "--other-cards", str(settings["other_cards"]),
                        "--adpos", str(settings["adpos"])],
                       check=True)
        with open(os.path.join(data_dir, "setup.json")) as f:
            setup = json.load(f)
        result["setup"] = {k: setup[k] for k in ("cards", "cards_by_kind", "daily_limited_cards", "concurrency",
                                                 "timings_s")}
        for mix, cards_name in MIXES.items():
            cards_file = os.path.join(data_dir, cards_name)
            result[mix] = {}
            for c in settings["connections"]:
                wrk(server.url, cards_file, setup["api_key"], c, settings["warmup"])
                before = server.metrics()
                written_before = server.written_bytes()
                cpu = CpuMeter(server.process.pid)
                run = wrk(server.url, cards_file, setup["api_key"], c, settings["duration"])
                after = server.metrics()
                written_after = server.written_bytes()

                def delta(name):
                    return after.get(name, 0) - before.get(name, 0)

                commits = delta("issuerd_commits_total")
                commands = delta("issuerd_committed_commands_total")
                busy = delta("issuerd_commit_duration_seconds_sum")
                run["mean_batch"] = round(commands / commits, 2) if commits > 0 else None
                run["commits_per_s"] = round(commits / run["duration_s"], 1) if run["duration_s"] > 0 else None
                # The writer's time in batches (begin to commit) over the run, and per command.
                run["writer_busy"] = round(busy / run["duration_s"], 3) if run["duration_s"] > 0 else None
                run["writer_ms_per_command"] = round(busy * 1000 / commands, 3) if commands > 0 else None
                # Batches also carry the server's own commands (the callback deliverer's outbox
                # updates, jobs): the authorizations alone per commit.
                auths = delta("authorizations")
                run["authorizations_per_commit"] = round(auths / commits, 2) if commits > 0 else None
                run["other_commands_per_authorization"] = round((commands - auths) / auths, 3) if auths > 0 else None
                # Batches slower than 10 and 25 ms: each holds its own requests and the next
                # batch's, so a few per second are the p99 (docs/benchmarks.md, the p99).
                for bucket, field in SLOW_BATCH_BUCKETS.items():
                    run[field] = int(commits - delta(bucket))
                requests = delta("issuerd_http_request_duration_seconds_count")
                for bucket, field in SLOW_REQUEST_BUCKETS.items():
                    run[field] = round(100 * (requests - delta(bucket)) / requests, 2) if requests > 0 else None
                # What the WAL and the checkpoints wrote per authorization (the disk's load).
                run["written_kib_per_authorization"] = (
                    round((written_after - written_before) / 1024 / auths, 2)
                    if auths > 0 and written_before is not None and written_after is not None else None)
                run.update(cpu.per_request_us(auths, "issuerd", "auth"))
                run["load_average"] = round(os.getloadavg()[0], 2)
                result[mix][f"c{c}"] = run
                log(f"  {mix:9} c={c:<3} {run['auth_per_s']:9.0f} auth/s  p50 {run['p50_ms']:8.2f} ms  "
                    f"p99 {run['p99_ms']:8.2f} ms  approved {run['approved']:6}  declined {run['declined']:6}  "
                    f"errors {run['non_201']}  batch {run['mean_batch']}  writer busy {run['writer_busy']}  "
                    f"batches over 10 / 25 ms {run['batches_over_10ms']} / {run['batches_over_25ms']}  "
                    f"server over 10 / 25 ms {run['server_pct_over_10ms']} / {run['server_pct_over_25ms']} %  "
                    f"written {run['written_kib_per_authorization']} KiB/auth  CPU us/auth: issuerd "
                    f"{run.get('issuerd_cpu_us_per_auth')} wrk {run.get('wrk_cpu_us_per_auth')} machine "
                    f"{run.get('machine_busy_us_per_auth')} (idle {run.get('machine_idle_pct')} %)")
        result["ledger_invariants_ok"] = server.invariants_ok()
        result["data_dir"] = data_dir
    finally:
        server.stop()
    return result


# ---- the HTTP ceiling ----

# bench/http_ceiling's two servers: the name in the results, and its --server flag.
CEILING_SERVERS = {"beast": "beast", "issuerd_http": "issuerd"}


def wait_for_port(port, process, seconds_max=30):
    deadline = time.monotonic() + seconds_max
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited ({process.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def bench_http_ceiling(build_dir, work, settings):
    """The same wrk script against bench/http_ceiling, a server that parses the JSON POST and
    answers it without authorizing anything: the most any authorization server could carry on
    this machine with wrk beside it (issue #8's "HTTP ceiling")."""
    binary = os.path.join(build_dir, "bench", "http_ceiling")
    if not os.path.exists(binary):
        log("http_ceiling was not built (Google Benchmark missing, so bench/ was not either?)")
        return {}
    cards_file = os.path.join(work, "ceiling-cards.txt")
    with open(cards_file, "w") as f:
        f.writelines(f"{379122577000000 + i}\n" for i in range(1000))
    results = {}
    for name, flag in CEILING_SERVERS.items():
        port = free_port()
        with open(os.path.join(work, f"http-ceiling-{flag}.log"), "wb") as server_log:
            process = subprocess.Popen([binary, "--server", flag, "--port", str(port)], stdout=server_log,
                                       stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, process)
            url = f"http://127.0.0.1:{port}"
            results[name] = {}
            for c in settings["connections"]:
                wrk(url, cards_file, "unused", c, settings["warmup"])
                cpu = CpuMeter(process.pid)
                run = wrk(url, cards_file, "unused", c, settings["duration"])
                figures = {k: run[k] for k in ("requests_per_s", "p50_ms", "p99_ms", "non_201")}
                figures.update(cpu.per_request_us(run["requests"], "server", "request"))
                results[name][f"c{c}"] = figures
                log(f"  HTTP ceiling, {name:12} c={c:<3} {run['requests_per_s']:9.0f} requests/s  "
                    f"p50 {run['p50_ms']:8.2f} ms  p99 {run['p99_ms']:8.2f} ms  errors {run['non_201']}  "
                    f"CPU us/request: server {figures.get('server_cpu_us_per_request')} "
                    f"wrk {figures['wrk_cpu_us_per_request']} machine {figures['machine_busy_us_per_request']} "
                    f"(idle {figures['machine_idle_pct']} %)")
        finally:
            process.terminate()
            process.wait()
    return results


# ---- PostgreSQL ----

class Postgres:
    def __init__(self, work):
        self.dir = os.path.join(work, "pg")
        self.script = os.path.join(ROOT, "scripts", "pg-test-server.sh")
        # The cluster's folder must be reachable by the postgres OS user when run as root.
        os.makedirs(work, exist_ok=True)
        os.chmod(work, 0o755)
        self.url = self._start()
        # pgbench at 256 clients and issuerd's pool need more than the script's 200.
        self.psql("postgres", "ALTER SYSTEM SET max_connections = 400")
        self.psql("postgres", "ALTER SYSTEM SET shared_buffers = '256MB'")
        # A write-heavy server's usual settings: with the default 1 GB of WAL between
        # checkpoints, checkpoints ran back to back through the PostgreSQL runs, and after
        # each one starts the first change to every page writes the whole page to the WAL.
        self.psql("postgres", "ALTER SYSTEM SET max_wal_size = '8GB'")
        self.psql("postgres", "ALTER SYSTEM SET checkpoint_timeout = '30min'")
        subprocess.run(["bash", self.script, "stop", self.dir], check=True)
        self.url = self._start()
        for db in ("issuerd_bench", "baseline", "engine_bench"):
            self.psql("postgres", f"DROP DATABASE IF EXISTS {db}")
            self.psql("postgres", f"CREATE DATABASE {db}")
        self.user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")

    def _start(self):
        out = subprocess.run(["bash", self.script, "start", self.dir], capture_output=True, text=True, check=True)
        return out.stdout.strip().splitlines()[-1]

    def database_url(self, db):
        return self.url.replace("postgresql:///postgres?", f"postgresql:///{db}?", 1)

    def psql(self, db, sql=None, stdin=None, file=None):
        cmd = ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", self.database_url(db)]
        if sql is not None:
            cmd += ["-c", sql]
        if file is not None:
            cmd += ["-f", file]
        return subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=True).stdout

    def stop(self):
        subprocess.run(["bash", self.script, "stop", self.dir], check=False)


def load_baseline(pg, data_dir):
    pg.psql("baseline", file=os.path.join(BENCH, "baseline", "schema.sql"))
    with open(os.path.join(data_dir, "setup.json")) as f:
        setup = json.load(f)
    with open(os.path.join(data_dir, "cards.csv")) as f:
        cards = list(csv.DictReader(f))
    hot_funding = int(round(float(setup["hot_quota_funding"]) * 100))
    quota_ids = {}
    accounts = io.StringIO()
    quotas = io.StringIO()
    rows = io.StringIO()
    for card in cards:
        if card["kind"] != "standard" and card["kind"] not in quota_ids:
            quota_id = len(quota_ids) + 1
            quota_ids[card["kind"]] = quota_id
            funding = hot_funding if card["kind"] == "hot" else 10_000_000  # 100,000.00 like setup_data.py
            accounts.write(f"{1_000_000 + quota_id}\t{funding}\n")
            quotas.write(f"{quota_id}\t{card['kind']}\t{1_000_000 + quota_id}\n")
    for card in cards:
        n = card["n"]
        daily = card["daily_limit_minor"] or "\\N"
        if card["kind"] == "standard":
            accounts.write(f"{n}\t{card['balance_minor']}\n")
            rows.write(f"{n}\tstandard\t{n}\t\\N\t\\N\t{daily}\n")
        else:
            rows.write(f"{n}\t{card['kind']}\t\\N\t{quota_ids[card['kind']]}\t{card['cap_limit_minor']}\t{daily}\n")
    copy = ("\\copy accounts (account_id, balance_minor) FROM stdin\n" + accounts.getvalue() + "\\.\n" +
            "\\copy quotas (quota_id, name, account_id) FROM stdin\n" + quotas.getvalue() + "\\.\n" +
            "\\copy cards (card_id, kind, account_id, quota_id, cap_limit_minor, daily_limit_minor) FROM stdin\n" +
            rows.getvalue() + "\\.\n" + "VACUUM ANALYZE;\n")
    pg.psql("baseline", stdin=copy)
    # Card id ranges of the two mixes (cards.csv lists the standard cards, then the hot ones).
    standard = [int(c["n"]) for c in cards if c["kind"] == "standard"]
    hot = [int(c["n"]) for c in cards if c["kind"] == "hot"]
    assert standard == list(range(standard[0], standard[-1] + 1)) and hot == list(range(hot[0], hot[-1] + 1))
    return {"uniform": (standard[0], standard[-1]), "hot_quota": (hot[0], hot[-1])}


def pgbench(pg, lo, hi, clients, duration, log_dir, warmup=False):
    shutil.rmtree(log_dir, ignore_errors=True)
    os.makedirs(log_dir)
    os.chmod(log_dir, 0o777)
    host = re.search(r"host=([^&]+)", pg.url).group(1)
    host = urllib.request.unquote(host)
    cmd = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(max(1, min(2, clients))),
           "-T", str(max(1, int(round(duration)))), "-D", f"lo={lo}", "-D", f"hi={hi}", "-l",
           "--log-prefix", os.path.join(log_dir, "tx"), "-h", host, "-U", pg.user,
           "-f", os.path.join(BENCH, "baseline", "authorize.pgbench"), "baseline"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"pgbench failed:\n{out.stdout}\n{out.stderr}")
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    if match is None:
        if warmup:
            return None
        raise RuntimeError(f"pgbench printed no tps:\n{out.stdout}\n{out.stderr}")
    tps = float(match.group(1))
    avg = re.search(r"latency average = ([\d.]+) ms", out.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    latencies = []
    for name in os.listdir(log_dir):
        with open(os.path.join(log_dir, name)) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    latencies.append(int(parts[2]))
    latencies.sort()

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] / 1000, 3) if latencies else None

    return {"tps": tps, "mean_ms": float(avg.group(1)) if avg else None, "p50_ms": pct(50), "p99_ms": pct(99),
            "transactions": len(latencies), "failed": int(failed.group(1)) if failed else 0}


def bench_baseline(pg, data_dir, work, settings):
    log("== PL/pgSQL baseline (pgbench -M prepared)")
    started = time.monotonic()
    ranges = load_baseline(pg, data_dir)
    result = {"load_s": round(time.monotonic() - started, 2)}
    outcome = pg.psql("baseline", "SELECT count(*) FROM cards")
    result["cards"] = int(outcome.strip())
    log_dir = os.path.join(work, "pgbench-log")
    for mix, (lo, hi) in ranges.items():
        result[mix] = {}
        for c in settings["connections"]:
            pgbench(pg, lo, hi, c, max(1, settings["warmup"]), log_dir, warmup=True)
            run = pgbench(pg, lo, hi, c, settings["duration"], log_dir)
            result[mix][f"c{c}"] = run
            log(f"  {mix:9} c={c:<3} {run['tps']:9.0f} tps     p50 {run['p50_ms']:8.2f} ms  p99 {run['p99_ms']:8.2f} ms")
    codes = pg.psql("baseline", "SELECT response_code || ':' || count(*) FROM authorizations GROUP BY response_code ORDER BY response_code")
    result["response_codes"] = " ".join(codes.split())
    return result


# ---- the decision alone ----

def decision_benchmark(build_dir):
    binary = os.path.join(build_dir, "bench", "decision_benchmark")
    if not os.path.exists(binary):
        log("decision_benchmark was not built (Google Benchmark missing?)")
        return None, {}
    out = subprocess.run([binary, "--benchmark_format=json", "--benchmark_min_time=1"], capture_output=True, text=True,
                         check=True)
    report = json.loads(out.stdout)
    per_s = {b["name"]: round(b["items_per_second"]) for b in report["benchmarks"]}
    log(f"== decision alone: {per_s}")
    return per_s.get("BM_DecideMixed"), per_s


# ---- the authorization path without sockets ----

def engine_benchmark(build_dir, database_url=None):
    """bench/engine_benchmark.cpp: the sim route's handler, the writer and the database, no HTTP."""
    binary = os.path.join(build_dir, "bench", "engine_benchmark")
    if not os.path.exists(binary):
        log("engine_benchmark was not built (Google Benchmark missing?)")
        return {}
    env_vars = dict(os.environ)
    if database_url:
        env_vars["ENGINE_BENCH_DATABASE"] = database_url
    out = subprocess.run([binary, "--benchmark_format=json", "--benchmark_min_time=3"], capture_output=True,
                         text=True, check=True, env=env_vars)
    result = {}
    for b in json.loads(out.stdout)["benchmarks"]:
        case, in_flight = b["name"].split("/")[:2]
        mix = ENGINE_CASES[case]
        result.setdefault(mix, {})[f"c{in_flight}"] = {
            "auth_per_s": round(b["items_per_second"]), "mean_batch": round(b["mean_batch"], 2),
            "cpu_us_per_auth": round(b["cpu_us_per_auth"], 1)}
    for mix, runs in result.items():
        log(f"== engine alone on {'postgres' if database_url else 'sqlite'}, {mix}: "
            + "  ".join(f"{k} {v['auth_per_s']}/s (batch {v['mean_batch']}, {v['cpu_us_per_auth']} us CPU)"
                        for k, v in runs.items()))
    return result


# ---- the report ----

def table(results):
    lines = []
    base = results.get("baseline_plpgsql", {})
    lines.append(f"{'database':9} {'mix':9} {'conns':>5} {'auth/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
                 f"{'approved':>9} {'declined':>9} {'errors':>6} {'batch':>7} {'busy':>5} {'baseline':>9} {'ratio':>6}")
    for db in ("sqlite", "postgres"):
        for mix in MIXES:
            for key, run in results.get(db, {}).get(mix, {}).items():
                b = base.get(mix, {}).get(key, {}).get("tps")
                ratio = f"{run['auth_per_s'] / b:6.2f}" if b else "     -"
                lines.append(f"{db:9} {mix:9} {key[1:]:>5} {run['auth_per_s']:9.0f} {run['p50_ms']:8.2f} "
                             f"{run['p99_ms']:8.2f} {run['approved']:9} {run['declined']:9} {run['non_201']:6} "
                             f"{str(run['mean_batch']):>7} {run['writer_busy'] or 0:5.2f} "
                             f"{(f'{b:9.0f}' if b else '        -')} {ratio}")
    for mix in MIXES:
        for key, run in base.get(mix, {}).items():
            lines.append(f"{'plpgsql':9} {mix:9} {key[1:]:>5} {run['tps']:9.0f} {run['p50_ms']:8.2f} "
                         f"{run['p99_ms']:8.2f}")
    for name, runs in results.get("http_ceiling", {}).items():
        lines.append(f"HTTP ceiling ({name}): " + ", ".join(
            f"{key[1:]} connections {run['requests_per_s']:,.0f} requests/s" for key, run in runs.items()))
    for db, mixes in results.get("share_of_http_ceiling", {}).items():
        lines.append(f"{db} as a share of the plain Beast server: " + "; ".join(
            f"{mix} " + ", ".join(f"{key[1:]} {share:.0%}" for key, share in runs.items())
            for mix, runs in mixes.items()))
    if results.get("decision_per_s"):
        lines.append(f"decision alone (domain::decide, one core): {results['decision_per_s']:,.0f} decisions/s")
    for db, mixes in results.get("engine_alone", {}).items():
        for mix, runs in mixes.items():
            lines.append(f"engine alone ({db}, {mix}, no HTTP): " + ", ".join(
                f"{key[1:]} in flight {run['auth_per_s']:,}/s (batch {run['mean_batch']})" for key, run in runs.items()))
    return "\n".join(lines)


def markdown(results):
    """The figures as the Markdown tables of docs/benchmarks.md."""
    base = results.get("baseline_plpgsql", {})
    out = ["| database | mix | conns | auth/s | p50 ms | p99 ms | approved | declined | mean batch | writer busy "
           "| over 10 ms inside | CPU µs/auth issuerd / machine | PL/pgSQL tps | ratio |",
           "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for db in ("sqlite", "postgres"):
        for mix in MIXES:
            for key, run in results.get(db, {}).get(mix, {}).items():
                b = base.get(mix, {}).get(key, {}).get("tps")
                inside = run.get("server_pct_over_10ms")
                cpu = f"{run.get('issuerd_cpu_us_per_auth', '-')} / {run.get('machine_busy_us_per_auth', '-')}"
                out.append(f"| {db} | {mix} | {key[1:]} | {run['auth_per_s']:,.0f} | {run['p50_ms']:.1f} | "
                           f"{run['p99_ms']:.1f} | {run['approved']:,} | {run['declined']:,} | {run['mean_batch']} | "
                           f"{run['writer_busy']:.2f} | {f'{inside} %' if inside is not None else '-'} | {cpu} | "
                           + (f"{b:,.0f} | {run['auth_per_s'] / b:.2f} |" if b else "- | - |"))
    out += ["", "| PL/pgSQL baseline | conns | tps | p50 ms | p99 ms |", "|---|--:|--:|--:|--:|"]
    for mix in MIXES:
        for key, run in base.get(mix, {}).items():
            out.append(f"| {mix} | {key[1:]} | {run['tps']:,.0f} | {run['p50_ms']:.1f} | {run['p99_ms']:.1f} |")
    ceiling = results.get("http_ceiling", {})
    if ceiling:
        out += ["", "| HTTP ceiling (bench/http_ceiling) | conns | requests/s | p50 ms | p99 ms "
                "| CPU µs/request server / machine |", "|---|--:|--:|--:|--:|--:|"]
        for name, runs in ceiling.items():
            for key, run in runs.items():
                out.append(f"| {name} | {key[1:]} | {run['requests_per_s']:,.0f} | {run['p50_ms']:.1f} | "
                           f"{run['p99_ms']:.1f} | {run.get('server_cpu_us_per_request', '-')} / "
                           f"{run.get('machine_busy_us_per_request', '-')} |")
    engine = results.get("engine_alone", {})
    if engine:
        out += ["", "| engine alone (no HTTP) | mix | in flight | auth/s | mean batch | issuerd CPU µs/auth |",
                "|---|---|--:|--:|--:|--:|"]
        for db, mixes in engine.items():
            for mix, runs in mixes.items():
                for key, run in runs.items():
                    out.append(f"| {db} | {mix} | {key[1:]} | {run['auth_per_s']:,} | {run['mean_batch']} | "
                               f"{run.get('cpu_us_per_auth', '-')} |")
    return "\n".join(out)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--markdown":
        path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(BENCH, "results", "latest.json")
        with open(path) as f:
            print(markdown(json.load(f)))
        return
    settings = {
        "duration": seconds(env("BENCH_DURATION", "10s")),
        "warmup": seconds(env("BENCH_WARMUP", "2s")),
        "connections": [int(c) for c in env("BENCH_CONNECTIONS", "1,16,64,256").split(",")],
        "databases": [d for d in env("BENCH_DATABASES", "sqlite,postgres").split(",") if d],
        "baseline": env("BENCH_BASELINE", "1") not in ("0", "no", "false"),
        "http_ceiling": env("BENCH_CEILING", "1") not in ("0", "no", "false"),
        "engine": env("BENCH_ENGINE", "1") not in ("0", "no", "false"),
        "standard": int(env("BENCH_STANDARD", "6000")),
        "hot": int(env("BENCH_HOT", "4000")),
        "other_quotas": int(env("BENCH_OTHER_QUOTAS", "5")),
        "other_cards": int(env("BENCH_OTHER_CARDS", "100")),
        "adpos": int(env("BENCH_ADPOS", "500")),
        "issuerd_args": env("BENCH_ISSUERD_ARGS", ""),
    }
    for tool in ("wrk", "pgbench", "psql"):
        if shutil.which(tool) is None:
            raise SystemExit(f"bench: {tool} is not installed (apt-get install wrk postgresql-15)")
    build_dir = os.path.abspath(env("BUILD_DIR", os.path.join(ROOT, "build")))
    work = os.path.abspath(env("BENCH_WORK_DIR", "/tmp/issuerd-bench"))
    out_path = os.path.abspath(env("BENCH_OUT", os.path.join(BENCH, "results", "latest.json")))
    binary = os.path.join(build_dir, "issuerd")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.chmod(work, 0o755)

    started = time.monotonic()
    results = {"machine": machine(),
               "command": "make bench (BENCH_DURATION=%ss BENCH_WARMUP=%ss BENCH_CONNECTIONS=%s)" % (
                   env("BENCH_DURATION", "10s").rstrip("s"), env("BENCH_WARMUP", "2s").rstrip("s"),
                   ",".join(map(str, settings["connections"]))),
               "git": git_state(),
               "started_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "settings": {k: v for k, v in settings.items()}}
    log(f"machine: {results['machine']['nproc']} x {results['machine']['cpu_model']}, "
        f"load {results['machine']['load_average_at_start']}")
    results["machine"]["fdatasync"] = disk_sync_ms(work)
    log(f"disk: a 64 KiB write + fdatasync takes {results['machine']['fdatasync']['inside_file_ms']} ms inside a "
        f"file, {results['machine']['fdatasync']['growing_file_ms']} ms at the end of a growing one")

    probe_s = seconds(env("BENCH_DISK_PROBE", "20s"))
    if probe_s > 0:
        tail = disk_sync_tail(work, probe_s)
        results["machine"]["sync_tail"] = tail
        log(f"disk: 448 KiB + fdatasync every 2 ms for {probe_s:g} s: p50 {tail['p50_ms']} ms, p99 {tail['p99_ms']}, "
            f"p99.9 {tail['p999_ms']}, max {tail['max_ms']}; over 10 / 25 ms {tail['over_10ms_per_min']} / "
            f"{tail['over_25ms_per_min']} a minute")

    if settings["engine"]:
        decision, decision_all = decision_benchmark(build_dir)
        results["decision_per_s"] = decision
        results["decision_benchmarks_per_s"] = decision_all

    if settings["http_ceiling"]:
        log("== the HTTP ceiling (bench/http_ceiling: parse the JSON POST, answer it)")
        results["http_ceiling"] = bench_http_ceiling(build_dir, work, settings)

    pg = None
    try:
        if "postgres" in settings["databases"] or settings["baseline"]:
            log("== starting a private PostgreSQL server")
            pg = Postgres(work)
        if settings["engine"]:
            results["engine_alone"] = {
                db: engine_benchmark(build_dir, pg.database_url("engine_bench") if db == "postgres" else None)
                for db in settings["databases"]}
        data_dir = None
        for db in settings["databases"]:
            if db == "sqlite":
                url = "sqlite:" + os.path.join(work, "issuerd-bench.db")
            elif db == "postgres":
                url = pg.database_url("issuerd_bench")
            else:
                raise SystemExit(f"unknown database {db}")
            results[db] = bench_issuerd(db, url, binary, work, settings)
            data_dir = results[db].pop("data_dir")
            results.setdefault("setup", {})[db] = results[db].pop("setup")
            results.setdefault("ledger_invariants_ok", {})[db] = results[db].pop("ledger_invariants_ok")
        if settings["baseline"]:
            if data_dir is None:
                # No issuerd run: make a data set anyway (the baseline loads issuerd's cards).
                raise SystemExit("the baseline loads the data set issuerd made: run at least one database")
            results["baseline_plpgsql"] = bench_baseline(pg, data_dir, work, settings)
    finally:
        if pg:
            pg.stop()

    ratios = {}
    base = results.get("baseline_plpgsql", {})
    for db in ("sqlite", "postgres"):
        for mix in MIXES:
            for key, run in results.get(db, {}).get(mix, {}).items():
                b = base.get(mix, {}).get(key, {}).get("tps")
                if b:
                    ratios.setdefault(db, {}).setdefault(mix, {})[key] = round(run["auth_per_s"] / b, 3)
    results["ratio_to_baseline"] = ratios
    # Each run's share of the plain Beast server's requests/s at the same connections.
    ceiling = results.get("http_ceiling", {}).get("beast", {})
    shares = {}
    for db in ("sqlite", "postgres"):
        for mix in MIXES:
            for key, run in results.get(db, {}).get(mix, {}).items():
                if ceiling.get(key, {}).get("requests_per_s"):
                    shares.setdefault(db, {}).setdefault(mix, {})[key] = round(
                        run["auth_per_s"] / ceiling[key]["requests_per_s"], 3)
    results["share_of_http_ceiling"] = shares
    results["targets"] = TARGETS
    results["machine"]["load_average_at_end"] = list(os.getloadavg())
    results["total_s"] = round(time.monotonic() - started, 1)

    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    print(table(results))
    print(f"\nwritten to {os.path.relpath(out_path, ROOT)}; whole run {results['total_s']:.0f} s")


if __name__ == "__main__":
    main()
