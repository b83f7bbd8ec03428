"""Bulk writing with PostgreSQL COPY: ids handed out up front (so rows can
point at each other before they exist), then the id sequences moved past
them."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


class IdBlock:
    """Ids for new rows of one table, after the highest existing one."""

    def __init__(self, model: type[models.Model]) -> None:
        self.table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.table}")  # noqa: S608 - model table
            self.next = cursor.fetchone()[0] + 1

    def take(self, count: int) -> range:
        block = range(self.next, self.next + count)
        self.next += count
        return block


def copy_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """COPY `rows` (tuples in `columns` order, ids included) into the
    model's table; returns how many."""
    return copy_rows_to(model._meta.db_table, columns, rows)


def copy_rows_to(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY `rows` into `table` (a model's, or a temporary one)."""
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def sequences_reset(model_list: Iterable[type[models.Model]]) -> None:
    """Move each table's id sequence past the ids COPY wrote."""
    with connection.cursor() as cursor:
        for model in model_list:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - model table
                f"GREATEST((SELECT MAX(id) FROM {table}), 1))"
            )
