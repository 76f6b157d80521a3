"""The organiser's pages: sign-in (``auth.py``), the dialogues and a
dialogue's setup (``dialogues.py``), role links and QR codes (``links.py``),
the pictures' links and recordings (``media.py``), the record: conclusion,
import, exports (``record.py``), the follow-up board (``followup.py``), and
units, guests, invitations and attendance (``roster.py``), and before
the day: the timeline, the plan's publication, drafters' links and the
MC's script (``preparation.py``).
``common.py`` holds what they share."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from session_server.web.screens.organiser import (
    auth,
    dialogues,
    followup,
    links,
    media,
    onair,
    preparation,
    record,
    roster,
)
from session_server.web.screens.organiser.common import SignInNeeded

__all__ = ["SignInNeeded", "routes"]

routes: list[BaseRoute] = [
    Route("/o/login", auth.login, methods=["GET", "POST"]),
    Route("/o/logout", auth.logout),
    Route("/o/", dialogues.dialogues, methods=["GET", "POST"]),
    Route("/o/{dialogue_id}", dialogues.setup),
    Route("/o/{dialogue_id}/act", dialogues.act, methods=["POST"]),
    Route("/o/{dialogue_id}/links", links.links),
    Route("/o/{dialogue_id}/qr", links.qr_sheet),
    Route("/o/{dialogue_id}/qr/{link_id}.svg", links.qr_svg),
    Route("/o/{dialogue_id}/media", media.link_health),
    Route("/o/{dialogue_id}/recordings/{file}", media.recording),
    Route("/o/{dialogue_id}/conclusion", record.conclusion, methods=["GET", "POST"]),
    Route("/o/{dialogue_id}/conclusion.docx", record.conclusion_file),
    Route("/o/{dialogue_id}/import", record.import_questions, methods=["GET", "POST"]),
    Route("/o/{dialogue_id}/export/{name}", record.export),
    Route("/o/{dialogue_id}/followup", followup.board, methods=["GET", "POST"]),
    Route("/o/{dialogue_id}/units", roster.units, methods=["GET", "POST"]),
    Route("/o/{dialogue_id}/guests", roster.guests, methods=["GET", "POST"]),
    Route("/o/{dialogue_id}/attendance", roster.attendance_page, methods=["GET", "POST"]),
    Route("/o/{dialogue_id}/invitations/{who}.docx", roster.invitation),
    Route("/o/{dialogue_id}/delegates/{bridge_id}.docx", roster.delegate_list),
    Route("/o/{dialogue_id}/prep", preparation.prep, methods=["GET", "POST"]),
    Route("/o/{dialogue_id}/mc-script.docx", preparation.mc_script),
    Route("/o/{dialogue_id}/onair", onair.onair, methods=["GET", "POST"]),
    Route("/o/{dialogue_id}/onair/status", onair.onair_status),
]
