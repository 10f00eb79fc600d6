#!/usr/bin/env python3
"""issuerd's soak test (issue #9): `make soak` runs this after a Release build. Not in CI.

Starts build/issuerd on SQLite (SOAK_DB=postgres: a private PostgreSQL from
scripts/pg-test-server.sh, as bench/run.py does), creates a data set over HTTP with
bench/setup_data.py (a merchant, funded standard cards, a budget quota with shared cards),
then for SOAK_SECONDS runs mixed load near peak throughput:
  - wrk with bench/authorize.lua driving POST /sim/v1/authorizations over SOAK_CONNECTIONS
    connections on every card (the peak of docs/benchmarks.md is at about 64);
  - SOAK_CLIENTS Python threads doing SOAK_RATE operations a second in all, each one step
    of a card's life: an authorization then its capture, its reversal, or its capture and a
    partial refund; a top-up of a standard card; a raise of a shared card's limit (the same
    MusePay top-up route); a quota adjustment, funding and defunding in turn.
issuerd's RSS (/proc/PID/status VmRSS) is sampled when the load starts, after the warm-up
(the "start" figure), every 30 s and once the load has stopped (the "end"); each sample is
the floor of a 3 s window (RSS swings by ~20 MiB within a second as batches come and go). Errors: transport errors and 5xx, and any
answer the request's design does not expect (every request here is built to succeed; a
declined authorization is an outcome, not an error). At the end GET
/admin/v1/ledger/invariants must be ok.

Prints a report, writes bench/results/soak-latest.json, and exits 1 if there was any
error, the invariants failed, or RSS grew by more than SOAK_RSS_GROWTH_MIB between the
start and the end sample (docs/reliability.md says why 64 MiB).

Settings (environment):
  SOAK_SECONDS=600  SOAK_DB=sqlite|postgres  SOAK_CONNECTIONS=64  SOAK_CLIENTS=8  SOAK_RATE=40
  SOAK_WARMUP=30 (at most a quarter of SOAK_SECONDS)  SOAK_RSS_GROWTH_MIB=64
  SOAK_STANDARD=2000  SOAK_HOT=1000  SOAK_WORK_DIR=/tmp/issuerd-soak
  SOAK_OUT=bench/results/soak-latest.json  BUILD_DIR=build
Python 3's standard library only, plus wrk.
"""

import argparse
import datetime
import http.client
import json
import os
import random
import shutil
import sys
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
sys.path.insert(0, BENCH)

import run as bench_run  # noqa: E402  (bench/run.py: Issuerd, Postgres, wrk, machine)
import setup_data  # noqa: E402  (bench/setup_data.py: the data set)

SAMPLE_EVERY_S = 30
RSS_WINDOW_S = 3
MIB = 1024 * 1024


def env(name, default):
    value = os.environ.get(name, "")
    return value if value else default


def log(message):
    print(message, file=sys.stderr, flush=True)


def read_settings():
    seconds = int(env("SOAK_SECONDS", "600"))
    return {
        "seconds": seconds,
        # Long enough for caches and pools to fill; a quarter at most, so a short run measures.
        "warmup_s": min(int(env("SOAK_WARMUP", "30")), seconds // 4),
        "database": env("SOAK_DB", "sqlite"),
        "connections": int(env("SOAK_CONNECTIONS", "64")),
        "clients": int(env("SOAK_CLIENTS", "8")),
        "rate_per_s": float(env("SOAK_RATE", "40")),
        "rss_growth_bound_mib": float(env("SOAK_RSS_GROWTH_MIB", "64")),
        "standard_cards": int(env("SOAK_STANDARD", "2000")),
        "shared_cards": int(env("SOAK_HOT", "1000")),
    }


# ---- the server and the data set ----

class SoakSetup(setup_data.Setup):
    """setup_data's data set, keeping the cards (with their holders) for the client threads."""

    def write(self, cards, hot_quota, adpos):
        super().write(cards, hot_quota, adpos)
        self.cards = cards
        self.hot_quota = hot_quota


def create_data_set(server, work, settings):
    args = argparse.Namespace(url=server.url, admin_token=server.token, out=os.path.join(work, "data"),
                              standard=settings["standard_cards"], hot=settings["shared_cards"],
                              other_quotas=0, other_cards=0, adpos=0, concurrency=16, seed=9)
    setup = SoakSetup(args)
    setup.run()
    return setup


def wrk_cards_file(data_dir):
    """Every card, standard and shared, so wrk exercises both funding sources."""
    path = os.path.join(data_dir, "cards_all.txt")
    with open(path, "w") as out:
        for name in ("cards_standard.txt", "cards_hot.txt"):
            with open(os.path.join(data_dir, name)) as f:
                out.write(f.read())
    return path


def start_database(settings, work):
    """(database URL, Postgres or None)."""
    if settings["database"] == "sqlite":
        return "sqlite:" + os.path.join(work, "issuerd-soak.db"), None
    if settings["database"] != "postgres":
        raise SystemExit(f"SOAK_DB must be sqlite or postgres, not {settings['database']!r}")
    pg = bench_run.Postgres(work)
    pg.psql("postgres", "DROP DATABASE IF EXISTS issuerd_soak")
    pg.psql("postgres", "CREATE DATABASE issuerd_soak")
    return pg.database_url("issuerd_soak"), pg


# ---- counting ----

class Tally:
    """Requests, outcomes and errors by kind, shared by the client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = {}
        self.errors = {}
        self.outcomes = {}
        self.error_samples = []

    def request(self, kind):
        with self.lock:
            self.requests[kind] = self.requests.get(kind, 0) + 1

    def outcome(self, name):
        with self.lock:
            self.outcomes[name] = self.outcomes.get(name, 0) + 1

    def error(self, kind, detail):
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.error_samples) < 10:
                self.error_samples.append(f"{kind}: {detail}")


class TransportError(Exception):
    pass


class Api:
    """One keep-alive connection per thread and no retries: every failure is counted."""

    def __init__(self, url, api_key, merchant_id):
        host_port = url.split("//", 1)[1]
        self.host, self.port = host_port.split(":")
        self.api_key = api_key
        self.merchant_id = merchant_id
        self.conn = None

    def post(self, path, body, idempotency_key=None):
        headers = {"Content-Type": "application/json", "x-api-key": self.api_key}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, int(self.port), timeout=30)
        try:
            self.conn.request("POST", path, body=json.dumps(body).encode(), headers=headers)
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as e:
            self.conn.close()
            self.conn = None
            raise TransportError(f"{type(e).__name__}: {e}") from e
        try:
            return response.status, json.loads(payload) if payload else None
        except ValueError:
            return response.status, None

    def musepay(self, path, body):
        signed = dict(body, partner_id=self.merchant_id, timestamp=str(int(time.time() * 1000)),
                      nonce=uuid.uuid4().hex)
        return self.post(path, signed)


# ---- the client threads ----

def cents_text(cents):
    return f"{cents // 100}.{cents % 100:02d}"


class Client(threading.Thread):
    """Runs operations at its share of SOAK_RATE until stopped. Each request is built to
    succeed, so any answer but the expected one is an error."""

    def __init__(self, index, server_url, setup, tally, rate_per_s, stop):
        super().__init__(name=f"soak-client-{index}", daemon=True)
        self.index = index
        self.api = Api(server_url, setup.api_key, setup.merchant_id)
        self.standard = [c for c in setup.cards if c["kind"] == "standard"]
        self.shared = [c for c in setup.cards if c["kind"] == "hot"]
        self.all_cards = self.standard + self.shared
        self.quota_id = setup.hot_quota
        self.tally = tally
        self.interval_s = 1.0 / rate_per_s
        self.stop = stop
        self.random = random.Random(index)
        self.sequence = 0
        self.defund_next = False
        # Weights: the authorization's life cycle dominates, as it does for a card program.
        self.operations = ([self.authorize_and_capture] * 3 + [self.authorize_and_reverse] * 2 +
                           [self.authorize_capture_and_refund] * 2 +
                           [self.top_up_card, self.raise_card_limit, self.adjust_quota])

    def run(self):
        next_at = time.monotonic()
        while not self.stop.is_set():
            self.random.choice(self.operations)()
            next_at += self.interval_s
            # Behind schedule (the server is saturated): carry on without a burst to catch up.
            next_at = max(next_at, time.monotonic() - self.interval_s)
            self.stop.wait(max(0.0, next_at - time.monotonic()))

    def key(self):
        self.sequence += 1
        return f"soak-{self.index}-{self.sequence}-{uuid.uuid4().hex[:8]}"

    def call(self, kind, expected_status, send):
        """The answer's JSON body, or None after counting an error."""
        self.tally.request(kind)
        try:
            status, body = send()
        except TransportError as e:
            self.tally.error(kind, f"transport: {e}")
            return None
        if status != expected_status or body is None:
            self.tally.error(kind, f"HTTP {status}: {json.dumps(body)[:200]}")
            return None
        if kind in MUSEPAY_KINDS and body.get("code") != 200:
            self.tally.error(kind, f"code {body.get('code')}: {json.dumps(body)[:200]}")
            return None
        return body

    # ---- the simulator ----

    def authorize(self, cents):
        card = self.random.choice(self.all_cards)
        body = {"card_id": card["card_id"], "amount": cents_text(cents), "currency": "USD",
                "merchant": {"name": "Soak Shop", "mcc": "5411", "country": "US"}}
        answer = self.call("authorization", 201, lambda: self.api.post("/sim/v1/authorizations", body, self.key()))
        if answer is None:
            return None
        # Cards run dry under wrk's load: a decline is an outcome, not an error.
        self.tally.outcome("approved" if answer.get("status") == "APPROVED" else "declined")
        return answer["authorization_id"] if answer.get("status") == "APPROVED" else None

    def settle(self, kind, authorization_id, action):
        path = f"/sim/v1/authorizations/{authorization_id}/{action}"
        return self.call(kind, 200, lambda: self.api.post(path, {}, self.key())) is not None

    def authorize_and_capture(self):
        authorization_id = self.authorize(self.random.randint(100, 2000))
        if authorization_id:
            self.settle("capture", authorization_id, "capture")

    def authorize_and_reverse(self):
        authorization_id = self.authorize(self.random.randint(100, 2000))
        if authorization_id:
            self.settle("reversal", authorization_id, "reverse")

    def authorize_capture_and_refund(self):
        cents = self.random.randint(100, 2000)
        authorization_id = self.authorize(cents)
        if not authorization_id or not self.settle("capture", authorization_id, "capture"):
            return
        body = {"authorization_id": authorization_id, "amount": cents_text(cents // 2), "currency": "USD"}
        self.call("refund", 201, lambda: self.api.post("/sim/v1/refunds", body, self.key()))

    # ---- MusePay ----

    def top_up(self, kind, card, cents):
        body = {"request_id": self.key(), "card_id": card["card_id"], "user_id": card["user_id"],
                "amount": cents_text(cents), "currency": "USD"}
        self.call(kind, 200, lambda: self.api.musepay("/v1/cardaccount/topup", body))

    def top_up_card(self):
        self.top_up("card top-up", self.random.choice(self.standard), self.random.randint(1000, 10000))

    def raise_card_limit(self):
        # A shared card's top-up raises its card limit and moves no money (docs/api.md).
        self.top_up("card limit top-up", self.random.choice(self.shared), self.random.randint(5000, 50000))

    def adjust_quota(self):
        # Funding and defunding in turn keeps the quota's balance level over any run.
        cents = self.random.randint(100, 10000)
        amount = ("-" if self.defund_next else "") + cents_text(cents)
        self.defund_next = not self.defund_next
        body = {"share_quota_id": self.quota_id, "request_id": self.key(), "amount": amount}
        self.call("quota adjustment", 200, lambda: self.api.musepay("/v1/card/share-quota/quota/tx/adjustment", body))


MUSEPAY_KINDS = {"card top-up", "card limit top-up", "quota adjustment"}


# ---- RSS ----

def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def rss_window(pid, seconds=RSS_WINDOW_S, every=0.2):
    """(floor, peak) of RSS over a few seconds. RSS swings by about 20 MiB within a second
    as buffers are allocated and freed (batches of the writer and of the callback outbox);
    a leak raises the floor, so the floor is what start and end compare."""
    values = []
    deadline = time.monotonic() + seconds
    while True:
        values.append(rss_bytes(pid))
        if time.monotonic() >= deadline:
            return min(values), max(values)
        time.sleep(every)


class RssSampler(threading.Thread):
    """Samples when the load starts, at the end of the warm-up, and every 30 s after the start."""

    def __init__(self, pid, warmup_s, stop):
        super().__init__(name="soak-rss", daemon=True)
        self.pid = pid
        self.warmup_s = warmup_s
        self.stop = stop
        self.started = time.monotonic()
        self.samples = []  # {"at_s", "floor", "peak"}, bytes
        self.warmed_up = None

    def sample(self):
        at = round(time.monotonic() - self.started, 1)
        floor, peak = rss_window(self.pid)
        self.samples.append({"at_s": at, "floor": floor, "peak": peak})
        return floor

    def run(self):
        self.sample()
        due = sorted({float(self.warmup_s)} | set(range(SAMPLE_EVERY_S, 10 ** 6, SAMPLE_EVERY_S)))
        for at in due:
            if self.stop.wait(max(0.0, self.started + at - time.monotonic())):
                return
            value = self.sample()
            if at == self.warmup_s:
                self.warmed_up = value


# ---- the run ----

def run_load(server, setup, settings, tally):
    """wrk and the client threads together; returns (wrk's result, the RSS sampler)."""
    stop = threading.Event()
    sampler = RssSampler(server.process.pid, settings["warmup_s"], stop)
    per_client = settings["rate_per_s"] / settings["clients"]
    clients = [Client(i, server.url, setup, tally, per_client, stop) for i in range(settings["clients"])]
    sampler.start()
    for client in clients:
        client.start()
    cards_file = wrk_cards_file(setup.args.out)
    try:
        result = bench_run.wrk(server.url, cards_file, setup.api_key, settings["connections"], settings["seconds"])
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=60)
        sampler.join(timeout=10)
    sampler.sample()  # the end, with the load stopped and before anything else runs
    return result, sampler


def wrk_summary(result, tally):
    """Adds wrk's requests and errors to the tally (every answer but a 201 is an error)."""
    socket_errors = sum(result["socket_errors"].values())
    kind = "authorization (wrk)"
    with tally.lock:
        tally.requests[kind] = result["requests"]
        tally.outcomes["wrk approved"] = result["approved"]
        tally.outcomes["wrk declined"] = result["declined"]
    errors = result["non_201"] + result["other_201"] + socket_errors
    if errors:
        with tally.lock:
            tally.errors[kind] = errors
            tally.error_samples.append(f"{kind}: non_201 {result['non_201']}, other_201 {result['other_201']}, "
                                       f"sockets {result['socket_errors']}, first {result['first_error'][:200]}")


def rss_report(sampler, bound_mib):
    """Start: the floor after the warm-up; end: the floor once the load has stopped."""
    start = sampler.warmed_up if sampler.warmed_up is not None else sampler.samples[0]["floor"]
    end = sampler.samples[-1]["floor"]
    growth = (end - start) / MIB
    return {"start_mib": round(start / MIB, 1), "end_mib": round(end / MIB, 1),
            "max_mib": round(max(x["peak"] for x in sampler.samples) / MIB, 1), "growth_mib": round(growth, 1),
            "bound_mib": bound_mib, "within_bound": growth <= bound_mib, "window_s": RSS_WINDOW_S,
            "samples": [{"at_s": x["at_s"], "floor_mib": round(x["floor"] / MIB, 1),
                         "peak_mib": round(x["peak"] / MIB, 1)} for x in sampler.samples]}


def print_report(results):
    s, r = results["settings"], results["rss"]
    lines = [f"soak on {s['database']}: {s['seconds']} s (warm-up {s['warmup_s']} s), wrk {s['connections']} "
             f"connections + {s['clients']} client threads at {s['rate_per_s']:g} operations/s",
             f"{'requests':28} {'count':>9} {'errors':>7}"]
    for kind, count in sorted(results["requests"].items()):
        lines.append(f"  {kind:26} {count:9} {results['errors'].get(kind, 0):7}")
    o = results["outcomes"]
    lines.append(f"authorizations: wrk {o.get('wrk approved', 0)} approved / {o.get('wrk declined', 0)} declined; "
                 f"clients {o.get('approved', 0)} approved / {o.get('declined', 0)} declined (declines are not errors)")
    lines.append(f"throughput: {results['wrk']['auth_per_s']:.0f} wrk authorizations/s, p99 {results['wrk']['p99_ms']:.1f} ms; "
                 f"clients {results['client_operations_per_s']:.1f} operations/s")
    lines.append(f"RSS: start {r['start_mib']} MiB (after the warm-up), end {r['end_mib']} MiB, max {r['max_mib']} MiB, "
                 f"growth {r['growth_mib']:+} MiB (bound +{r['bound_mib']:g} MiB; floors of {r['window_s']} s windows)")
    lines.append("RSS samples (floor/peak MiB): " +
                 ", ".join(f"{x['at_s']:g}s {x['floor_mib']}/{x['peak_mib']}" for x in r["samples"]))
    lines.append(f"ledger invariants: {'ok' if results['ledger_invariants_ok'] else 'FAILED'}")
    for sample in results["error_samples"]:
        lines.append(f"  error: {sample}")
    lines.append(f"result: {'PASS' if results['passed'] else 'FAIL'} ({results['total_errors']} errors)")
    print("\n".join(lines))


def soak(settings, binary, work):
    url, pg = start_database(settings, work)
    server = None
    try:
        server = bench_run.Issuerd(binary, url, work, settings["database"])
        log(f"== issuerd on {settings['database']} at {server.url} (pid {server.process.pid}); creating the data set")
        setup = create_data_set(server, work, settings)
        log(f"== {settings['seconds']} s of load")
        tally = Tally()
        started = time.monotonic()
        wrk_result, sampler = run_load(server, setup, settings, tally)
        elapsed = time.monotonic() - started
        wrk_summary(wrk_result, tally)
        invariants_ok = server.invariants_ok()
        alive = server.process.poll() is None
    finally:
        if server:
            server.stop()
        if pg:
            pg.stop()
    return collect(settings, tally, wrk_result, sampler, invariants_ok, alive, elapsed, setup)


def collect(settings, tally, wrk_result, sampler, invariants_ok, alive, elapsed, setup):
    rss = rss_report(sampler, settings["rss_growth_bound_mib"])
    client_requests = sum(n for kind, n in tally.requests.items() if kind != "authorization (wrk)")
    operations = sum(tally.requests.get(k, 0) for k in ("authorization", "card top-up", "card limit top-up",
                                                          "quota adjustment"))
    total_errors = sum(tally.errors.values()) + (0 if alive else 1)
    results = {"settings": settings, "machine": bench_run.machine(),
               "started_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "data_set": {"standard_cards": settings["standard_cards"], "shared_cards": settings["shared_cards"],
                            "merchant_id": setup.merchant_id, "quota_id": setup.hot_quota},
               "requests": dict(tally.requests), "errors": dict(tally.errors), "outcomes": dict(tally.outcomes),
               "error_samples": tally.error_samples + ([] if alive else ["issuerd exited during the run"]),
               "client_requests": client_requests, "client_operations_per_s": round(operations / elapsed, 1),
               "wrk": wrk_result, "rss": rss, "ledger_invariants_ok": bool(invariants_ok),
               "total_errors": total_errors}
    results["passed"] = total_errors == 0 and bool(invariants_ok) and rss["within_bound"]
    return results


def main():
    settings = read_settings()
    if shutil.which("wrk") is None:
        raise SystemExit("soak: wrk is not installed (scripts/install-deps.sh installs it)")
    build_dir = os.path.abspath(env("BUILD_DIR", os.path.join(ROOT, "build")))
    work = os.path.abspath(env("SOAK_WORK_DIR", "/tmp/issuerd-soak"))
    out_path = os.path.abspath(env("SOAK_OUT", os.path.join(BENCH, "results", "soak-latest.json")))
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.chmod(work, 0o755)  # a private PostgreSQL runs as the postgres user when we are root
    results = soak(settings, os.path.join(build_dir, "issuerd"), work)
    results["command"] = f"SOAK_SECONDS={settings['seconds']} SOAK_DB={settings['database']} make soak"
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    print_report(results)
    print(f"written to {os.path.relpath(out_path, ROOT)}")
    sys.exit(0 if results["passed"] else 1)


if __name__ == "__main__":
    main()
