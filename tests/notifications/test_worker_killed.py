"""A worker killed with SIGKILL while sending 100 emails: all 100 arrive.

What "exactly once" can mean here: the outbox claims a message in the
database, sends it, then marks it sent. If the worker dies after the mail
server accepted a message and before the row says SENT, nobody can know it
went out; once the claim runs out (OUTBOX_CLAIM_SECONDS) the sweeper sends
it again. So delivery is at least once, with at most one duplicate per
killed worker — the message it was sending. Every delivery carries its
X-Idempotency-Key (and a Message-ID made from it), so a receiver that
deduplicates on the key keeps exactly one copy; the sink here does that in
its inbox, and also keeps every raw delivery so the test counts duplicates
instead of assuming there are none.

Both places a kill can land while a message is in flight are tested, each
made certain by a slow step in the sink (0.2 s) and a kill timed into it:
while the server is still accepting (no duplicate) and after it accepted
but before the worker recorded it (exactly one duplicate, folded by key).

The workers run in processes of their own (tests/notifications/worker_settings.py
points their mail at the sink in sink.py) against pytest-django's test
database and the real Redis broker.
"""

import collections
import email
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection, transaction

from firm_portal.celery import app
from notifications import services, tasks
from notifications.models import OutboxMessage
from tests.notifications import sink, worker_process

MESSAGES = 100
KILL_AFTER = 30  # messages delivered before the kill
CLAIM_SECONDS = 2


@dataclass(frozen=True)
class KillPoint:
    slow_step: dict[str, str]  # env for the sink of the worker to be killed
    # Sink directory whose count says the worker is inside the slow step.
    watch: str
    threshold: int
    duplicates: int


KILL_POINTS = {
    # The 31st message is being handed to a slow server: it is claimed, not
    # delivered. The successor sends it once the claim has run out.
    "while-the-server-accepts": KillPoint(
        slow_step={"NOTIFICATIONS_TEST_SEND_DELAY": "0.2"},
        watch="started",
        threshold=KILL_AFTER + 1,
        duplicates=0,
    ),
    # The 30th message was accepted but is not yet marked sent: the window
    # of at-least-once delivery. The successor sends it again.
    "after-acceptance-before-record": KillPoint(
        slow_step={"NOTIFICATIONS_TEST_DELAY_AFTER_SEND": "0.2"},
        watch="deliveries",
        threshold=KILL_AFTER,
        duplicates=1,
    ),
}


def enqueue_all() -> list[OutboxMessage]:
    with transaction.atomic():  # published to the broker after this commits
        return [
            services.outbox_enqueue_email(
                to=f"kund{n}@example.se",
                template="collaboration-expired",
                context={"recipient": {"full_name": f"Kund {n}"}, "client": {"name": "Kund AB"}},
            )
            for n in range(MESSAGES)
        ]


def wait_until(predicate, *, timeout: float, every: float, what: str, logs: list[Path]) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    tails = "\n".join(f"--- {log.name}\n{worker_process.log_tail(log)}" for log in logs)
    pytest.fail(f"Timed out after {timeout:.0f} s waiting until {what}.\n{tails}")


def count_files(directory: Path) -> int:
    return sum(1 for path in directory.iterdir() if not path.name.startswith("."))


def delivered_keys(root: Path) -> list[str]:
    """The X-Idempotency-Key of every delivery the sink received, duplicates included."""
    keys = []
    for path in sink.deliveries_dir(root).glob("*.eml"):
        with path.open("rb") as handle:
            keys.append(email.message_from_binary_file(handle)["X-Idempotency-Key"])
    return keys


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kill_point", list(KILL_POINTS.values()), ids=list(KILL_POINTS))
def test_worker_killed_mid_run_loses_nothing_and_duplicates_at_most_one(tmp_path, kill_point):
    queue = worker_process.new_queue_name("killed")
    mail_root = tmp_path / "mail"
    logs = [tmp_path / "worker-killed.log", tmp_path / "worker-successor.log"]
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.notifications.worker_settings",
        "DATABASE_URL": worker_process.database_url(connection.settings_dict),
        "EMAIL_BACKEND": "file",
        "EMAIL_FILE_PATH": str(mail_root),
        "OUTBOX_CLAIM_SECONDS": str(CLAIM_SECONDS),
    }
    watched = mail_root / kill_point.watch
    workers = []
    with worker_process.publishing_to(queue):
        try:
            messages = enqueue_all()
            keys = {str(m.idempotency_key) for m in messages}

            doomed = worker_process.start(
                name=f"doomed-{queue}",
                queue=queue,
                log=logs[0],
                env={**env, **kill_point.slow_step},
            )
            workers.append(doomed)
            # Its successor boots meanwhile (that takes seconds), idle on a
            # queue of its own until it is told to take over.
            successor_name = f"successor-{queue}"
            successor = worker_process.start(
                name=successor_name, queue=f"{queue}-standby", log=logs[1], env=env
            )
            workers.append(successor)

            wait_until(
                lambda: (
                    doomed.poll() is not None
                    or (watched.exists() and count_files(watched) >= kill_point.threshold)
                ),
                timeout=40,
                every=0.005,  # well inside the 0.2 s slow step
                what=f"the first worker has sent {KILL_AFTER} messages",
                logs=logs,
            )
            if doomed.poll() is not None:
                pytest.fail(f"The worker exited by itself:\n{worker_process.log_tail(logs[0])}")
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(timeout=10)

            delivered_before_kill = collections.Counter(delivered_keys(mail_root))
            in_flight = list(
                OutboxMessage.objects.filter(status=OutboxMessage.Status.SENDING).values_list(
                    "idempotency_key", flat=True
                )
            )
            # Accepted by the server but not recorded: the at-least-once window.
            in_window = [key for key in in_flight if str(key) in delivered_before_kill]
            assert sum(delivered_before_kill.values()) == KILL_AFTER
            assert len(in_flight) == 1, "the kill did not land while a message was in flight"

            if not worker_process.wait_ready(successor_name, timeout=30):
                pytest.fail(f"The second worker did not start:\n{worker_process.log_tail(logs[1])}")
            worker_process.add_queue(successor_name, queue)

            def all_sent() -> bool:
                # Beat runs the sweeper every minute; here, whenever the queue
                # is empty: it re-enqueues the killed worker's claim once that
                # has run out (and anything the dead worker had fetched).
                with app.connection_for_write() as broker:
                    if not broker.default_channel.client.llen(queue):
                        tasks.sweep_outbox(older_than_seconds=0)
                return not OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).exists()

            wait_until(all_sent, timeout=40, every=0.25, what=f"all {MESSAGES} are sent", logs=logs)
        finally:
            for worker in workers:
                worker_process.stop(worker)

    received = collections.Counter(delivered_keys(mail_root))
    duplicates = sum(received.values()) - MESSAGES
    # Every message arrived at least once…
    assert set(received) == keys
    # …and the only one that arrived twice is the one the killed worker had
    # already handed over: none, or exactly that one, as the kill point says.
    assert duplicates == len(in_window) == kill_point.duplicates, received.most_common(2)
    assert {key for key, count in received.items() if count > 1} == {str(k) for k in in_window}
    # The killed worker's claim was taken over once; nothing else was claimed twice.
    assert sum(OutboxMessage.objects.values_list("attempts", flat=True)) == MESSAGES + 1
    # A receiver that deduplicates on X-Idempotency-Key holds each message once.
    assert sorted(p.stem for p in sink.inbox_dir(mail_root).glob("*.eml")) == sorted(keys)
