"""Paging plain values: a list for Django's Paginator built from a
`.values()` queryset (shared by the client list, the start page, the firm's
users and the ledger). No domain code."""

from collections.abc import Callable, Iterator
from typing import Any, overload

from django.db.models import QuerySet


class PagedRows:
    """A list for a Paginator, shown as plain values: the page's rows come
    from `rows`, a `.values()` queryset (no model instances to build, and
    plain dict lookups in the template), with `finish` (if given) adding
    their display values; the count comes from `counted`, the same queryset without the
    joins only the values need (a count keeps the joins of `.values()`,
    where it leaves out those of `select_related`).

    With `cap`, the count stops at cap + 1 rows (COUNT over a LIMIT): a list of
    millions (a large firm's access ledger) is not counted to the end on every
    page; `capped` says the true number is larger, and the page shows
    "fler än 10 000" and no last page."""

    ordered = True  # both querysets are ordered; the Paginator checks

    def __init__(
        self,
        rows: QuerySet[Any, Any],
        *,
        counted: QuerySet[Any],
        finish: Callable[[list[dict[str, Any]]], None] | None = None,
        cap: int | None = None,
    ) -> None:
        self.rows = rows
        self.counted = counted
        self.finish = finish
        self.cap = cap
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            # Unordered: PostgreSQL stops at the LIMIT without sorting first.
            counted = self.counted if self.cap is None else self.counted.order_by()[: self.cap + 1]
            self._count = counted.count()
        return self._count

    @property
    def capped(self) -> bool:
        return self.cap is not None and self.count() > self.cap

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        page = list(self.rows[index])
        if self.finish is not None:
            self.finish(page)
        return page

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self[:])
