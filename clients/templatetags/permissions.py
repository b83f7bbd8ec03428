from functools import cache

from django import template
from django.template import Context
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from clients.models import Level, Membership, Program, Subscription
from clients.selectors import LevelCell, LicenseUsage, PermissionGrid

register = template.Library()


@register.filter
def usage_for(grid: PermissionGrid, program: Program) -> LicenseUsage:
    return grid.licenses[program.id]


@register.simple_tag(takes_context=True)
def level_select(
    context: Context, subscription: Subscription, member: Membership, cell: LevelCell
) -> SafeString:
    """The label and select of one cell of "Tilldela behörigheter": the
    member's level on the cell's program, saved on change (HTMX) and part of
    the grid's form without JavaScript. The one piece of the grid's markup
    built in Python rather than in a template: a page has one per member and
    program, and as template text they cost the page more than its budget."""
    field = f"level-{member.pk}-{cell.program.code}"
    url = f"{_grid_url(context, subscription)}{member.pk}/program/{cell.program.code}/"
    label = _("%(program)s för %(name)s") % {
        "program": cell.program.name,
        "name": member.user.full_name,
    }
    return format_html(
        '<label class="visually-hidden" for="{}">{}</label>'
        '<select name="{}" id="{}" hx-post="{}" hx-trigger="change" hx-target="closest td"'
        ' hx-swap="outerHTML">{}</select>',
        field,
        label,
        field,
        field,
        url,
        _level_options(get_language(), cell.level),
    )


def _grid_url(context: Context, subscription: Subscription) -> str:
    """The grid's own URL, reversed once a render: a cell's URL ("set_level"
    in clients/urls.py) is the grid's followed by `<membership>/program/<code>/`.
    Reversing each of a page's 160 cells took a fifth of the page's CPU
    (tests/clients/test_views.py holds the two equal)."""
    key = f"permissions_url:{subscription.number}"
    url = context.render_context.get(key)
    if url is None:
        url = context.render_context[key] = reverse(
            "clients:permissions", args=[subscription.number]
        )
    return str(url)


@cache
def _level_options(language: str | None, current: str) -> SafeString:
    """The <option>s of a level select ("Ingen" and the levels), `current`
    selected: the same for every cell, so built once per language and level."""
    del language  # part of the cache key: the labels are translated
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, " selected" if value == current else "", label)
            for value, label in [("", _("Ingen")), *Level.choices]
        ),
    )
