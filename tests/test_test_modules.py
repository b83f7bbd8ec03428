"""A test file holds tests, fixtures live in conftest.py (issue 15, "Behaviour
stays exactly the same"): no module under tests/ imports from a `test_*`
module. What several test modules share goes to a helper module named for
what it holds (tests/access_routes.py, tests/collaboration/
new_customer_helpers.py, ...) and a shared fixture to the nearest conftest.py
that covers every user, so a test module never needs another to run and no
fixture is registered twice by an import."""

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def is_test_module(dotted: str) -> bool:
    return dotted.rsplit(".", 1)[-1].startswith("test_")


def imports_of_test_modules(source: str) -> Iterator[tuple[int, str]]:
    """(line, what) for each import that reaches into a `test_*` module or
    brings in a name starting with `test_` (collected again where imported)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if any(is_test_module(part) for part in alias.name.split(".")):
                    yield node.lineno, f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if node.module and any(is_test_module(part) for part in node.module.split(".")):
                yield node.lineno, f"from {module} import ..."
            for alias in node.names:
                if alias.name.startswith("test_"):
                    yield node.lineno, f"from {module} import {alias.name}"


def test_no_module_under_tests_imports_from_a_test_module() -> None:
    found = [
        f"{path.relative_to(TESTS.parent).as_posix()}:{line}: {what}"
        for path in sorted(TESTS.rglob("*.py"))
        for line, what in imports_of_test_modules(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "Move what is shared to a helper module or conftest.py:\n" + "\n".join(
        found
    )


def test_the_check_finds_every_form_of_such_an_import() -> None:
    source = """
from tests.collaboration.test_new_customer import create
from tests.test_access_matrix import (
    RULES,
)
from tests.clients import test_bulk_invitations
from .test_views import login
import tests.firm_portal.test_settings
from tests.collaboration.new_customer_helpers import create
from tests import factories
import testing_tools


def later():
    from tests.test_bad_input import FORMS
"""
    assert list(imports_of_test_modules(source)) == [
        (2, "from tests.collaboration.test_new_customer import ..."),
        (3, "from tests.test_access_matrix import ..."),
        (6, "from tests.clients import test_bulk_invitations"),
        (7, "from .test_views import ..."),
        (8, "import tests.firm_portal.test_settings"),
        (15, "from tests.test_bad_input import ..."),
    ]
