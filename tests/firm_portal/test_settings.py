"""Production settings pass Django's deployment checks; env parsing is strict."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from firm_portal.env import StrictEnv
from tests.firm_portal.production_env import PRODUCTION_ENV, run_manage


def test_check_deploy_is_clean_under_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_secret_can_come_from_a_file(tmp_path, monkeypatch):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file")
    monkeypatch.setenv("SOME_SECRET_FILE", str(secret))
    assert StrictEnv().str("SOME_SECRET") == "from-a-file"


@pytest.mark.parametrize(("raw", "value"), [("true", True), ("0", False), ("Yes", True)])
def test_booleans(monkeypatch, raw, value):
    monkeypatch.setenv("A_FLAG", raw)
    assert StrictEnv().bool("A_FLAG") is value


def test_unknown_boolean_refuses(monkeypatch):
    monkeypatch.setenv("A_FLAG", "flase")
    with pytest.raises(ImproperlyConfigured, match="A_FLAG must be true or false"):
        StrictEnv().bool("A_FLAG")


def test_bad_number_refuses(monkeypatch):
    monkeypatch.setenv("A_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="A_NUMBER must be a whole number"):
        StrictEnv().int("A_NUMBER")


def test_production_refuses_to_start_without_database_url():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DATABASE_URL"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "DATABASE_URL is required in production (a PostgreSQL URL)" in result.stderr


def test_production_refuses_sqlite():
    result = run_manage("check", env={**PRODUCTION_ENV, "DATABASE_URL": "sqlite:////tmp/x.db"})
    assert result.returncode != 0
    assert "DATABASE_URL must be a PostgreSQL URL in production" in result.stderr
