#!/usr/bin/env python3
"""Creates the benchmark data set in a running issuerd over HTTP (admin + MusePay APIs).

    python3 bench/setup_data.py --url http://127.0.0.1:18080 --admin-token TOKEN --out DIR

What it makes (counts are flags; the defaults are issue #8's "at least 10,000 cards"):
  - one merchant, funded by an admin deposit;
  - two USD card products (standard, shared);
  - --standard standard cards, each topped up (MusePay /v1/cardaccount/topup) with a
    balance of 20,000 to 24,000 USD;
  - one hot budget quota (/v1/card/share-quota/quota/create + quota/tx/adjustment) with
    --hot shared cards (/v1/card/share-quota/apply) whose limits are set by a top-up:
    20,000 to 24,000 USD, and 200 USD on one card in ten (they run dry during the run);
  - --other-quotas more quotas with --other-cards shared cards each (1,000 USD limits);
  - a daily purchase limit of 20,000 USD (/v1/card/limitChange) on one card in four;
  - --adpos AdPos shared cards (POST /cards/apply, 30 a task, card_type shared): they spend
    the merchant's main account within a card limit of 1,000 USD, and one task in two sets
    a single-transaction limit of 500 USD. They are in the tables, not in a driven mix.

Writes to DIR: cards_standard.txt and cards_hot.txt (one card id a line: the two mixes
that wrk drives), cards_adpos.txt, cards.csv (every card with its balance, limit and daily limit: the
PL/pgSQL baseline loads the same set from it) and setup.json (the merchant's api key and
how long each phase took).

Applications are asynchronous: every holder and application is submitted first over
--concurrency keep-alive connections, then apply-result is polled until none is APPLYING.
Python's standard library only.
"""

import argparse
import concurrent.futures
import csv
import http.client
import json
import os
import random
import sys
import threading
import time
import urllib.parse
import uuid

MERCHANT_DEPOSIT = "2000000000.00"   # USD; covers every top-up and quota funding
HOT_QUOTA_FUNDING = "500000000.00"   # the hot quota never runs dry during a bench
OTHER_QUOTA_FUNDING = "100000.00"
DAILY_LIMIT = "20000.00"    # a quarter of the cards; the large amounts pass it, the small ones do not reach it


class Client:
    """One keep-alive HTTP/1.1 connection per thread."""

    def __init__(self, url):
        parsed = urllib.parse.urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.local = threading.local()

    def _conn(self):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self.local.conn = conn
        return conn

    def request(self, method, path, body=None, headers=None):
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        hdrs = {"Content-Type": "application/json"} if data is not None else {}
        hdrs.update(headers or {})
        for attempt in range(5):
            conn = self._conn()
            try:
                conn.request(method, path, body=data, headers=hdrs)
                resp = conn.getresponse()
                payload = resp.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                time.sleep(0.1 * (attempt + 1))
                continue
            if resp.status == 503:  # overloaded or not durable: retry (the keys make it safe)
                time.sleep(0.2 * (attempt + 1))
                continue
            try:
                parsed = json.loads(payload) if payload else None
            except ValueError:
                parsed = None
            return resp.status, parsed, payload
        raise RuntimeError(f"{method} {path}: no answer after retries")


class Setup:
    def __init__(self, args):
        self.args = args
        self.client = Client(args.url)
        self.admin_headers = {"Authorization": "Bearer " + args.admin_token}
        self.merchant_id = None
        self.api_key = None
        self.timings = {}

    # ---- helpers ----

    def admin(self, method, path, body=None, key=None):
        headers = dict(self.admin_headers)
        if key:
            headers["Idempotency-Key"] = key
        return self.client.request(method, path, body, headers)

    def musepay(self, path, body):
        body = dict(body)
        body["partner_id"] = self.merchant_id
        body["timestamp"] = str(int(time.time() * 1000))
        body["nonce"] = uuid.uuid4().hex
        status, parsed, raw = self.client.request("POST", path, body, {"x-api-key": self.api_key})
        if status != 200 or not parsed or parsed.get("code") != 200:
            raise RuntimeError(f"{path}: HTTP {status}: {raw[:300]!r}")
        return parsed["data"]

    def parallel(self, name, items, fn):
        started = time.monotonic()
        results = [None] * len(items)
        with concurrent.futures.ThreadPoolExecutor(self.args.concurrency) as pool:
            futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
            for future in concurrent.futures.as_completed(futures):
                results[futures[future]] = future.result()
        took = time.monotonic() - started
        self.timings[name] = round(took, 2)
        rate = len(items) / took if took > 0 else 0
        print(f"  {name}: {len(items)} in {took:.1f} s ({rate:.0f}/s)", file=sys.stderr, flush=True)
        return results

    # ---- the steps ----

    def merchant(self):
        status, body, raw = self.admin("POST", "/admin/v1/merchants", {"name": "Bench Program"}, key="bench-merchant")
        if status != 201:
            raise RuntimeError(f"create merchant: {status} {raw[:300]!r}")
        self.merchant_id, self.api_key = body["merchant_id"], body["api_key"]
        status, _, raw = self.admin("POST", f"/admin/v1/merchants/{self.merchant_id}/deposits",
                                    {"amount": MERCHANT_DEPOSIT, "currency": "USD"}, key="bench-deposit")
        if status != 201:
            raise RuntimeError(f"deposit: {status} {raw[:300]!r}")

    def product(self, name, bin_):
        status, body, raw = self.admin("POST", "/admin/v1/card-products",
                                       {"name": name, "bin": bin_, "network": "visa", "currency": "USD",
                                        "card_level": "1", "form": "virtual"})
        if status != 201:
            raise RuntimeError(f"create product: {status} {raw[:300]!r}")
        return body["card_product_id"]

    def quota(self, product_id, name, funding):
        created = self.musepay("/v1/card/share-quota/quota/create",
                               {"request_id": "quota-" + name, "card_product_id": product_id, "card_level": "1",
                                "share_quota_name": name})
        quota_id = created["share_quota_id"]
        self.musepay("/v1/card/share-quota/quota/tx/adjustment",
                     {"share_quota_id": quota_id, "request_id": "fund-" + name, "amount": funding})
        return quota_id

    def plan(self, standard_product, shared_product, hot_quota, other_quotas):
        """Every card to make, with its money: deterministic for a seed."""
        rng = random.Random(self.args.seed)
        cards = []
        # Balances and card limits of 20,000-24,000 USD: above what a full run spends on a card
        # in small amounts (about 75 USD each, a few hundred authorizations a card), below
        # authorize.lua's large amounts (25,000 USD and up), so that the share of declines
        # stays about the same through the run instead of growing as cards run dry (with
        # 2,000-20,000 the hot mix at 256 connections was 90 % declines, which write less).
        for i in range(self.args.standard):
            cards.append({"kind": "standard", "product": standard_product, "quota": None,
                          "topup": f"{rng.randint(20000, 24000)}.00"})
        for i in range(self.args.hot):
            limit = 200 if rng.random() < 0.10 else rng.randint(20000, 24000)
            cards.append({"kind": "hot", "product": shared_product, "quota": hot_quota, "topup": f"{limit}.00"})
        for q, quota_id in enumerate(other_quotas):
            for i in range(self.args.other_cards):
                cards.append({"kind": f"quota{q + 1}", "product": shared_product, "quota": quota_id,
                              "topup": "1000.00"})
        for n, card in enumerate(cards):
            card["n"] = n
            card["xid"] = f"bench-{n}"
            card["daily_limit"] = DAILY_LIMIT if rng.random() < 0.25 else None
        return cards

    def create_holder(self, card):
        data = self.musepay("/v1/carduser/create",
                            {"user_xid": card["xid"], "email": card["xid"] + "@bench.test",
                             "individual": {"first_name": "Bench", "last_name": f"Holder{card['n']}",
                                            "date_of_birth": "1990-01-01"}})
        card["user_id"] = data["user_id"]

    def apply(self, card):
        body = {"user_id": card["user_id"], "request_id": "apply-" + card["xid"], "card_product_id": card["product"],
                "card_level": "1", "phone_number": "5550100", "phone_area_code": "1"}
        if card["quota"]:
            body["share_quota_id"] = card["quota"]
            self.musepay("/v1/card/share-quota/apply", body)
        else:
            self.musepay("/v1/card/apply", body)

    def apply_result(self, card):
        data = self.musepay("/v1/card/apply-result", {"request_id": "apply-" + card["xid"], "user_id": card["user_id"]})
        status = data["apply_status"]
        if status == "APPLYING":
            return False
        if status != "AUDIT_PASS":
            raise RuntimeError(f"application {card['xid']}: {data}")
        card["card_id"] = data["card_id"]
        return True

    def wait_for_cards(self, cards):
        started = time.monotonic()
        pending = cards
        while pending:
            done = self.parallel_quiet(pending, self.apply_result)
            pending = [c for c, ok in zip(pending, done) if not ok]
            if pending:
                if time.monotonic() - started > 600:
                    raise RuntimeError(f"{len(pending)} applications still APPLYING after 10 minutes")
                time.sleep(0.5)
        took = time.monotonic() - started
        self.timings["apply_result"] = round(took, 2)
        print(f"  apply-result: {len(cards)} issued, waited {took:.1f} s", file=sys.stderr, flush=True)

    def parallel_quiet(self, items, fn):
        with concurrent.futures.ThreadPoolExecutor(self.args.concurrency) as pool:
            return list(pool.map(fn, items))

    def topup(self, card):
        self.musepay("/v1/cardaccount/topup", {"request_id": "topup-" + card["xid"], "card_id": card["card_id"],
                                               "user_id": card["user_id"], "amount": card["topup"], "currency": "USD"})

    def limit_change(self, card):
        self.musepay("/v1/card/limitChange", {"card_id": card["card_id"], "user_id": card["user_id"],
                                              "daily_purchase_limit": card["daily_limit"]})

    def adpos_task(self, n):
        """One AdPos application of up to 30 shared cards; returns its card ids once done."""
        count = min(30, self.args.adpos - n * 30)
        body = {"request_id": f"bench-adpos-{n}", "num": count, "card_bin": self.adpos_bin, "card_type": "shared",
                "shared_card_balance": "1000", "shared_card_balance_unlimit": 0}
        if n % 2 == 0:
            body.update({"single_transaction_limit": "500", "single_transaction_unlimit": 0})
        headers = {"x-api-key": self.api_key}
        status, created, raw = self.client.request("POST", "/cards/apply", body, headers)
        if status != 200:
            raise RuntimeError(f"/cards/apply: HTTP {status}: {raw[:300]!r}")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status, task, raw = self.client.request("GET", f"/cards/tasks/{created['task_id']}", None, headers)
            if status == 200 and task["status"] != "pending":
                if task["failed_count"]:
                    raise RuntimeError(f"AdPos task {created['task_id']}: {raw[:300]!r}")
                return [card["card_id"] for card in task["cards"]]
            time.sleep(0.2)
        raise RuntimeError(f"AdPos task {created['task_id']} still pending after 120 s")

    def adpos_cards(self, shared_product):
        self.adpos_bin = f"{shared_product}:445577"
        tasks = list(range((self.args.adpos + 29) // 30))
        return [card_id for ids in self.parallel("adpos cards/apply", tasks, self.adpos_task) for card_id in ids]

    def run(self):
        started = time.monotonic()
        self.merchant()
        standard_product = self.product("Bench standard", "445566")
        shared_product = self.product("Bench shared", "445577")
        hot_quota = self.quota(shared_product, "hot", HOT_QUOTA_FUNDING)
        other_quotas = [self.quota(shared_product, f"other-{q}", OTHER_QUOTA_FUNDING)
                        for q in range(self.args.other_quotas)]
        cards = self.plan(standard_product, shared_product, hot_quota, other_quotas)
        print(f"  {len(cards)} cards to issue ({self.args.standard} standard, {self.args.hot} on the hot quota, "
              f"{self.args.other_quotas} x {self.args.other_cards} on other quotas)", file=sys.stderr, flush=True)
        self.parallel("carduser/create", cards, self.create_holder)
        submit_started = time.monotonic()
        self.parallel("card/apply", cards, self.apply)
        self.wait_for_cards(cards)
        self.timings["issue_total"] = round(time.monotonic() - submit_started, 2)
        self.parallel("cardaccount/topup", cards, self.topup)
        limited = [c for c in cards if c["daily_limit"]]
        self.parallel("card/limitChange", limited, self.limit_change)
        adpos = self.adpos_cards(shared_product) if self.args.adpos else []
        self.timings["total"] = round(time.monotonic() - started, 2)
        self.write(cards, hot_quota, adpos)
        print(f"  data set ready in {self.timings['total']:.1f} s", file=sys.stderr, flush=True)

    def write(self, cards, hot_quota, adpos):
        out = self.args.out
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "cards_adpos.txt"), "w") as f:
            f.writelines(card_id + "\n" for card_id in adpos)
        with open(os.path.join(out, "cards_standard.txt"), "w") as f:
            f.writelines(c["card_id"] + "\n" for c in cards if c["kind"] == "standard")
        with open(os.path.join(out, "cards_hot.txt"), "w") as f:
            f.writelines(c["card_id"] + "\n" for c in cards if c["kind"] == "hot")
        with open(os.path.join(out, "cards.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["n", "kind", "card_id", "balance_minor", "cap_limit_minor", "daily_limit_minor"])
            for c in cards:
                topup = int(round(float(c["topup"]) * 100))
                shared = c["quota"] is not None
                daily = int(round(float(c["daily_limit"]) * 100)) if c["daily_limit"] else ""
                w.writerow([c["n"] + 1, c["kind"], c["card_id"], "" if shared else topup, topup if shared else "", daily])
        kinds = {"adpos_shared": len(adpos)}
        for c in cards:
            kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
        summary = {"merchant_id": self.merchant_id, "api_key": self.api_key, "hot_quota_id": hot_quota,
                   "cards": len(cards) + len(adpos), "cards_by_kind": kinds,
                   "daily_limited_cards": sum(1 for c in cards if c["daily_limit"]),
                   "hot_quota_funding": HOT_QUOTA_FUNDING, "concurrency": self.args.concurrency,
                   "timings_s": self.timings}
        with open(os.path.join(out, "setup.json"), "w") as f:
            json.dump(summary, f, indent=2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--admin-token", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--standard", type=int, default=6000)
    parser.add_argument("--hot", type=int, default=4000)
    parser.add_argument("--other-quotas", type=int, default=5)
    parser.add_argument("--other-cards", type=int, default=100)
    parser.add_argument("--adpos", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    Setup(args).run()


if __name__ == "__main__":
    main()
