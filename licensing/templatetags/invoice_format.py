"""Swedish money formatting for invoices: "1 234,50" (no-break space between
thousands, decimal comma). Exact: formats the Decimal, never a float."""

from decimal import Decimal

from django import template

register = template.Library()

NBSP = "\u00a0"


def format_kronor(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"))
    whole, _point, ore = f"{abs(amount):.2f}".partition(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    sign = "-" if amount < 0 else ""
    return f"{sign}{NBSP.join(groups)},{ore}"


@register.filter
def kronor(value: Decimal | int | None) -> str:
    return format_kronor(value)


@register.filter
def signed(value: int) -> str:
    """A quantity with its sign when it is a change ("+1", "-2")."""
    return f"+{value}" if value > 0 else str(value)


@register.filter
def percent(rate: Decimal) -> str:
    """0.25 → "25"."""
    return format(Decimal(rate) * 100, "f").rstrip("0").rstrip(".")
