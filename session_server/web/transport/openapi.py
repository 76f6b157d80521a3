"""The OpenAPI 3.1 document of the JSON API, served at ``/openapi.json``.

Nothing in it is written by hand a second time:

- the paths, methods, statuses, security and texts come from
  ``transport/api.py``'s :data:`~session_server.web.transport.api.ENDPOINTS`,
  the table its routes are made of;
- the request bodies are the command models (``web/models.py``,
  ``CommandModels.schemas``) under the configured limits, the same models
  the gateway parses every message with;
- the response bodies are the models of ``transport/api_models.py``
  (``msgspec.json.schema_components``), the same the routes encode.

So the document is built per app, from its settings: with
``QUESTION_MAX_CHARS=50`` the question's ``maxLength`` is 50 here, and a
51-character question is refused with 422 there.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from session_server.core.model import Limits
from session_server.web.access import DEVICE_COOKIE, ORGANISER_COOKIE
from session_server.web.models import CommandModels
from session_server.web.transport.api import ENDPOINTS, JSON_TYPE, MAX_BODY, Body, Endpoint
from session_server.web.transport.api_models import RESPONSE_MODELS, Error

__all__ = ["REF_TEMPLATE", "openapi_document", "openapi_json", "routes"]

REF_TEMPLATE = "#/components/schemas/{name}"

REFUSALS: dict[int, str] = {
    400: "Invalid input or malformed JSON (request.bad_json, request.json_object, "
    "command.unknown, input.*).",
    401: "No role token (request.unauthorised).",
    403: "Invalid or revoked link, missing device cookie, another site's Origin, or a role "
    "that may not do this.",
    404: "Unknown dialogue, question, bridge point…",
    409: "The question, floor or phase forbids it now.",
    413: f"Request body over {MAX_BODY // 1024} KiB (request.too_large).",
    415: "A POST that is not application/json (request.content_type).",
    422: "A message that breaks its model (input.schema.*): the field and why, before "
    "anything is decided.",
    429: "Too many submissions; see Retry-After (rate.limited).",
    503: "The event log cannot be read or written right now.",
}

PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    "dialogue_id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"},
}

SECURITY_SCHEMES: dict[str, Any] = {
    "roleToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The signed token of a role link (/s/{token}, /j/{token}).",
    },
    "deviceCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": DEVICE_COOKIE,
        "description": "A phone's device id, with an attendee token only.",
    },
    "organiserCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": ORGANISER_COOKIE,
        "description": "The organiser's signed-in session (read-only here).",
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF_TEMPLATE.format(name=name)}


def _merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    """Add ``more`` components; one name never stands for two schemas."""
    for name, schema in more.items():
        if into.setdefault(name, schema) != schema:
            raise ValueError(f"two different schemas are named {name}")


def _command_union(actions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Any command: its ``action`` member names it, the rest is its model."""
    return {
        "title": "Command",
        "description": "A command in snake case in `action`, with its fields.",
        "type": "object",
        "properties": {"action": {"type": "string", "enum": sorted(actions)}},
        "required": ["action"],
        "oneOf": [
            {"allOf": [ref, {"properties": {"action": {"const": action}}}]}
            for action, ref in sorted(actions.items())
        ],
    }


def _body(
    body: Body, actions: dict[str, dict[str, Any]], components: dict[str, Any]
) -> dict[str, Any]:
    """The schema of what ``body`` reads: a command's model, or the members of
    it the endpoint takes (adding that component)."""
    if body.action is None:
        components[body.name] = _command_union(actions)
        return _ref(body.name)
    ref = actions[body.action]
    model = components[ref["$ref"].rsplit("/", 1)[1]]
    properties: dict[str, Any] = model["properties"]
    unknown = set(body.fields) - set(properties)
    if unknown:
        raise ValueError(f"{body.action} has no member {sorted(unknown)}")
    if not body.fields or set(body.fields) == set(properties):
        return ref
    components[body.name] = {
        "title": body.name,
        "description": f"The members of {body.action} a client sends; any other is ignored.",
        "type": "object",
        "properties": {name: properties[name] for name in body.fields},
        "required": [name for name in model.get("required", []) if name in body.fields],
    }
    return _ref(body.name)


def _operation(
    endpoint: Endpoint,
    request_body: dict[str, Any] | None,
    responses: dict[type[msgspec.Struct], dict[str, Any]],
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
    }
    if endpoint.description:
        operation["description"] = endpoint.description
    operation["security"] = [{scheme: [] for scheme in way} for way in endpoint.security]
    names = re.findall(r"{(\w+)}", endpoint.path)
    if names:
        operation["parameters"] = [
            {"name": name, "in": "path", "required": True, "schema": PATH_PARAMETERS[name]}
            for name in names
        ]
    if request_body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {JSON_TYPE: {"schema": request_body}},
        }
    answers: dict[str, Any] = {
        str(answer.status): {
            "description": answer.description,
            "content": {JSON_TYPE: {"schema": responses[answer.model]}},
        }
        for answer in endpoint.answers
    }
    for status in endpoint.refusals:
        answers[str(status)] = {"$ref": f"#/components/responses/Refused{status}"}
    operation["responses"] = answers
    return operation


def _refusal(status: int, error: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": REFUSALS[status],
        "content": {JSON_TYPE: {"schema": error}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {"description": "Bearer.", "schema": {"type": "string"}}
        }
    return response


def openapi_document(limits: Limits) -> dict[str, Any]:
    """The OpenAPI 3.1 description of :data:`ENDPOINTS` under ``limits``."""
    actions, components = CommandModels(limits).schemas(REF_TEMPLATE)
    models: list[type[msgspec.Struct]] = list(RESPONSE_MODELS)
    for endpoint in ENDPOINTS:
        models += [a.model for a in endpoint.answers if a.model not in models]
    refs, answered = msgspec.json.schema_components(models, ref_template=REF_TEMPLATE)
    _merge(components, dict(answered))
    responses = dict(zip(models, refs, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        body = _body(endpoint.body, actions, components) if endpoint.body else None
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(
            endpoint, body, responses
        )
    statuses = sorted({status for endpoint in ENDPOINTS for status in endpoint.refusals})
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Session server API",
            "version": "1",
            "description": "The JSON API of the live dialogue session server. Same rules and "
            "errors as the screens. POST bodies must be application/json. Messages come in "
            "Vietnamese and English.",
        },
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "responses": {
                f"Refused{status}": _refusal(status, responses[Error]) for status in statuses
            },
            "securitySchemes": SECURITY_SCHEMES,
        },
        "security": [{"roleToken": []}],
    }
    result: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(document))  # as served
    return result


async def openapi_json(request: Request) -> Response:
    """The document of this app's settings, built on first use."""
    state = request.app.state
    document: bytes | None = getattr(state, "openapi", None)
    if document is None:
        document = msgspec.json.encode(openapi_document(state.registry.settings.limits))
        state.openapi = document
    return Response(document, media_type=JSON_TYPE)


routes: list[BaseRoute] = [Route("/openapi.json", openapi_json, name="openapi")]
