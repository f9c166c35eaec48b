"""Group commit: a process's concurrent writers to one chain share one transaction.

Writers to a site's chain queue on its head from the first UPDATE to the commit, so with one
transaction per decision the chain advanced at most once per commit, and PostgreSQL's commit waits
for the disk: that, not the work, capped posting. Here the first writer to arrive leads: it waits
for the previous batch of its site, closes its own batch and writes every decision that joined it
meanwhile in one transaction; the others wait for its commit. When nothing else is in flight a
batch holds one decision, so an idle service answers as fast as before.
"""
import threading

MAX_BATCH = 32
FOLLOWER_WAIT = 30.0  # seconds; a follower whose leader takes longer answers 503


class Batch:
    def __init__(self, slot):
        self.slot = slot
        self.items = []
        self.closed = False
        self.done = threading.Event()


class GroupCommit:
    """Batches of items per slot (an app and a site), each written by its leader."""

    def __init__(self):
        self._guard = threading.Lock()
        self._open = {}
        self._turns = {}

    def submit(self, slot, item, write):
        """Return once ``item`` was written, by this thread or by another one.

        ``write(items)`` runs in the leader's thread with the whole batch and records on each item
        its result or its error; raise TimeoutError when the leader has not finished in time.
        """
        with self._guard:
            batch = self._open.get(slot)
            leader = batch is None or batch.closed or len(batch.items) >= MAX_BATCH
            if leader:
                batch = self._open[slot] = Batch(slot)
            batch.items.append(item)
            turn = self._turns.setdefault(slot, threading.Lock())
        if not leader:
            if not batch.done.wait(FOLLOWER_WAIT):
                raise TimeoutError("the batch's leader did not finish in time")
            return
        with turn:
            with self._guard:
                batch.closed = True
                if self._open.get(slot) is batch:
                    del self._open[slot]
            try:
                write(batch.items)
            finally:
                batch.done.set()
