"""The two tables that only grow, generated inside PostgreSQL: 10,000,000
access-ledger events and 5,000,000 outbox messages are `INSERT ... SELECT`
over `generate_series`, so no row passes through Python.

Every random choice of row g is `hashint8extended(g, salt)` (PostgreSQL's
stable 64-bit hash of an integer), so the same seed gives the same rows
whatever order PostgreSQL produces them in. The world's firms, their
consultants and the coupled subscriptions are first copied into temporary
tables the generating queries join."""

from datetime import datetime, timedelta

from django.db import connection

from firm_portal.management.national.copy import IdBlock, copy_rows_to
from firm_portal.management.national.scale import (
    LEDGER_KINDS,
    LEVELS,
    NAMES,
    OUTBOX_TEMPLATES,
    SURNAMES,
)
from ledger.models import AccessEvent
from notifications.models import OutboxMessage

YEAR = timedelta(days=365)
RETENTION_DAYS = 30
MICROSECOND = timedelta(microseconds=1)


def pick(g: str, salt: int, count: int | str) -> str:
    """SQL (with `%` escaped for parameters): a number in [0, count) chosen
    by row `g` and `salt`."""
    return f"abs(hashint8extended({g}, {salt}) %% {count})"


def world_tables(
    coupled: list[tuple[int, int, int]], consultants: list[tuple[int, int, int]]
) -> None:
    """Temporary tables of the world: `nat_coupled` (n, subscription, firm,
    the firm's number of consultants) and `nat_consultant` (firm, k, user:
    the firm's consultants numbered from 0), from rows in that order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE nat_coupled (n int PRIMARY KEY, subscription_id bigint, "
            "firm_id bigint, size int) ON COMMIT DROP"
        )
        cursor.execute(
            "CREATE TEMP TABLE nat_consultant (firm_id bigint, k int, user_id bigint, "
            "PRIMARY KEY (firm_id, k)) ON COMMIT DROP"
        )
    copy_rows_to(
        "nat_coupled",
        ["n", "subscription_id", "firm_id", "size"],
        ((n, *row) for n, row in enumerate(coupled)),
    )
    copy_rows_to(
        "nat_consultant",
        ["firm_id", "k", "user_id"],
        consultants,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE nat_coupled")
        cursor.execute("ANALYZE nat_consultant")


def ledger_write(*, count: int, coupled: int, now: datetime, seed: int) -> int:
    """`count` events spread evenly over the year before `now`, each on a
    random coupled subscription by a random consultant of its firm."""
    first = IdBlock(AccessEvent).take(count).start
    salt = seed * 100
    level = "(%(levels)s::text[])[1 + {}]"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO collaboration_accessevent
                (id, kind, occurred_at, before, after, detail,
                 actor_id, firm_id, subject_id, subscription_id)
            SELECT %(first)s + r.g - 1, r.kind,
                   %(now)s - (%(count)s - r.g + 1) * %(step)s::interval,
                   CASE WHEN r.kind = 'level_changed' THEN jsonb_build_object(
                       'program', 'bokforing', 'level', {level.format(pick("r.g", salt + 3, 4))})
                   END,
                   CASE WHEN r.kind = 'level_changed' THEN jsonb_build_object(
                       'program', 'bokforing', 'level', {level.format(pick("r.g", salt + 4, 4))})
                   END,
                   '', c.user_id, cp.firm_id, c.user_id, cp.subscription_id
            FROM (
                SELECT g,
                       (%(kinds)s::text[])[1 + {pick("g", salt + 1, len(LEDGER_KINDS))}] AS kind,
                       {pick("g", salt + 2, "%(coupled)s")} AS couple,
                       hashint8extended(g, {salt + 5}) AS who
                FROM generate_series(1, %(count)s) AS g
            ) AS r
            JOIN nat_coupled AS cp ON cp.n = r.couple
            JOIN nat_consultant AS c ON c.firm_id = cp.firm_id AND c.k = abs(r.who %% cp.size)
            """,  # noqa: S608 - no user input; salts are integers
            {
                "first": first,
                "now": now,
                "count": count,
                "step": f"{YEAR // count // MICROSECOND} microseconds",
                "kinds": list(LEDGER_KINDS),
                "levels": list(LEVELS),
                "coupled": coupled,
            },
        )
        return cursor.rowcount


def outbox_write(*, count: int, recipients: int, now: datetime, seed: int) -> int:
    """A year of sent mail, evenly spread; bodies past the retention period
    already purged (as the beat task would have)."""
    first = IdBlock(OutboxMessage).take(count).start
    salt = seed * 100 + 50
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO notifications_outboxmessage
                (id, channel, recipient, template, subject, body_text, body_html, status,
                 idempotency_key, attempts, last_error, created_at, sent_at, request_id,
                 body_purged_at)
            SELECT %(first)s + m.g - 1, 'email',
                   'kund' || ((m.g - 1) %% %(recipients)s) || '@national.bench',
                   m.template,
                   CASE WHEN m.purged THEN '' ELSE 'Till ' || m.name END,
                   CASE WHEN m.purged THEN '' ELSE
                       'Hej ' || m.name || ', en förfrågan om samarbete väntar på dig.' END,
                   '', 'sent', md5(%(seed)s || '/' || m.g)::uuid, 1, '',
                   m.created, m.created + interval '2 seconds', '',
                   CASE WHEN m.purged
                       THEN m.created + interval '2 seconds' + %(retention)s::interval END
            FROM (
                SELECT s.*,
                       s.created + interval '2 seconds' < %(now)s - %(retention)s::interval
                           AS purged
                FROM (
                    SELECT g, %(now)s - (%(count)s - g + 1) * %(step)s::interval AS created,
                           (%(templates)s::text[])[1 + {pick("g", salt + 1, 4)}] AS template,
                           (%(names)s::text[])[1 + {pick("g", salt + 2, len(NAMES))}] || ' ' ||
                           (%(surnames)s::text[])[1 + {pick("g", salt + 3, len(SURNAMES))}]
                               AS name
                    FROM generate_series(1, %(count)s) AS g
                ) AS s
            ) AS m
            """,  # noqa: S608 - no user input; salts are integers
            {
                "first": first,
                "now": now,
                "count": count,
                "step": f"{YEAR // count // MICROSECOND} microseconds",
                "recipients": recipients,
                "seed": str(seed),
                "retention": f"{RETENTION_DAYS} days",
                "templates": list(OUTBOX_TEMPLATES),
                "names": list(NAMES),
                "surnames": list(SURNAMES),
            },
        )
        return cursor.rowcount
