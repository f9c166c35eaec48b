"""A bounded load of visitors posting decisions, and the check that nothing acknowledged was lost.

Every decision carries its own Idempotency-Key. A client retries the same key after a dropped
connection, a 503, or a proxy's 502/504 (the instance behind it died or hung mid-request), as the banner
retries every 5xx, so a retry can never store a decision twice.
The load tests and the benchmarks (``python -m bench.load``) share it.
"""
import collections
import contextlib
import http.client
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import sqlalchemy as sa

from consent_service import config

from tests.support.waiting import wait_for

CHOICES = [
    ("accept_all", True, True), ("reject_all", False, False), ("custom", True, False), ("custom", False, True),
]
MAX_ATTEMPTS = 40
RETRIED = (502, 503, 504)


def decision(site="entrack"):
    """A random, valid decision as the banner posts it."""
    action, analytics, marketing = random.choice(CHOICES)
    return {
        "site": site, "action": action, "categories": {"analytics": analytics, "marketing": marketing},
        "policy_version": "2026-11-01", "language": random.choice(["fi", "sv", "en"]),
        "page_url": f"https://www.entrack.fi/sivu/{random.randint(1, 500)}?q=1",
    }



def in_threads(target, arguments, timeout):
    """Run ``target(*args)`` for each tuple in ``arguments``, each in a thread of its own, all at once;
    return once every thread ended (or ``timeout`` seconds passed for each)."""
    threads = [threading.Thread(target=target, args=args) for args in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)

@dataclass
class Results:
    acknowledged: dict = field(default_factory=dict)  # Idempotency-Key -> consent_id
    sent_keys: set = field(default_factory=set)
    statuses: collections.Counter = field(default_factory=collections.Counter)
    errors: list = field(default_factory=list)  # (status or exception name, body excerpt)
    latencies: list = field(default_factory=list)
    retry_after: set = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for_acknowledged(self, count, timeout=60.0):
        """Wait until at least ``count`` decisions are acknowledged, at most ``timeout`` seconds; how many are."""
        return wait_for(lambda: len(self.acknowledged), lambda n: n >= count, timeout)

    def summary(self, seconds):
        lat = sorted(self.latencies) or [0]
        return {
            "acknowledged": len(self.acknowledged), "statuses": dict(self.statuses),
            "errors": len(self.errors), "per_second": round(len(self.acknowledged) / seconds, 1),
            "p50_ms": round(lat[len(lat) // 2] * 1000, 1), "p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 1),
            "max_ms": round(lat[-1] * 1000, 1),
        }


class Client:
    """One visitor's browser: a keep-alive connection, reopened after an error."""

    def __init__(self, url, timeout):
        parts = urlsplit(url)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.connection = None

    def request(self, method, path, body=None, headers=None):
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        except Exception:
            self.connection.close()
            self.connection = None
            raise

    def close(self):
        if self.connection:
            self.connection.close()


def post_until_answered(client, results, deadline, site="entrack"):
    """Post one decision, retrying its key after a dropped connection or a 503; record the outcome."""
    key = uuid.uuid4().hex
    body = json.dumps(decision(site))
    headers = {"Content-Type": "application/json", "Idempotency-Key": key, "User-Agent": "bench-load/1"}
    with results.lock:
        results.sent_keys.add(key)
    for _ in range(MAX_ATTEMPTS):
        started = time.monotonic()
        try:
            status, response_headers, payload = client.request("POST", "/api/v1/consents", body, headers)
        except (OSError, http.client.HTTPException) as error:
            with results.lock:
                results.statuses[type(error).__name__] += 1
            time.sleep(0.05)  # the client's pause before it retries, as the banner's
            continue
        elapsed = time.monotonic() - started
        with results.lock:
            results.statuses[status] += 1
            results.latencies.append(elapsed)
            if status == 201:
                results.acknowledged[key] = json.loads(payload)["consent_id"]
                return
            if status in RETRIED:
                results.retry_after.add(response_headers.get("Retry-After"))
            else:
                results.errors.append((status, payload[:200]))
        if status not in RETRIED or time.monotonic() > deadline + 30:
            return
        time.sleep(0.2)  # the client's pause before it retries a 503


def run(url, clients=64, seconds=60, site="entrack", timeout=20, results=None, stop=None):
    """``clients`` threads posting until ``seconds`` have passed or ``stop`` (an Event) is set; the
    results, gathered into ``results`` when given so that a caller can watch them grow."""
    results = results if results is not None else Results()
    stop = stop or threading.Event()
    deadline = time.monotonic() + seconds

    def visitor():
        client = Client(url, timeout)
        try:
            while time.monotonic() < deadline and not stop.is_set():
                post_until_answered(client, results, deadline, site)
        finally:
            client.close()

    threads = [threading.Thread(target=visitor, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + timeout * 3 + 60)
    return results


@contextlib.contextmanager
def running(url, clients=16, seconds=120, site="entrack"):
    """The load in a background thread while the block runs (at most ``seconds``): yields its results
    as they grow; on leaving, the visitors finish the decision in hand and stop."""
    results, stop = Results(), threading.Event()
    loader = threading.Thread(target=run, args=(url, clients, seconds, site),
                              kwargs={"results": results, "stop": stop})
    loader.start()
    try:
        yield results
    finally:
        stop.set()
        loader.join(seconds + 120)


def stored(database_url):
    """``(records, keys)``: every stored ``(consent_id, seq, site)`` and every ``(key, record_id)``."""
    engine = sa.create_engine(config.database_uri(database_url, ""), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            records = connection.execute(sa.text("SELECT id, consent_id, site, seq FROM consent_records")).all()
            keys = connection.execute(sa.text("SELECT key, record_id FROM idempotency_keys")).all()
    finally:
        engine.dispose()
    return records, keys


def check_stored(results, database_url):
    """The problems found: acknowledged decisions missing or twice, records nobody sent, seq gaps."""
    records, keys = stored(database_url)
    problems = []
    by_id = {record.id: record for record in records}
    consent_ids = collections.Counter(record.consent_id for record in records)
    key_to_record = {key: by_id.get(record_id) for key, record_id in keys}
    for key, consent_id in results.acknowledged.items():
        record = key_to_record.get(key)
        if record is None or record.consent_id != consent_id:
            problems.append(f"acknowledged {consent_id} (key {key}) is not stored")
        elif consent_ids[consent_id] != 1:
            problems.append(f"acknowledged {consent_id} is stored {consent_ids[consent_id]} times")
    if len(keys) != len(records):
        problems.append(f"{len(records)} records but {len(keys)} idempotency keys: a record was stored twice")
    unknown = {key for key, _ in keys} - results.sent_keys
    if unknown:
        problems.append(f"{len(unknown)} stored keys were never sent")
    for site in {record.site for record in records}:
        seqs = sorted(record.seq for record in records if record.site == site)
        if seqs != list(range(1, len(seqs) + 1)):
            problems.append(f"site {site}: sequence numbers are not 1..{len(seqs)}")
    return problems, len(records)
