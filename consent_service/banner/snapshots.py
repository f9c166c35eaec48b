"""Storing the policy snapshots whose hashes banner.js carries, without the banner waiting for them.

``writer.store_snapshots`` says why they are stored. Once per process and site key, the first banner.js
request starts a thread that stores them, trying again every RETRY_SECONDS while the database is away;
until then a decision that names a current snapshot stores it with its record. ``stop`` ends the
threads (an app that is closed: tests; a worker's threads are daemons).
"""
import threading

from flask import current_app

from ..extensions import db
from ..ledger import writer
from ..policies import current_snapshot
from ..sites import configured_sites, find_site

EXTENSION = "consent_banner_snapshots"
RETRY_SECONDS = 30
ATTEMPTS = 20


class SnapshotStore:
    """The storing threads of one app: which site keys were started, and a way to end them."""

    def __init__(self):
        self.started = set()
        self.stopping = threading.Event()
        self.threads = []

    def store_soon(self, app, site_key, snapshots):
        if site_key in self.started or self.stopping.is_set():
            return
        self.started.add(site_key)
        thread = threading.Thread(target=self._store, args=(app, snapshots), name="store-policy-snapshots",
                                  daemon=True)
        self.threads.append(thread)
        thread.start()

    def _store(self, app, snapshots):
        with app.app_context():
            for _ in range(ATTEMPTS):
                try:
                    writer.store_snapshots(snapshots)
                    return
                except Exception:  # logged; tried again
                    app.logger.warning("policy snapshots not stored; trying again in %s s", RETRY_SECONDS,
                                       exc_info=True)
                finally:
                    db.session.remove()
                if self.stopping.wait(RETRY_SECONDS):
                    return

    def stop(self, timeout=10.0):
        """End the threads: no new one starts, a waiting one stops waiting, a storing one finishes."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout)


def store_soon(site_key):
    """Have the snapshots of ``site_key``'s banner (every site's for None) stored, once per process."""
    store = current_app.extensions.get(EXTENSION)
    if store is None:  # not setdefault: banner.js is a hot path, and a SnapshotStore is built only once
        store = current_app.extensions.setdefault(EXTENSION, SnapshotStore())
    if site_key in store.started:
        return
    sites = configured_sites() if site_key is None else {site_key: find_site(site_key)}
    snapshots = [current_snapshot(key, language) for key, site in sites.items() for language in site.texts]
    store.store_soon(current_app._get_current_object(), site_key, snapshots)


def stop(app):
    """End ``app``'s storing threads, if it started any."""
    store = app.extensions.get(EXTENSION)
    if store is not None:
        store.stop()
