"""The OpenAPI document: valid OpenAPI 3.1, and its bounds (like the
models the API parses with) follow the configured limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator
from starlette.applications import Starlette
from starlette.testclient import TestClient

from session_server.catalogue import term
from session_server.config import load_settings
from session_server.core.model import Limits
from session_server.demo import DEMO_DIALOGUE_ID
from session_server.web.app import create_app
from session_server.web.transport.openapi import openapi_document
from tests.webapp import SECRET, seeded_log, settings, token

CONFIGURED = {  # every limit a setting, none of them its default
    "QUESTION_MAX_CHARS": 50,
    "NAME_MAX_CHARS": 17,
    "UNIT_MAX_CHARS": 23,
    "REASON_MAX_CHARS": 31,
    "SUMMARY_MAX_CHARS": 77,
    "TIMER_MAX_SECONDS": 99,
}
OTHERS = {name: value * 3 + 1 for name, value in CONFIGURED.items()}

BOUNDS = [  # (schema, property, keyword, setting)
    ("QuestionSubmission", "text", "maxLength", "QUESTION_MAX_CHARS"),
    ("SubmitQuestion", "text", "maxLength", "QUESTION_MAX_CHARS"),
    ("QuestionSubmission", "asker_name", "maxLength", "NAME_MAX_CHARS"),
    ("QuestionSubmission", "asker_unit", "maxLength", "UNIT_MAX_CHARS"),
    ("RejectQuestion", "reason", "maxLength", "REASON_MAX_CHARS"),
    ("DeferQuestion", "note", "maxLength", "REASON_MAX_CHARS"),
    ("AddCommitment", "what", "maxLength", "REASON_MAX_CHARS"),
    ("RecordAnswerSummary", "summary", "maxLength", "SUMMARY_MAX_CHARS"),
    ("StartTimer", "seconds", "maximum", "TIMER_MAX_SECONDS"),
    ("ExtendTimer", "seconds", "maximum", "TIMER_MAX_SECONDS"),
    ("GiveFloor", "question_seconds", "maximum", "TIMER_MAX_SECONDS"),
]
KEYWORDS = frozenset({"maxLength", "minLength", "maximum", "minimum", "maxItems"})


def limits_of(monkeypatch: pytest.MonkeyPatch, values: dict[str, int]) -> Limits:
    """The limits ``load_settings`` reads from these environment variables."""
    for name, value in values.items():
        monkeypatch.setenv(name, str(value))
    return load_settings(None).limits


def bounds(node: Any, where: str = "") -> dict[str, Any]:
    """Every bound in a document, by where it stands."""
    found: dict[str, Any] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            if key in KEYWORDS:
                found[f"{where}/{key}"] = value
            found.update(bounds(value, f"{where}/{key}"))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.update(bounds(value, f"{where}/{i}"))
    return found


def test_the_document_is_valid_openapi_3_1(monkeypatch: pytest.MonkeyPatch) -> None:
    for limits in (Limits(), limits_of(monkeypatch, CONFIGURED)):
        OpenAPIV31SpecValidator(openapi_document(limits)).validate()


def test_every_bound_follows_the_configured_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    one = openapi_document(limits_of(monkeypatch, CONFIGURED))
    other = openapi_document(limits_of(monkeypatch, OTHERS))
    schemas = one["components"]["schemas"]
    for schema, prop, keyword, setting in BOUNDS:
        assert schemas[schema]["properties"][prop][keyword] == CONFIGURED[setting], (schema, prop)
    # anywhere a bound moves with the settings, it is one setting's value, the same one
    first, second = bounds(one), bounds(other)
    assert first.keys() == second.keys()
    setting_of = {value: name for name, value in CONFIGURED.items()}
    moved: set[str] = set()
    for where, value in first.items():
        if value != second[where]:
            assert value in setting_of, f"{where}: {value} is no configured limit"
            assert second[where] == OTHERS[setting_of[value]], where
            moved.add(setting_of[value])
        else:
            assert value not in setting_of, f"{where}: {value} stays when the limit changes"
    assert moved == set(CONFIGURED)


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Starlette, TestClient]]:
    """An app whose settings come from :data:`CONFIGURED`, with a phone's cookie."""
    app = create_app(settings(limits=limits_of(monkeypatch, CONFIGURED)), seeded_log(), SECRET)
    with TestClient(app) as client:
        assert client.get(f"/j/{token(app, 'phchaudoc01')}").status_code == 200
        yield app, client


def bearer(app: Starlette, link_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(app, link_id)}"}


def test_the_served_document_and_the_api_follow_the_app_settings(
    limited: tuple[Starlette, TestClient],
) -> None:
    app, client = limited
    doc = client.get("/openapi.json").json()
    assert doc == openapi_document(app.state.registry.settings.limits)
    assert (
        doc["components"]["schemas"]["QuestionSubmission"]["properties"]["text"]["maxLength"] == 50
    )
    phone = bearer(app, "phchaudoc01")
    refused = client.post(
        "/api/v1/questions",
        headers=phone,
        json={"text": "a" * 51, "idempotency_key": "fifty-one-01"},
    )
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"] == "input.schema.too_long"
    assert set(body["message"]) == {"vi", "en"}
    assert body["message"]["vi"] != body["message"]["en"]
    for lang in ("vi", "en"):
        assert "50" in body["message"][lang] and term("question", lang) in body["message"][lang]
    accepted = client.post(
        "/api/v1/questions",
        headers=phone,
        json={"text": "a" * 50, "idempotency_key": "fifty-00001"},
    )
    assert accepted.status_code == 201, accepted.text


VIOLATIONS: list[tuple[str, str, dict[str, Any], str, str]] = [
    # (link, path, body, code, the field as the message names it)
    (
        "phchaudoc01",
        "questions",
        {"text": "a" * 51, "idempotency_key": "violation01"},
        "input.schema.too_long",
        "question",
    ),
    (
        "phchaudoc01",
        "questions",
        {"text": 5, "idempotency_key": "violation02"},
        "input.schema.type",
        "question",
    ),
    (
        "phchaudoc01",
        "questions",
        {"text": "Thiếu mã gửi?"},
        "input.schema.missing",
        "idempotency_key",
    ),
    (
        "phchaudoc01",
        "questions",
        {"text": "Mã dài?", "idempotency_key": "k" * 65},
        "input.schema.too_long",
        "idempotency_key",
    ),
    (
        "phchaudoc01",
        "questions",
        {"text": "Tên dài?", "idempotency_key": "violation05", "asker_name": "n" * 18},
        "input.schema.too_long",
        "asker_name",
    ),
    (
        "phchaudoc01",
        "questions",
        {"text": "Mã lệnh?", "idempotency_key": "violation06", "command_id": 7},
        "input.schema.type",
        "command_id",
    ),
    ("phchaudoc01", "votes", {"question_id": 0}, "input.schema.too_small", "question_id"),
    ("phchaudoc01", "votes", {"question_id": "1"}, "input.schema.type", "question_id"),
    (
        "moderator01",
        "commands",
        {"action": "reject_question", "question_id": 3, "reason": "r" * 32},
        "input.schema.too_long",
        "reason",
    ),
    (
        "moderator01",
        "commands",
        {"action": "start_timer", "kind": "answer", "seconds": 100},
        "input.schema.too_large",
        "seconds",
    ),
    (
        "moderator01",
        "commands",
        {"action": "start_timer", "kind": "forever", "seconds": 10},
        "input.schema.choice",
        "kind",
    ),
    (
        "moderator01",
        "commands",
        {"action": "give_floor", "bridge_id": "b" * 65},
        "input.schema.too_long",
        "bridge_id",
    ),
    (
        "secretary01",
        "commands",
        {"action": "record_answer_summary", "question_id": 1, "summary": "s" * 78},
        "input.schema.too_long",
        "summary",
    ),
]


@pytest.mark.parametrize(("link", "path", "body", "code", "field"), VIOLATIONS)
def test_a_message_that_breaks_its_model_never_reaches_the_core(
    limited: tuple[Starlette, TestClient],
    monkeypatch: pytest.MonkeyPatch,
    link: str,
    path: str,
    body: dict[str, Any],
    code: str,
    field: str,
) -> None:
    app, client = limited
    hub = app.state.registry.hubs[DEMO_DIALOGUE_ID]
    seq, reached = hub.session.seq, []

    async def execute(*args: Any, **kwargs: Any) -> Any:
        reached.append(args)
        raise AssertionError("the core was asked")

    monkeypatch.setattr(hub, "execute", execute)
    response = client.post(f"/api/v1/{path}", headers=bearer(app, link), json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == code
    messages = response.json()["message"]
    assert term(field, "vi") in messages["vi"] and term(field, "en") in messages["en"]
    assert messages["vi"] != messages["en"]
    assert reached == [] and hub.session.seq == seq
