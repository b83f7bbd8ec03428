"""Form widgets shared by pages that must stay fast at firm scale."""

import html
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def _escape(value: Any) -> str:
    """conditional_escape without its lazy-argument wrapper (hundreds of
    options a page): safe strings as they are, anything else HTML-escaped."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


class PlainSelect(forms.Select):
    """A <select> whose options are joined in Python. The form renderer
    renders every option through a template of its own, which for a firm of
    300 consultants was most of the time "Hantera klienter" took."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        selected = set(self.format_value(value))
        options = mark_safe(  # noqa: S308 – keys and labels escaped by _escape
            "".join(
                f'<option value="{_escape(key)}"{" selected" if str(key) in selected else ""}>'
                f"{_escape(label)}</option>"
                for key, label in self.choices
            )
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            options,
        )
