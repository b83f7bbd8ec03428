"""Strict environment parsing on top of django-environ.

django-environ reads `VAR_FILE` for secrets (FileAwareEnv) and parses database
URLs; its boolean parser, however, treats any unknown word as False. A typo in
production (`DEBUG=flase`) must stop the process instead.
"""

import builtins
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class StrictEnv(environ.FileAwareEnv):
    def bool(self, var: str, default: Any = environ.Env.NOTSET) -> bool:  # type: ignore[override]
        raw = self.str(var, default="" if default is not environ.Env.NOTSET else default)
        if raw == "" and default is not environ.Env.NOTSET:
            return bool(default)
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ImproperlyConfigured(f"{var} must be true or false, not {raw!r}")

    def int(self, var: str, default: Any = environ.Env.NOTSET) -> int:  # type: ignore[override]
        raw = self.str(var, default="" if default is not environ.Env.NOTSET else default)
        if raw == "" and default is not environ.Env.NOTSET:
            return int(default)
        try:
            return int(raw)
        except ValueError:
            raise ImproperlyConfigured(f"{var} must be a whole number, not {raw!r}") from None

    def int_list(self, var: str, default: list[builtins.int]) -> list[builtins.int]:
        """Comma-separated whole numbers ("3,10"), each 1 or more, ascending."""
        raw = self.str(var, default="").strip()
        if not raw:
            return list(default)
        try:
            values = [int(part) for part in raw.split(",")]
        except ValueError:
            raise ImproperlyConfigured(
                f"{var} must be whole numbers separated by commas, not {raw!r}"
            ) from None
        if any(value < 1 for value in values) or values != sorted(set(values)):
            raise ImproperlyConfigured(f"{var} must be ascending numbers of 1 or more, not {raw!r}")
        return values
