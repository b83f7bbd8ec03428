"""Bulk-load mode, as `pg_restore` does it: a table's secondary indexes and
unique constraints are dropped before its rows are written and built again
once they are all in (one sorted build instead of millions of insertions),
foreign-key and user triggers are off while the generated rows go in (the
seed's rows point only at rows it wrote itself; the tests check it), and the
commit does not wait for the disk. Everything happens in the caller's
transaction: if the seed fails, the indexes are back as they were."""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import DatabaseError, connection, models, transaction

# Index builds get this much memory (a sort of 10,000,000 keys fits).
MAINTENANCE_WORK_MEM = "1GB"


@dataclass(frozen=True)
class Dropped:
    """A secondary index (`constraint` None) or a unique constraint, with
    the statement that makes it again."""

    table: str
    name: str
    definition: str
    constraint: bool

    def restore_sql(self) -> str:
        if self.constraint:
            return f'ALTER TABLE "{self.table}" ADD CONSTRAINT "{self.name}" {self.definition}'
        return self.definition


def secondary_indexes(table: str) -> list[Dropped]:
    """The table's indexes but its primary key: unique constraints by their
    constraint definition, the rest by their index definition."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, con.conname, pg_get_constraintdef(con.oid),
                   pg_get_indexdef(i.oid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid
                 AND con.conrelid = x.indrelid AND con.contype IN ('u', 'p', 'x')
            WHERE x.indrelid = %s::regclass AND NOT x.indisprimary
            ORDER BY i.relname
            """,
            [table],
        )
        rows = cursor.fetchall()
    return [
        Dropped(table, conname, condef, True)
        if conname is not None
        else Dropped(table, index, indexdef, False)
        for index, conname, condef, indexdef in rows
    ]


def _drop(dropped: Dropped) -> None:
    with connection.cursor() as cursor:
        if dropped.constraint:
            cursor.execute(f'ALTER TABLE "{dropped.table}" DROP CONSTRAINT "{dropped.name}"')
        else:
            cursor.execute(f'DROP INDEX "{dropped.name}"')


def session_for_bulk() -> None:
    """Settings of this transaction: no waiting for the disk at commit, room
    for index builds, and (superuser only, as `pg_restore
    --disable-triggers`) no trigger per row."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        try:
            with transaction.atomic():
                cursor.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:
            pass  # not a superuser: the triggers run, only slower


@contextmanager
def indexes_built_after(
    model_list: Iterable[type[models.Model]], built: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Drop the tables' secondary indexes and unique constraints, let the
    caller write, then build them again, table by table (`built(table)`
    after each)."""
    tables = [model._meta.db_table for model in model_list]
    dropped = {table: secondary_indexes(table) for table in tables}
    for items in dropped.values():
        for item in items:
            _drop(item)
    yield
    with connection.cursor() as cursor:
        for table, items in dropped.items():
            for item in items:
                cursor.execute(item.restore_sql())
            if built is not None:
                built(table)
