from django import template

from clients.models import Membership, Program
from clients.selectors import LicenseUsage, PermissionGrid

register = template.Library()


@register.filter
def level_label_for(member: Membership, program: Program) -> str:
    level = member.level_by_program.get(program.id)  # type: ignore[attr-defined]
    return level.get_level_display() if level else ""


@register.filter
def usage_for(grid: PermissionGrid, program: Program) -> LicenseUsage:
    return grid.licenses[program.id]
