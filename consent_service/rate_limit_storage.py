"""The rate limiter's in-memory storage: the ``limits`` library's own, with its clean-up run inline.

``limits``' MemoryStorage drops expired counters in a ``threading.Timer`` of 10 ms, and starts a new one
on a hit whenever the last has run out: in a busy process, a thread started every few POSTs, which cost
about 130 µs of CPU per POST (``python -m bench.profile post``). Here the same clean-up runs in the
hitting thread, at most once a second. Expiry is unchanged: ``limits`` drops an expired counter
before every read, so counts are exact; the clean-up only bounds the memory of counters nobody reads.

Registered under ``limits``' own ``memory`` scheme, so that ``RATELIMIT_STORAGE_URI=memory://`` (the
default) and the limiter's in-memory fallback use it; ``extensions`` imports this module before the
limiter is set up. Other storages (``redis://``) are untouched.
"""
import time

from limits.storage import MemoryStorage

SWEEP_SECONDS = 1.0


class SweptMemoryStorage(MemoryStorage):
    """MemoryStorage whose expired counters are swept inline, at most every SWEEP_SECONDS."""

    STORAGE_SCHEME = ["memory"]

    def __init__(self, uri="memory://", wrap_exceptions=False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._swept_at = time.monotonic()

    def _MemoryStorage__schedule_expiry(self):
        """Replaces MemoryStorage's private hook (called by that name on each hit): sweep, if due."""
        now = time.monotonic()
        if now - self._swept_at >= SWEEP_SECONDS:
            self._swept_at = now
            self._MemoryStorage__expire_events()
