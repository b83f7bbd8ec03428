"""The "Konsult" filter of a firm's lists ("Hantera klienter",
"Behörighetslogg"): a select of the firm's consultants, or, for a firm with
more of them than anyone scrolls through, a search box.

A select of every consultant grows with the firm: 3,000 options are 150 kB
of HTML and most of the page's CPU on every request (README, "The pages on
the national set"). Above `CONSULTANT_SELECT_MAX` the filter takes a name or
an e-mail address instead and finds the one consultant it means; a link
that names a consultant by id (`?konsult=12`) works in both forms."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from firm_portal.models import Consultant
from firm_portal.request_data import has_control_characters
from firm_portal.widgets import PlainChoices, PlainSelect

# The most consultants a firm's "Konsult" filter lists in a select.
CONSULTANT_SELECT_MAX = 200


@dataclass(frozen=True)
class ChosenConsultant:
    pk: int
    user_id: int
    email: str = ""


class ConsultantFilterField(forms.Field):
    """Cleans to a `ChosenConsultant`, or None for "Alla". `offer()` sets
    the firm's consultants before the form is validated."""

    widget: Any = PlainSelect

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.consultants: QuerySet[Consultant] = Consultant.objects.none()
        self.listed: dict[str, ChosenConsultant] | None = {}
        self.chosen: ChosenConsultant | None = None

    def offer(self, consultants: QuerySet[Consultant]) -> None:
        """The consultants to choose from (the firm's active ones): one
        query, at most `CONSULTANT_SELECT_MAX` + 1 rows."""
        self.consultants = consultants
        # At most one more than a select takes, in name order: the order is
        # applied to those rows only (a large firm's consultants are not
        # sorted to learn that there are too many of them).
        first = consultants.order_by().values("pk")[: CONSULTANT_SELECT_MAX + 1]
        rows = list(
            Consultant.objects.filter(pk__in=first)
            .order_by("user__full_name")
            .values_list("pk", "user_id", "user__full_name")
        )
        if len(rows) > CONSULTANT_SELECT_MAX:
            self.listed = None
            self.widget = forms.TextInput(attrs={"type": "search", "maxlength": 254})
            self.help_text = _("Namn eller e-postadress.")
            return
        self.listed = {str(pk): ChosenConsultant(pk, user_id) for pk, user_id, _name in rows}
        self.widget.choices = PlainChoices(  # type: ignore[attr-defined]
            [("", _("Alla")), *((pk, name) for pk, _user_id, name in rows)]
        )

    def to_python(self, value: Any) -> ChosenConsultant | None:
        text = str(value or "").strip()
        if not text:
            return None
        if self.listed is not None:
            chosen = self.listed.get(text)
            if chosen is None:
                raise ValidationError(
                    forms.ChoiceField.default_error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": text},
                )
            return chosen
        self.chosen = self._search(text)
        return self.chosen

    def _search(self, text: str) -> ChosenConsultant:
        """The one consultant `text` names: by id (a link), by the whole
        e-mail address, or by the only name or address containing it."""
        if len(text) > 254 or has_control_characters(text):
            raise ValidationError(_("Sökningen innehåller otillåtna tecken."), code="invalid")
        if text.isdigit():
            found = self.consultants.filter(pk=int(text))
        else:
            found = self.consultants.filter(user__email__iexact=text)
            if not found.exists():
                found = self.consultants.filter(
                    Q(user__full_name__icontains=text) | Q(user__email__icontains=text)
                )
        matches = list(found.values_list("pk", "user_id", "user__email")[:2])
        if not matches:
            raise ValidationError(
                _("Ingen konsult på byrån matchar ”%(text)s”.") % {"text": text},
                code="no_match",
            )
        if len(matches) > 1:
            raise ValidationError(
                _(
                    "Flera konsulter matchar ”%(text)s”. Skriv mer av namnet eller hela "
                    "e-postadressen."
                )
                % {"text": text},
                code="several",
            )
        return ChosenConsultant(*matches[0])

    def prepare_value(self, value: Any) -> Any:
        """In the search box, the consultant found shows as their address
        (unique, so the next search finds them again)."""
        if self.listed is None and self.chosen is not None:
            return self.chosen.email
        return value


def consultant_filter_field() -> ConsultantFilterField:
    return ConsultantFilterField(label=gettext_lazy("Konsult"))
