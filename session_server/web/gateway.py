"""One way in: every command from every transport goes through ``dispatch``.

::

    socket message ─┐
    form post ──────┤                    ┌─ preconditions (the link still active)
    JSON API ───────┼─▶ Caller, message ─┤─ parse (web/models.py: the command's model)
    organiser form ─┤                    ├─ role (core.decide.authorise)
    agency page ────┘                    ├─ rate limit (web/ratelimit.py)
                                         └─ hub.execute ─▶ core.decide, under the lock ─▶ Done

A transport only says who is calling (a :class:`Caller`, built from a
verified link, device cookie or organiser session) and hands over the raw
message; everything after that is here, once. ``dispatch`` raises the
:class:`~session_server.core.errors.SessionError` of a refusal (the error
handlers answer it); ``attempt`` returns it as a :class:`Refusal` for the
transports that answer in place (a socket, a form shown again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from session_server.catalogue import UI
from session_server.core.commands import (
    Command,
    RecordAnswerSummary,
    SubmitQuestion,
)
from session_server.core.decide import authorise
from session_server.core.errors import (
    Forbidden,
    InvalidInput,
    RateLimited,
    SessionError,
    StaleSequence,
    Unavailable,
)
from session_server.core.model import Actor, Role, RoleLink
from session_server.core.views import submitted_question_id
from session_server.runtime.session import Outcome
from session_server.web.access import LinkClaim
from session_server.web.live.hub import Hub
from session_server.web.models import CommandModels
from session_server.web.registry import Registry

__all__ = ["Again", "Caller", "Done", "Gateway", "LinkCaller", "Refusal"]


@dataclass(frozen=True)
class Caller:
    """Who sends a command, as the transport verified it."""

    hub: Hub
    actor: Actor
    claim: LinkClaim | None = None
    """The role link it came with: checked again on every command (a link
    revoked meanwhile is refused)."""
    address: str = ""
    """The client's address, as the server sees it."""
    page_device: bool = True
    """A phone's cookie was issued by its page (only those vote)."""


@dataclass(frozen=True)
class LinkCaller(Caller):
    """A caller that came with a role link (``/s/…``, ``/j/…``, a Bearer token)."""

    link: RoleLink | None = None
    token: str = ""


@dataclass(frozen=True)
class Done:
    """A command the log now holds (or held already: a repeat)."""

    command: Command
    outcome: Outcome
    hub: Hub

    def ack(self, key: str | None = None) -> dict[str, Any]:
        """What the client learns: its message's key and what the command made."""
        state = self.hub.session.state
        ack: dict[str, Any] = {"type": "ack", "key": key}
        command = self.command
        if isinstance(command, SubmitQuestion):
            ack["question_id"] = submitted_question_id(state, command)
        elif isinstance(command, RecordAnswerSummary):
            record = state.answers.get(command.question_id)
            ack["revision"] = record.revision if record is not None else 0
        return ack


@dataclass(frozen=True)
class Again:
    """A refused command offered again with the person's confirmation
    (:meth:`Gateway.again`): a form of ``action`` with ``fields``, its
    button's words the screen text ``label``."""

    action: str
    fields: Mapping[str, str | int]
    label: str

    def form(self, lang: str) -> dict[str, Any]:
        """What ``_refusal.html`` renders, its button's words in ``lang``."""
        words = UI[self.label][0 if lang == "vi" else 1]
        return {"action": self.action, "fields": self.fields, "label": words}


@dataclass(frozen=True)
class Refusal:
    """A command refused: its error, and whether the same message may pass later."""

    error: SessionError

    @property
    def retry(self) -> bool:
        return isinstance(self.error, Unavailable | RateLimited | StaleSequence)


class Gateway:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.models = CommandModels(registry.settings.limits)

    # --- callers --------------------------------------------------------------------

    async def link_caller(
        self,
        token: str,
        device: str | None = None,
        address: str = "",
        *,
        phone: bool | None = None,
        page_device: bool = True,
        agency: bool = False,
        drafter: bool = False,
        unit: bool = False,
    ) -> LinkCaller:
        """The caller of a role link's token, refused when the link is not
        (or no longer) valid. ``phone``: True when the transport is a phone's
        (the link must be an attendee's and the device known), False when it
        is a role screen's, None when either may come. ``agency``: the
        agency's page, the only way in for an agency's link; ``drafter``:
        the suggested answers' page, the only way in for a drafter's link;
        ``unit``: the unit's registration page, the only way in for a unit's
        link."""
        registry = self.registry
        claim = registry.access.read_link(token)
        hub = await registry.get(claim.dialogue_id)
        link = registry.access.active_link(hub.session.state, claim)
        if (link.role is Role.AGENCY) is not agency or (link.role is Role.DRAFTER) is not drafter:
            raise Forbidden("link.invalid")
        if (link.role is Role.UNIT_REGISTRAR) is not unit:
            raise Forbidden("link.invalid")
        attendee = link.role is Role.ATTENDEE
        if phone is not None and attendee is not phone:
            raise Forbidden("role.forbidden", role=link.role.value)
        if attendee and phone and device is None:
            raise Forbidden("role.device_missing")
        return LinkCaller(hub, link.actor(device), claim, address, page_device, link, token)

    # --- commands -------------------------------------------------------------------

    async def dispatch(
        self, caller: Caller, message: Mapping[str, Any], *, form: bool = False
    ) -> Done:
        """Run the command ``message`` names (``form``: every value came as
        text) for ``caller``; raises its refusal."""
        self._preconditions(caller)
        command = self.models.parse(
            message, caller.actor, strings=form, force=_forced(caller.actor, message)
        )
        return await self._execute(caller, command)

    async def attempt(
        self, caller: Caller, message: Mapping[str, Any], *, form: bool = False
    ) -> Done | Refusal:
        """``dispatch``, with a refusal returned instead of raised."""
        try:
            return await self.dispatch(caller, message, form=form)
        except SessionError as error:
            return Refusal(error)

    async def run(self, caller: Caller, command: Command) -> Done:
        """A command the server built for the caller (the organiser's standard
        links, a written answer): the same checks, without parsing."""
        self._preconditions(caller)
        return await self._execute(caller, command)

    async def run_batch(self, caller: Caller, commands: Sequence[Command]) -> Outcome:
        """Commands decided one after another and stored all at once, or none
        (an import of pre-collected questions)."""
        self._preconditions(caller)
        for command in commands:
            authorise(command)
        return await caller.hub.execute_batch(commands, self.registry.now())

    async def signal(
        self, caller: Caller, link_id: str | None, message: Mapping[str, Any]
    ) -> dict[str, Any]:
        """WebRTC signaling from a screen (``media/manager.py``): the answer,
        or the refusal as a JSON reply for that screen alone."""
        try:
            self._preconditions(caller)
            media = caller.hub.media
            if media is None:
                raise InvalidInput("media.off")
            return await media.signal(caller.actor, link_id, dict(message))
        except SessionError as error:
            return {"type": "media", "op": "error", "code": error.code, **error.messages()}

    def again(self, refusal: Refusal, message: Mapping[str, Any]) -> Again | None:
        """The refused message as a form to send again with the person's
        confirmation, when its refusal may be gone past that way
        (``SessionError.confirm``): the command's own fields as the message
        gave them (not its transport's, nor its id: sent again, it is a new
        command), the confirming field set. ``None`` for any other refusal."""
        field = refusal.error.confirm
        if not field:
            return None
        cls = self.models.command_class(message)
        names = self.models.field_names(cls) - {"command_id", "idempotency_key", field}
        fields: dict[str, str | int] = {}
        for name, value in message.items():
            if name not in names:
                continue
            if isinstance(value, bool):  # a JSON message's; a form's are text
                fields[name] = "true" if value else "false"
            elif isinstance(value, str | int):
                fields[name] = value
        fields[field] = "true"
        return Again(str(message["action"]), fields, f"confirm.{field}")

    async def attempt_batch(self, caller: Caller, commands: Sequence[Command]) -> Outcome | Refusal:
        """``run_batch``, with a refusal returned instead of raised."""
        try:
            return await self.run_batch(caller, commands)
        except SessionError as error:
            return Refusal(error)

    def _preconditions(self, caller: Caller) -> None:
        if caller.claim is not None:
            self.registry.access.active_link(caller.hub.session.state, caller.claim)

    async def _execute(self, caller: Caller, command: Command) -> Done:
        authorise(command)
        self._charge(caller, command)
        outcome = await caller.hub.execute(command, self.registry.now())
        return Done(command, outcome, caller.hub)

    def _charge(self, caller: Caller, command: Command) -> None:
        """The limits on what phones and consoles send (``web/limits.py``)."""
        registry = self.registry
        registry.limits.charge(
            caller.hub.dialogue_id,
            caller.hub.session.state,
            command,
            caller.address,
            registry.clock(),
            page_device=caller.page_device,
        )


def _forced(actor: Actor, message: Mapping[str, Any]) -> dict[str, Any]:
    """Fields the caller's link decides, whatever the message says: a phone's
    bridge point always; a bridge operator's when it names none (naming
    another is the core's refusal, ``role.other_bridge``)."""
    if not actor.bridge_id or message.get("action") not in _BRIDGE_ACTIONS:
        return {}
    if actor.role is Role.ATTENDEE:
        return {"bridge_id": actor.bridge_id}
    if actor.role is Role.BRIDGE_OPERATOR and not message.get("bridge_id"):
        return {"bridge_id": actor.bridge_id}
    return {}


_BRIDGE_ACTIONS = frozenset({"submit_question", "request_floor"})
"""The commands naming a bridge point that a link decides (SubmitQuestion,
RequestFloor)."""
