"""templates/includes/field.html: what a screen reader is pointed at exists,
once. Django 6.1 points a widget's aria-describedby at `<id>_helptext` and
`<id>_error`."""

import re

import pytest
from django import forms
from django.template.loader import render_to_string
from django.urls import reverse

pytestmark = pytest.mark.django_db


class _Form(forms.Form):
    start_date = forms.DateField(label="Startdatum", help_text="ÅÅÅÅ-MM-DD.")

    def clean_start_date(self) -> None:
        raise forms.ValidationError(["Första felet.", "Andra felet."])


def described_ids(html: str, field_id: str) -> list[str]:
    tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', html)
    assert tag is not None
    describedby = re.search(r'aria-describedby="([^"]+)"', tag.group(0))
    assert describedby is not None
    return describedby.group(1).split()


def test_help_and_every_error_are_reachable_from_the_field() -> None:
    form = _Form({"start_date": "2030-01-01"})
    form.is_valid()

    html = render_to_string("includes/field.html", {"field": form["start_date"]})

    ids = described_ids(html, "id_start_date")
    assert ids == ["id_start_date_helptext", "id_start_date_error"]
    for element_id in ids:
        assert html.count(f'id="{element_id}"') == 1, element_id
    error_block = html[html.index('id="id_start_date_error"') :]
    assert "Första felet." in error_block and "Andra felet." in error_block
    assert 'aria-invalid="true"' in html


def test_password_rules_are_a_list_in_a_div_not_in_a_paragraph(client, world) -> None:
    client.force_login(world.consultant.user)

    html = client.get(reverse("password_change")).content.decode()

    assert '<div class="help" id="id_new_password1_helptext"><ul>' in html
    assert "id_new_password1_helptext" in " ".join(described_ids(html, "id_new_password1"))
    assert not re.search(r"<p[^>]*>\s*<ul", html)
