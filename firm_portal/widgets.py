"""Form widgets shared by pages that must stay fast at firm scale.

Django renders every widget through templates of its own (an <input> is
three: the widget's, input.html and attrs.html; a <select> one more per
option). On a page like "Hantera klienter", with a filter form on every
request, that was a large part of the time; these build the same HTML in
Python, every value escaped."""

import html
from collections.abc import Iterator, Sequence
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def _escape(value: Any) -> str:
    """conditional_escape without its lazy-argument wrapper (hundreds of
    options a page): safe strings as they are, anything else HTML-escaped."""
    if type(value) is str:
        return html.escape(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


class PlainChoices(BaseChoiceIterator):
    """Choices already in their normal form, a list of (value, label) pairs
    without groups. A ChoiceField and its widget each normalise a plain list
    of choices again when it is set (for 300 consultants, 600 calls a
    request); an iterator of this kind they take as it is."""

    def __init__(self, choices: Sequence[tuple[Any, Any]]) -> None:
        self.choices = choices

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        return iter(self.choices)

    def __len__(self) -> int:
        return len(self.choices)


class PlainSelect(forms.Select):
    """A <select> whose options are joined in Python. The form renderer
    renders every option through a template of its own, which for a firm of
    300 consultants was most of the time "Hantera klienter" took. Options
    only, no groups."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        selected = set(self.format_value(value))
        escape = html.escape
        parts = []
        for key, label in self.choices:
            # The common cases inline (an int needs no escaping): 300 options.
            key_text = str(key)
            parts.append(
                f'<option value="{key_text if type(key) is int else _escape(key)}"'
                f"{' selected' if key_text in selected else ''}>"
                f"{escape(label) if type(label) is str else _escape(label)}</option>"
            )
        options = mark_safe("".join(parts))  # noqa: S308 – keys and labels escaped above
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            options,
        )


class _PlainInputMixin:
    """The <input> of django/forms/widgets/input.html (with attrs.html), from
    the same widget context, built in Python."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            widget["type"],
            widget["name"],
            format_html(' value="{}"', widget["value"]) if widget["value"] is not None else "",
            flatatt(widget["attrs"]),
        )


class PlainTextInput(_PlainInputMixin, forms.TextInput):
    pass


class PlainCheckboxInput(_PlainInputMixin, forms.CheckboxInput):
    pass
