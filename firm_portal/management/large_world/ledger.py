"""Half a year of access-ledger history."""

import json
from datetime import timedelta

from django.db import connection

from firm_portal.management.large_world.specs import (
    BENCH_CONSULTANT_EMAIL,
)
from firm_portal.management.large_world.state import WorldState
from ledger.models import AccessEvent


def create_ledger(world: WorldState) -> None:
    """Half a year of access-ledger history: level changes, members added,
    requests sent and approved, seats and roles, about the world's
    couplings and members, with a few hundred about the bench consultant
    (the ledger page `make bench` measures)."""
    scale = world.scale
    couplings = [spec for spec in world.couplings if spec.responsible.row is not None]
    bench = next(
        spec
        for firm in world.consultants
        for spec in firm
        if spec.person.email == BENCH_CONSULTANT_EMAIL
    )
    bench_couplings = [spec for spec in couplings if spec.firm == bench.firm]
    coupling_kinds = [
        AccessEvent.Kind.REQUEST_SENT,
        AccessEvent.Kind.REQUEST_APPROVED,
        AccessEvent.Kind.MEMBER_ADDED,
        AccessEvent.Kind.LEVEL_CHANGED,
        AccessEvent.Kind.LEVEL_CHANGED,
        AccessEvent.Kind.ASSIGNMENT_CHANGED,
    ]
    levels = ["read", "reporter", "approver", "admin", None]
    program_codes = list(world.programs)
    step = timedelta(days=180) / max(scale.ledger_events, 1)
    rows = []
    for n in range(scale.ledger_events):
        occurred_at = world.now - step * (scale.ledger_events - n)
        if n % (scale.ledger_events // scale.bench_consultant_events) == 0:
            responsible = bench
            spec = world.rng.choice(bench_couplings)
        else:
            spec = world.rng.choice(couplings)
            responsible = spec.responsible
        kind = world.rng.choice(coupling_kinds)
        before = after = None
        if kind == AccessEvent.Kind.LEVEL_CHANGED:
            code = world.rng.choice(program_codes)
            before = {"program": code, "level": world.rng.choice(levels)}
            after = {"program": code, "level": world.rng.choice(levels)}
        rows.append(
            AccessEvent(
                kind=kind,
                occurred_at=occurred_at,
                actor_id=getattr(responsible.person.user, "pk", None),
                firm_id=world.firms[responsible.firm].pk,
                subscription_id=world.subscriptions[spec.subscription].pk,
                subject_id=getattr(responsible.person.user, "pk", None),
                before=before,
                after=after,
            )
        )
    _insert(rows)
    world.summary.ledger_events = len(rows)


def _insert(rows: list[AccessEvent]) -> None:
    # A raw INSERT: occurred_at is auto_now_add, the ledger refuses updates.
    columns = [
        "kind", "occurred_at", "actor_id", "firm_id", "subscription_id",
        "subject_id", "before", "after", "detail",
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {AccessEvent._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 - fixed names
            f"VALUES ({', '.join(['%s'] * len(columns))})",
            [
                (
                    e.kind,
                    e.occurred_at,
                    e.actor_id,
                    e.firm_id,
                    e.subscription_id,
                    e.subject_id,
                    json.dumps(e.before) if e.before is not None else None,
                    json.dumps(e.after) if e.after is not None else None,
                    e.detail,
                )
                for e in rows
            ],
        )
