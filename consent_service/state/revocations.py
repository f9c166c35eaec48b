"""Which consents were superseded since their tokens were issued: the consent-state check's memory.

A token names its consent and the record it was issued for (``r``, the record's seq). Once a later
record of the same consent is stored (a change of mind, a withdrawal, an erasure), every earlier
token answers ``valid: false``: ``superseded``, ``withdrawn`` or ``erased``. The newest token stays
valid (after a withdrawal it grants nothing).

The check asks this in-memory table only, never the database. The table is filled by the ledger:
its writer tells it at once what this process stores, and a background refresher (``start``) reads
what other processes and instances stored, every ``REVOCATION_POLL_SECONDS`` (``ledger/revocations.py``
says how). Entries are kept for as long as a token of the consent can live.
"""
import logging
import os
import threading
import time

log = logging.getLogger(__name__)
EXTENSION = "consent_revocations"
REASON_OF_ACTION = {"withdraw": "withdrawn", "erase": "erased"}


class Revocations:
    """``{(site, consent_id): (latest seq, its action, when stored)}`` for consents with more than one record."""

    def __init__(self):
        self._latest = {}
        self._guard = threading.Lock()
        self._runner = None  # (pid, thread) of the refresher in this process
        self.refresh = None  # set by the ledger: refresh(self) reads what was stored meanwhile
        self.interval = 0.0
        self.cursor = None  # the refresher's own bookmark
        self._stopped = threading.Event()

    def learn(self, site, consent_id, seq, action, stored_at=None):
        """A record ``seq`` of the consent was stored; older tokens of it no longer count."""
        key = (site, consent_id)
        with self._guard:
            known = self._latest.get(key)
            if known is None or known[0] < seq:
                self._latest[key] = (seq, action, stored_at or time.time())

    def reason(self, site, consent_id, seq):
        """Why a token of record ``seq`` (None: a token from before seqs were signed) no longer counts, or None."""
        known = self._latest.get((site, consent_id))
        if known is None:
            return None
        latest, action, _ = known
        if action == "erase":
            return "erased"
        if seq is None or seq < latest:
            return REASON_OF_ACTION.get(action, "superseded")
        return None

    def forget_before(self, moment):
        """Drop consents whose latest record is older than ``moment`` (their tokens have expired)."""
        with self._guard:
            self._latest = {key: value for key, value in self._latest.items() if value[2] >= moment}

    def ensure_running(self):
        """Start the refresher in this process if it is not running (after a fork, again)."""
        if self.refresh is None or self.interval <= 0 or self._stopped.is_set():
            return
        runner = self._runner
        if runner is not None and runner[0] == os.getpid() and runner[1].is_alive():
            return
        with self._guard:
            if self._runner is runner:
                thread = threading.Thread(target=self._run, name="consent-revocations", daemon=True)
                self._runner = (os.getpid(), thread)
                thread.start()

    def stop(self):
        """End the refresher (the app is going away)."""
        self._stopped.set()

    def _run(self):
        while not self._stopped.is_set():
            try:
                self.refresh(self)
            except Exception as error:  # noqa: BLE001 - the database may be away; the last table stays in force
                log.warning("could not refresh the revoked consents (%s); retrying", type(error).__name__)
            self._stopped.wait(self.interval)


def revocations_of(app):
    """The app's table (made on first use)."""
    return app.extensions.setdefault(EXTENSION, Revocations())
