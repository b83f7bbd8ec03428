"""`display_method` gives the labels Django's own get_FOO_display gives."""

import pytest
from django.db.models import Model
from django.utils import translation

from clients.models import Level, ProgramLevel
from collaboration.models import Coupling
from ledger.models import AccessEvent

CASES = [
    (AccessEvent, "kind", AccessEvent.Kind.choices),
    (Coupling, "status", Coupling.Status.choices),
    (ProgramLevel, "level", Level.choices),
]


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize(("model", "field", "choices"), CASES)
def test_same_label_as_django(language: str, model: type[Model], field: str, choices) -> None:  # type: ignore[no-untyped-def]
    django_display = Model._get_FIELD_display  # type: ignore[attr-defined]
    model_field = model._meta.get_field(field)
    with translation.override(language):
        for value in [value for value, _label in choices] + ["unknown"]:
            instance = model(**{field: value})
            ours = getattr(instance, f"get_{field}_display")()
            assert ours == django_display(instance, model_field)
            assert isinstance(ours, str)
    assert getattr(model(**{field: choices[0][0]}), f"get_{field}_display")() != ""
