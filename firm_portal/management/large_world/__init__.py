"""The firm-scale data set behind `manage.py seed_large` (issue "Performance at
firm scale"): 10,000 clients, 12,000 subscriptions, 40 firms, one of them
("Storbyrån AB") with 300 consultants and 6,000 clients, 30,000 memberships
with program levels, 2,000 pending requests, client assignments and 100,000
outbox messages, plus three known logins for the benchmarks.

Everything comes from `random.Random(7)`, so two empty databases get the same
world (timestamps are relative to now; abonnemangsnummer continue from the
counter). Rows are written with `bulk_create`, never through the services, so
nothing is sent; the 50,000 access-ledger events are a history made up to
match (AccessEvent refuses updates through save(), not inserts).

Split by concept: `specs` (scale, constants, plans of rows), `state` (one run's
state and helpers), `firms`, `clients`, `couplings`, `members`, `outbox`, `ledger`,
and `build` (the order of the steps). `LargeWorld(...).build()` is the entry.
"""

from firm_portal.management.large_world.build import LargeWorld
from firm_portal.management.large_world.specs import (
    BENCH_ADMIN_EMAIL,
    BENCH_CONSULTANT_EMAIL,
    BENCH_EMAILS,
    BENCH_SYSADMIN_EMAIL,
    BIG_FIRM_NAME,
    PASSWORD,
    Scale,
    Summary,
)

__all__ = [
    "BENCH_ADMIN_EMAIL",
    "BENCH_CONSULTANT_EMAIL",
    "BENCH_EMAILS",
    "BENCH_SYSADMIN_EMAIL",
    "BIG_FIRM_NAME",
    "PASSWORD",
    "LargeWorld",
    "Scale",
    "Summary",
]
