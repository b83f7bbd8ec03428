from functools import cache
from html import escape
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from clients.catalogue import plan_includes
from clients.models import Level, Membership, Program
from clients.selectors import LicenseUsage, PermissionGrid

register = template.Library()


@register.filter
def level_for(member: Membership, program: Program) -> str:
    """The member's level code on `program` ("" for none); needs the grid's `level_by_program`."""
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


def _url_pattern(context: template.Context, viewname: str, args: list[object]) -> str:
    """reverse(viewname, args), once per page: kept in the render context's
    bottom layer, as partials and includes (each row) get a layer of their own."""
    bottom: dict[object, str] = context.render_context.dicts[0]  # type: ignore[assignment]
    key = ("permissions-url", viewname, *args)
    pattern = bottom.get(key)
    if pattern is None:
        pattern = bottom[key] = reverse(viewname, args=args)
    return pattern


def _saved(context: template.Context, key: str) -> str:
    """ "Sparat" after a cell saved by HTMX (when `key` is set in the context)."""
    if not context.get(key):
        return ""
    return f'<span class="saved" role="status">{escape(_("Sparat"))}</span>'


def _alert(error: str) -> str:
    return f'<p class="error" role="alert">{conditional_escape(error)}</p>'


@register.simple_tag(takes_context=True)
def sysadmin_cell(context: template.Context, member: Membership) -> SafeString:
    """The "Systemadministratör" cell of a member's row: a checkbox that saves
    itself (HTMX) and is part of the grid's form without JavaScript. Built
    here rather than in a template for the same reason as `level_cell`: as a
    template partial the 20 cells of a 20-member page cost about as much as
    its 160 level cells (measured: 1.6 ms as a partial, 0.3 ms built here)."""
    number = context["subscription"].number
    pattern = _url_pattern(context, "clients:set_sysadmin", [number, _PK_MARK])
    url = pattern.replace(str(_PK_MARK), str(member.pk))
    cell_error = context.get("cell_error")
    label = _("Systemadministratör: %(name)s") % {"name": escape(member.user.full_name)}
    after = _saved(context, "cell_saved") + (_alert(cell_error) if cell_error else "")
    return mark_safe(  # noqa: S308 – every value above is escaped
        f'<td class="cell{" has-error" if cell_error else ""}"><label>'
        f'<input type="checkbox" name="sysadmin-{member.pk}"'
        f"{' checked' if member.is_sysadmin else ''}"
        f' hx-post="{escape(url)}" hx-trigger="change" hx-target="closest td"'
        f' hx-swap="outerHTML"><span class="visually-hidden">{label}</span></label>'
        f"{after}</td>"
    )


@register.simple_tag(takes_context=True)
def level_cell(context: template.Context, member: Membership, program: Program) -> SafeString:
    """One cell of "Tilldela behörigheter": the member's level on `program` as
    a select that saves itself (HTMX) and is part of the grid's form without
    JavaScript. Built here rather than in a template: a 20-member page has 168
    of them, and this is several times cheaper than a template per cell."""
    return _level_cells(context, member, [program])


@register.simple_tag(takes_context=True)
def level_cells(context: template.Context, member: Membership) -> SafeString:
    """The member's row of cells, one `level_cell` per program of the grid:
    one tag per row rather than one per cell (and the translated label, the
    URL pattern and the escaped names worked out once, not per cell)."""
    return _level_cells(context, member, context["grid"].programs)


def _program_cells(
    context: template.Context, number: int, programs: list[Program]
) -> list[tuple[int, str, str, str, str]]:
    """Per program, what its cells share, escaped: id, code, name, and the
    set_level URL before and after the member's pk. Once per page."""
    key = ("level-cell-programs", number, *(program.pk for program in programs))
    bottom: dict[object, list[tuple[int, str, str, str, str]]]
    bottom = context.render_context.dicts[0]  # type: ignore[assignment]
    found = bottom.get(key)
    if found is None:
        pattern = _url_pattern(context, "clients:set_level", [number, _PK_MARK, _CODE_MARK])
        before, after = escape(pattern).split(str(_PK_MARK))
        found = bottom[key] = [
            (
                program.id,
                escape(program.code),
                escape(program.name),
                before,
                after.replace(_CODE_MARK, escape(program.code)),
            )
            for program in programs
        ]
    return found


def _level_cells(
    context: template.Context, member: Membership, programs: list[Program]
) -> SafeString:
    cell_error = context.get("cell_error")
    saved = _saved(context, "cell_saved")
    td_class = "cell has-error" if cell_error else "cell"
    label_format = _("%(program)s för %(name)s")
    name = escape(member.user.full_name)
    pk = member.pk
    language = get_language()
    levels = member.level_by_program  # type: ignore[attr-defined]
    subscription = context["subscription"]
    wanted = context.get("wanted_level") or ""
    # An error (no free seat) offers "Lägg till licens" where the plan includes the program.
    addable = (
        {p.id for p in programs if plan_includes(plan=subscription.plan, program_code=p.code)}
        if cell_error
        else set()
    )
    cells = []
    for program_id, code, program_name, url_before, url_after in _program_cells(
        context, subscription.number, programs
    ):
        field_id = f"level-{pk}-{code}"
        label = label_format % {"program": program_name, "name": name}
        level = levels.get(program_id)
        options = _level_options(language, level.level if level else "")
        after = saved
        if cell_error:
            after += _alert(cell_error)
            if program_id in addable:
                # The confirmation ("Lägg till licens"), carrying the level just chosen.
                query = {"medlem": pk, **({"niva": wanted} if wanted else {})}
                href = escape(f"{add_license_url(context, code)}?{urlencode(query)}")
                after += (
                    f'<a href="{href}" hx-get="{href}" hx-target="#license-confirm"'
                    f' hx-swap="innerHTML" class="button secondary small">'
                    f"{escape(_('Lägg till licens'))}</a>"
                )
        cells.append(
            f'<td class="{td_class}">'
            f'<label class="visually-hidden" for="{field_id}">{label}</label>'
            f'<select name="{field_id}" id="{field_id}" hx-post="{url_before}{pk}{url_after}"'
            f' hx-trigger="change" hx-target="closest td" hx-swap="outerHTML">'
            f"{options}</select>{after}</td>"
        )
    return mark_safe("".join(cells))  # noqa: S308 – every value above is escaped


@register.simple_tag(takes_context=True)
def add_license_url(context: template.Context, program: Program | str) -> str:
    """`{% url 'clients:add_license' subscription.number program.code %}`
    (a program or its code), with one reverse() per page instead of one per
    program."""
    number = context["subscription"].number
    code = program if isinstance(program, str) else program.code
    pattern = _url_pattern(context, "clients:add_license", [number, _CODE_MARK])
    return pattern.replace(_CODE_MARK, code)
