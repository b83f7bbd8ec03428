"""How many outbox emails one Celery worker sends per second.

A benchmark, not a test: pytest does not collect it and `make test` does not
run it. Against the same services as the tests:

    DJANGO_ENV=test DATABASE_URL=postgres://postgres@127.0.0.1:5432/byraportalen \\
    REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python -m tests.bench.bench_outbox

It creates a database of its own (bench_<name>, dropped afterwards), fills
it with N pending emails, publishes them to a queue of its own as the app
does (`outbox_publish`: one `send_messages` task per OUTBOX_BATCH_SIZE, as
for a bulk invitation or the sweeper's backlog; `--single`: one
`send_message` task each, as for a lone email) and starts ONE worker in
another process (solo pool, as in production one process per core) with
Django's locmem mail backend, so what is measured is the outbox and Celery,
not an SMTP server. The rate is taken between the first and the last
`sent_at`, leaving out the worker's start-up.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the drain")
    parser.add_argument("--single", action="store_true", help="one send_message task per message")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firm_portal.settings")
    import django

    django.setup()

    from django.conf import settings
    from django.db import connection
    from django.db.models import Max, Min

    from notifications import services, tasks
    from notifications.models import OutboxMessage
    from tests.notifications import worker_process

    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        print("Needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL.", file=sys.stderr)
        return 2

    original_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"bench_{original_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    queue = worker_process.new_queue_name("bench")
    log = Path(tempfile.gettempdir()) / f"{queue}.log"
    worker = None
    try:
        OutboxMessage.objects.bulk_create(
            OutboxMessage(
                channel=OutboxMessage.Channel.EMAIL,
                recipient=f"kund{n}@example.se",
                template="collaboration-request",
                subject="Revisorerna Norr AB vill samarbeta med Bageriet Solsidan AB",
                body_text="Hej Lisa,\n\n" + "En rad text i ett vanligt mejl.\n" * 15,
                body_html="<p>Hej Lisa,</p>" + "<p>En rad text i ett vanligt mejl.</p>" * 15,
            )
            for n in range(args.messages)
        )
        ids = list(OutboxMessage.objects.values_list("pk", flat=True))
        with worker_process.publishing_to(queue):
            started = time.monotonic()
            if args.single:
                for message_id in ids:
                    tasks.send_message.delay(message_id)
            else:
                services.outbox_publish(message_ids=ids)
            published = time.monotonic() - started

            started = time.monotonic()
            worker = worker_process.start(
                name=queue,
                queue=queue,
                log=log,
                env={
                    "DJANGO_SETTINGS_MODULE": "firm_portal.settings",
                    "DATABASE_URL": worker_process.database_url(connection.settings_dict),
                    "EMAIL_BACKEND": "locmem",
                },
            )
            deadline = started + args.timeout
            while OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).exists():
                if worker.poll() is not None or time.monotonic() > deadline:
                    print(worker_process.log_tail(log), file=sys.stderr)
                    return 1
                time.sleep(0.2)
            wall = time.monotonic() - started
            worker_process.stop(worker)

        sent = OutboxMessage.objects.aggregate(first=Min("sent_at"), last=Max("sent_at"))
        window = (sent["last"] - sent["first"]).total_seconds()
        rate = (args.messages - 1) / window
        print(f"{args.messages} emails published in {published:.1f} s")
        how = "one task each" if args.single else f"tasks of {settings.OUTBOX_BATCH_SIZE}"
        print(
            f"one worker (solo pool, locmem mail, {how}) drained them in {window:.1f} s: "
            f"{rate:.0f} msgs/s"
        )
        print(f"(wall clock including the worker's start-up: {wall:.1f} s)")
        return 0
    finally:
        if worker is not None:
            worker_process.stop(worker)
        connection.creation.destroy_test_db(original_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
