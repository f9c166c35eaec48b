"""Group commit: a process's concurrent writers to one chain share one transaction.

Writers to a site's chain queue on its head from the first UPDATE to the commit, so with one
transaction per decision the chain advanced at most once per commit, and PostgreSQL's commit waits
for the disk: that, not the work, capped posting. Here the first writer to arrive leads: it waits
for the previous batch of its site, closes its own batch and writes every decision that joined it
meanwhile in one transaction; the others wait for its commit. When nothing else is in flight a
batch holds one decision, so an idle service answers as fast as before.

While its process is busy (its slot wrote a batch less than BUSY_SECONDS ago), a leader first gives
the requests already on their way GATHER_SECONDS to join: on SQLite a batch is written so quickly that
without this wait most batches held one decision, each paying a whole transaction's statements (mean
1.2 decisions per batch under wrk -c32 against 2 workers x 4 threads; about 3 with it). The wait costs
no throughput: the process's other threads use the CPU meanwhile.
"""
import threading
import time

MAX_BATCH = 32
FOLLOWER_WAIT = 30.0  # seconds; a follower whose leader takes longer answers 503
GATHER_SECONDS = 0.001  # how long a busy process's leader waits for more items to join
BUSY_SECONDS = 0.01  # a slot that wrote a batch this recently is busy


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
        self._joined = threading.Condition(self._guard)
        self._open = {}
        self._turns = {}
        self._written = {}  # slot -> time.monotonic() when its last batch was written

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
            if not leader and len(batch.items) >= MAX_BATCH:
                self._joined.notify_all()
        if not leader:
            if not batch.done.wait(FOLLOWER_WAIT):
                raise TimeoutError("the batch's leader did not finish in time")
            return
        with turn:
            with self._guard:
                if time.monotonic() - self._written.get(slot, float("-inf")) < BUSY_SECONDS:
                    self._joined.wait_for(lambda: len(batch.items) >= MAX_BATCH, GATHER_SECONDS)
                batch.closed = True
                if self._open.get(slot) is batch:
                    del self._open[slot]
            try:
                write(batch.items)
            finally:
                self._written[slot] = time.monotonic()
                batch.done.set()
