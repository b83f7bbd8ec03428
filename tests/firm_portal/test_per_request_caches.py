"""What the layout no longer works out on every request (README, "Page
budgets and per-request work"): the URLs of pages without arguments and the
hashed names of static files, kept per process, with the same answers."""

import json

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import clear_script_prefix, reverse, set_script_prefix

from firm_portal.static_storage import HashedStaticFilesStorage


def render(text: str) -> str:
    return Template("{% load fixed_urls %}" + text).render(Context())


def test_fixed_url_answers_as_url_does_under_any_script_prefix():
    assert render("{% fixed_url 'home' %}") == reverse("home") == "/"
    assert render("{% fixed_url 'collaboration:client_list' %}") == reverse(
        "collaboration:client_list"
    )
    set_script_prefix("/portal/")
    try:
        assert render("{% fixed_url 'home' %}") == "/portal/"
    finally:
        clear_script_prefix()
    assert render("{% fixed_url 'home' %}") == "/"


@pytest.fixture
def storage(tmp_path):
    manifest = {"paths": {"css/app.css": "css/app.0123abcd.css"}, "version": "1.1", "hash": "x"}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return HashedStaticFilesStorage(location=str(tmp_path), base_url="/static/")


@override_settings(DEBUG=False)
def test_a_static_url_is_the_manifests_and_is_worked_out_once(storage):
    assert storage.url("css/app.css") == "/static/css/app.0123abcd.css"
    storage.hashed_files = {}  # were it asked again, it would not be found
    assert storage.url("css/app.css") == "/static/css/app.0123abcd.css"


@override_settings(DEBUG=False)
def test_a_name_missing_from_the_manifest_fails_every_time(storage):
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/missing.css")


@override_settings(DEBUG=True)
def test_with_debug_on_nothing_is_kept(storage):
    assert storage.url("css/app.css") == "/static/css/app.css"
    assert storage._urls == {}
