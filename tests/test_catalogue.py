"""Every refusal has a typed error with a code and a message in both languages."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from session_server.catalogue import MESSAGES, TERMS, message, term
from session_server.core import errors

ROOT = Path(__file__).resolve().parents[1] / "session_server"
ERROR_NAMES = {name for name in errors.__all__ if name != "StaleSequence"}


def _codes_raised_in_source() -> set[str]:
    """The first string argument of every ``SomeError("code", ...)`` call."""
    codes: set[str] = set()
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ERROR_NAMES
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                codes.add(node.args[0].value)
    return codes


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_code_raised_is_in_the_catalogue() -> None:
    raised = _codes_raised_in_source()
    assert len(raised) > 40
    missing = raised - MESSAGES.keys()
    assert not missing, f"codes without a catalogue entry: {sorted(missing)}"


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_both_languages_say_the_same_thing(code: str) -> None:
    vi, en = MESSAGES[code]
    assert vi.strip() and en.strip()
    assert vi != en
    assert _placeholders(vi) == _placeholders(en)


def test_parameters_that_are_domain_words_are_translated() -> None:
    assert message("input.too_long", "vi", field="question", limit=10, length=11) == (
        "Câu hỏi quá dài: 11 ký tự, tối đa 10."
    )
    assert message("input.too_long", "en", field="question", limit=10, length=11) == (
        "Question is too long: 11 characters, at most 10."
    )
    assert term("on_floor", "vi") == "đang trả lời"
    assert all(len(pair) == 2 for pair in TERMS.values())


def test_errors_carry_a_code_both_messages_and_a_status() -> None:
    error = errors.Forbidden("role.forbidden", role="attendee")
    assert error.status == 403
    assert error.to_dict() == {
        "error": "role.forbidden",
        "message": {
            "vi": "Vai trò người tham dự không được thực hiện thao tác này.",
            "en": "The attendee role may not do this.",
        },
    }
    assert errors.StaleSequence(3, 4).status == 409
    assert issubclass(errors.Unavailable, errors.SessionError)


def test_a_refused_field_a_person_typed_is_named_in_words() -> None:
    """The secretary's bad deadline read "by_when sai định dạng": every
    field a person types into a command's form is a domain term."""
    typed = {
        "by_when",
        "deadline",
        "intake_deadline",
        "starts_at",
        "issued_on",
        "quota_override",
        "count",
        "seconds",
        "question_seconds",
    }
    for field in typed:
        for lang in ("vi", "en"):
            said = message("input.schema.format", lang, field=field)
            assert field not in said, said
    assert message("input.schema.format", "vi", field="by_when") == "Thời hạn sai định dạng."
