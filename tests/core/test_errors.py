"""Error codes are declared once, each by one class in its app's errors module, and all are documented."""

import ast
import pathlib

import pytest

from marketplace.bookings.errors import SlotUnavailable
from marketplace.core.errors import Conflict, DomainError, NotFound, error_catalog

ROOT = pathlib.Path(__file__).resolve().parents[2]
CODE_DIRS = ["marketplace", "api", "storefront", "backoffice"]


def test_a_code_cannot_be_spelled_at_a_raise_site():
    with pytest.raises(TypeError):
        Conflict("That time is taken.", code="slot_unavailable")


def test_a_code_cannot_be_declared_twice():
    with pytest.raises(TypeError, match="declared twice"):
        type("AnotherNotFound", (NotFound,), {"code": SlotUnavailable.code, "__module__": "tests.core"})


def test_every_kind_of_error_declares_its_own_code():
    with pytest.raises(TypeError, match="must declare its own error code"):
        type("Forgetful", (Conflict,), {"__module__": "tests.core"})


def test_every_code_is_declared_in_an_errors_module_and_says_what_it_means():
    from api import docs  # noqa: F401  (imports every app's errors module)

    for info in error_catalog():
        cls = DomainError._codes[info.code]
        assert cls.__module__ == "marketplace.core.errors" or cls.__module__.endswith(".errors"), cls
        assert info.meaning, f"{cls.__qualname__} needs a docstring saying what {info.code} means"


def test_no_raise_site_names_a_code_literally():
    offenders = []
    for directory in CODE_DIRS:
        for path in (ROOT / directory).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Call) and any(keyword.arg == "code" for keyword in node.keywords):
                    name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                    # Django's own ValidationError takes a code on purpose; ours never do.
                    if name != "ValidationError" and name.endswith(
                        ("Error", "Failed", "Denied", "Found", "Conflict", "Transition")
                    ):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
