from functools import cache
from html import escape

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from clients.models import Level, Membership, Program
from clients.selectors import LicenseUsage, PermissionGrid

register = template.Library()


@register.filter
def level_for(member: Membership, program: Program) -> str:
    """The member's level code on `program` ("" for none); needs the grid's prefetch."""
    level = member.level_by_program.get(program.id)  # type: ignore[attr-defined]
    return level.level if level else ""


@register.filter
def level_label_for(member: Membership, program: Program) -> str:
    level = member.level_by_program.get(program.id)  # type: ignore[attr-defined]
    return level.get_level_display() if level else ""


@register.filter
def usage_for(grid: PermissionGrid, program: Program) -> LicenseUsage:
    return grid.licenses[program.id]


@cache
def _level_options(language: str | None, current: str) -> SafeString:
    """The <option>s of a level select with `current` selected (the same for
    every cell, so built once per language and level)."""
    del language  # part of the cache key: the labels are translated
    choices = [("", _("Ingen")), *Level.choices]
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, mark_safe(" selected") if value == current else "", label)
            for value, label in choices
        ),
    )


# Markers reversed in place of a membership and a program, then replaced: one
# reverse() per page instead of one per cell.
_PK_MARK = 987654321987
_CODE_MARK = "programkod-markor"


def _set_level_url(context: template.Context, number: int, membership_id: int, code: str) -> str:
    key = f"set_level_url-{number}"
    pattern = context.render_context.get(key)
    if pattern is None:
        pattern = reverse("clients:set_level", args=[number, _PK_MARK, _CODE_MARK])
        context.render_context[key] = pattern
    return pattern.replace(str(_PK_MARK), str(membership_id)).replace(_CODE_MARK, code)


@register.simple_tag(takes_context=True)
def level_cell(context: template.Context, member: Membership, program: Program) -> SafeString:
    """One cell of "Tilldela behörigheter": the member's level on `program` as
    a select that saves itself (HTMX) and is part of the grid's form without
    JavaScript. Built here rather than in a template: a 20-member page has 168
    of them, and this is several times cheaper than a template per cell."""
    field_id = f"level-{member.pk}-{program.code}"
    cell_error = context.get("cell_error")
    label = _("%(program)s för %(name)s") % {
        "program": escape(program.name),
        "name": escape(member.user.full_name),
    }
    url = _set_level_url(context, context["subscription"].number, member.pk, program.code)
    options = _level_options(get_language(), level_for(member, program))
    after = ""
    if context.get("cell_saved"):
        after = f'<span class="saved" role="status">{escape(_("Sparat"))}</span>'
    if cell_error:
        after += (
            f'<p class="error" role="alert">{conditional_escape(cell_error)}</p>'
            f'<button type="submit" form="add-license-{escape(program.code)}"'
            f' class="secondary small">{escape(_("Lägg till licens"))}</button>'
        )
    field_id = escape(field_id)
    return mark_safe(  # noqa: S308 – every value above is escaped
        f'<td class="cell{" has-error" if cell_error else ""}">'
        f'<label class="visually-hidden" for="{field_id}">{label}</label>'
        f'<select name="{field_id}" id="{field_id}" hx-post="{escape(url)}" hx-trigger="change"'
        f' hx-target="closest td" hx-swap="outerHTML">{options}</select>{after}</td>'
    )
