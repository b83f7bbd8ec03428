"""A select for pages that must stay fast at firm scale.

Django renders a <select> through a template per option (and one more for
each option's attributes); "Hantera klienter" has one with every consultant
of the firm (300) on every request. PlainSelect renders the whole select
with one template, includes/widgets/select.html."""

from collections.abc import Iterator, Sequence
from typing import Any

from django import forms
from django.template.loader import render_to_string
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import SafeString, mark_safe


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
    """A <select> rendered by one template (options only, no groups)."""

    template_name = "includes/widgets/select.html"

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        selected = set(self.format_value(value))
        options = [(str(key), label, str(key) in selected) for key, label in self.choices]
        html = render_to_string(
            self.template_name,
            {"name": name, "attrs": self.build_attrs(self.attrs, attrs), "options": options},
        )
        return mark_safe(html)  # noqa: S308 – a template's output, escaped by it
