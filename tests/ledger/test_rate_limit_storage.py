"""The limiter's memory storage counts as ``limits``' own does, and starts no thread per hit (the
library's starts a timer thread whenever its last one ran out: most hits, in a busy process)."""
import threading
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from consent_service import rate_limit_storage
from consent_service.extensions import limiter


def test_the_memory_scheme_is_the_swept_storage(app):
    assert isinstance(storage_from_string("memory://"), rate_limit_storage.SweptMemoryStorage)
    with app.app_context():
        assert isinstance(limiter._storage, rate_limit_storage.SweptMemoryStorage)


def test_hits_start_no_thread_and_count_exactly(monkeypatch):
    storage = storage_from_string("memory://")
    storage.timer.join()  # the one timer the library starts with the storage
    started = []
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self))
    window = FixedWindowRateLimiter(storage)
    limit = parse("3 per second")
    assert [window.hit(limit, "client") for _ in range(4)] == [True, True, True, False]
    assert window.hit(limit, "other")
    assert started == []


def test_expired_counters_are_swept_inline(monkeypatch):
    storage = storage_from_string("memory://")
    storage.incr("gone", expiry=60)
    storage.incr("kept", expiry=60)
    storage.expirations["gone"] = time.time() - 1  # its window over
    monkeypatch.setattr(rate_limit_storage, "SWEEP_SECONDS", 0.0)
    storage.incr("kept", expiry=60)
    assert "gone" not in storage.storage and storage.get("kept") == 2
