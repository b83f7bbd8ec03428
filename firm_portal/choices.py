"""Display labels of choice fields, translated one at a time.

Django's `get_FOO_display()` builds a dict of every choice on each call, and
hashing a lazy label translates it: the ledger's 27 event kinds cost 1,350
translations on a 50-row page. `display_method` is the same method, but it
translates only the label it returns."""

from collections.abc import Callable, Iterable
from typing import Any


def display_method(field: str, choices: Iterable[tuple[Any, Any]]) -> Callable[[Any], str]:
    labels = dict(choices)  # lazy labels, translated when shown

    def get_display(instance: Any) -> str:
        value = getattr(instance, field)
        return str(labels.get(value, value))

    return get_display
