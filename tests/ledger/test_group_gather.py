"""A group-commit leader gathers: while its process is busy it gives requests on their way a moment to
join its batch (up to MAX_BATCH); an idle process's leader writes at once."""
import threading

from consent_service.ledger import group_commit

from tests.support.waiting import wait_for


def recorder():
    written = []

    def write(items):
        written.append(list(items))

    return written, write


def submit_in_thread(batches, item, write):
    thread = threading.Thread(target=batches.submit, args=("slot", item, write))
    thread.start()
    return thread


def test_an_idle_leader_writes_at_once(monkeypatch):
    monkeypatch.setattr(group_commit, "GATHER_SECONDS", 60)
    batches, (written, write) = group_commit.GroupCommit(), recorder()
    thread = submit_in_thread(batches, 1, write)
    thread.join(10)
    assert not thread.is_alive() and written == [[1]]


def test_a_busy_leader_waits_for_the_next_request_and_stops_at_a_full_batch(monkeypatch):
    monkeypatch.setattr(group_commit, "GATHER_SECONDS", 60)
    monkeypatch.setattr(group_commit, "BUSY_SECONDS", 60)
    monkeypatch.setattr(group_commit, "MAX_BATCH", 2)
    batches, (written, write) = group_commit.GroupCommit(), recorder()
    batches.submit("slot", 1, write)  # the process is busy from here on
    leader = submit_in_thread(batches, 2, write)
    wait_for(lambda: batches._open.get("slot"), lambda batch: batch is not None and batch.items == [2], timeout=10)
    assert written == [[1]]  # the leader is waiting for more
    follower = submit_in_thread(batches, 3, write)
    for thread in (leader, follower):
        thread.join(10)
        assert not thread.is_alive()
    assert written == [[1], [2, 3]]
