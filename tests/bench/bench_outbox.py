"""How many outbox emails one Celery worker sends per second.

A benchmark, not a test: pytest does not collect it and `make test` does not
run it. Against the same services as the tests:

    DJANGO_ENV=test DATABASE_URL=postgres://postgres@127.0.0.1:5432/byraportalen \\
    REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python -m tests.bench.bench_outbox

It creates a database of its own (bench_<name>, dropped afterwards) and
enqueues N emails as a bulk change does (`outbox_enqueue_email` with a real
template, one per recipient, inside `outbox_batch()` and a transaction), so
after commit they are published to a queue of its own as `send_messages`
tasks of OUTBOX_BATCH_SIZE (`--single`: one `send_message` task each, as for
a lone email). Then it starts ONE worker in another process — `--concurrency
1` is the solo pool, more is the prefork pool with that many processes, as
in docker-compose.yml — whose mail goes over SMTP (Django's SMTP backend, as
in production) to a local sink in a third process
(tests/notifications/smtp_sink.py; `--mail locmem` keeps it in memory). The
rate is taken between the first and the last `sent_at`, leaving out the
worker's start-up; the worker's CPU time per message (all its processes,
over the same stretch) is printed too, since on a shared machine it moves
far less than the rate.
"""

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the drain")
    parser.add_argument("--single", action="store_true", help="one send_message task per message")
    parser.add_argument("--concurrency", type=int, default=1, help="1: solo pool; more: prefork")
    parser.add_argument("--mail", choices=["smtp", "locmem"], default="smtp")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firm_portal.settings")
    import django

    django.setup()

    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models import Max, Min

    from notifications import services
    from notifications.models import OutboxMessage
    from tests.bench.cpu import children, process_cpu
    from tests.notifications import worker_process

    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        print("Needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL.", file=sys.stderr)
        return 2

    def cpu_usage(worker_pid: int) -> tuple[float, float]:
        """CPU seconds so far of the worker (all its processes) and the sink."""
        worker_total = process_cpu(worker_pid) + sum(map(process_cpu, children(worker_pid)))
        return worker_total, process_cpu(sink.pid) if sink is not None else 0.0

    original_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"bench_{original_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    load = os.getloadavg()
    queue = worker_process.new_queue_name("bench")
    log = Path(tempfile.gettempdir()) / f"{queue}.log"
    worker = sink = None
    mail_env = {"EMAIL_BACKEND": "locmem"}
    if args.mail == "smtp":
        port = 20000 + os.getpid() % 20000
        sink = subprocess.Popen(  # noqa: S603 - fixed arguments
            [sys.executable, "-m", "tests.notifications.smtp_sink", str(port)],
            cwd=worker_process.ROOT,
        )
        mail_env = {"EMAIL_BACKEND": "smtp", "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port)}
    try:
        with worker_process.publishing_to(queue):
            started = time.monotonic()
            batch = contextlib.nullcontext() if args.single else services.outbox_batch()
            with transaction.atomic(), batch:
                for n in range(args.messages):
                    services.outbox_enqueue_email(
                        to=f"kund{n}@example.se",
                        template="collaboration-expired",
                        context={
                            "recipient": {"full_name": f"Kund Nummer {n}"},
                            "client": {"name": f"Bageriet Solsidan {n} AB"},
                            "subscription": {"number": 100000 + n},
                        },
                    )
            published = time.monotonic() - started

            started = time.monotonic()
            worker = worker_process.start(
                name=queue,
                queue=queue,
                log=log,
                env={
                    "DJANGO_SETTINGS_MODULE": "firm_portal.settings",
                    "DATABASE_URL": worker_process.database_url(connection.settings_dict),
                    "DEBUG": "false",  # as in production: no query log in the worker
                    **mail_env,
                },
                pool="solo" if args.concurrency == 1 else "prefork",
                concurrency=args.concurrency,
            )
            deadline = started + args.timeout
            unsent = OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT)
            cpu_first = None
            sent_first = 0
            while unsent.exists():
                if worker.poll() is not None or time.monotonic() > deadline:
                    print(worker_process.log_tail(log), file=sys.stderr)
                    return 1
                if cpu_first is None:
                    sent_first = OutboxMessage.objects.filter(status="sent").count()
                    if sent_first:
                        cpu_first = cpu_usage(worker.pid)
                time.sleep(0.2 if cpu_first is not None else 0.02)
            cpu_last = cpu_usage(worker.pid)
            first = cpu_first or (0.0, 0.0)
            cpu = [last - before for last, before in zip(cpu_last, first, strict=True)]
            wall = time.monotonic() - started
            worker_process.stop(worker)

        sent = OutboxMessage.objects.aggregate(first=Min("sent_at"), last=Max("sent_at"))
        window = (sent["last"] - sent["first"]).total_seconds()
        rate = (args.messages - 1) / window
        print(f"{args.messages} emails rendered, stored and published in {published:.1f} s")
        how = "one task each" if args.single else f"tasks of {settings.OUTBOX_BATCH_SIZE}"
        pool = "solo pool" if args.concurrency == 1 else f"prefork pool, -c {args.concurrency}"
        print(
            f"one worker ({pool}, {args.mail} mail, {how}) drained them in {window:.1f} s: "
            f"{rate:.0f} msgs/s"
        )
        counted = args.messages - sent_first
        worker_ms, sink_ms = (seconds / counted * 1000 for seconds in cpu)
        print(
            f"CPU per message: worker {worker_ms:.2f} ms (all its processes), "
            f"SMTP sink {sink_ms:.2f} ms"
        )
        print(f"load average before the run: {load[0]:.2f} on {os.cpu_count()} cores")
        print(f"(wall clock including the worker's start-up: {wall:.1f} s)")
        return 0
    finally:
        if worker is not None:
            worker_process.stop(worker)
        if sink is not None:
            sink.terminate()
            sink.wait()
        connection.creation.destroy_test_db(original_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
