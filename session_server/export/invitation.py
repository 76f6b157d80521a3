"""Invitations (giấy mời) and the printable list of delegates per bridge
point, as DOCX, in the conclusion notice's administrative layout
(``export/layout.py``: the header, body paragraphs and signature block
are the notice's own, not redrawn).

Each invitation carries its delegate's personal check-in QR code (segno):
the check-in page and the bridge console read it with the device's camera
(``static/js/checkin.js``). The code holds :func:`qr_payload` and nothing
else: the delegate's random id, which only check-in staff can act on.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import segno
from docx import Document as new_document
from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Cm

from session_server.core.model import LOCAL_TZ, BridgeKind, State
from session_server.core.registration import Delegate
from session_server.core.roster import expected_bridge, guests_in_precedence
from session_server.export import layout
from session_server.export.layout import BODY_PT
from session_server.export.record import Record, build_record, vn_date

__all__ = [
    "QR_PREFIX",
    "DelegateList",
    "Invitation",
    "Invitations",
    "delegate_list_docx",
    "invitations",
    "invitations_docx",
    "parse_qr",
    "qr_payload",
    "render_delegate_list",
    "render_invitations",
    "sign_in_list",
]

QR_PREFIX = "dtn-checkin:"


def qr_payload(delegate_id: str) -> str:
    """What a delegate's QR code holds."""
    return QR_PREFIX + delegate_id


def parse_qr(text: str) -> str:
    """The delegate id in a scanned code ("" when it is not one of ours)."""
    text = text.strip()
    if text.startswith(QR_PREFIX):
        return text[len(QR_PREFIX) :][:64]
    return ""


def _qr_png(delegate_id: str) -> io.BytesIO:
    buffer = io.BytesIO()
    segno.make(qr_payload(delegate_id), error="m").save(buffer, kind="png", scale=8, border=4)
    buffer.seek(0)
    return buffer


def _when(state: State) -> str:
    starts = state.dialogue.starts_at
    if starts is None:
        return "Theo thông báo của Ban Tổ chức"
    local = starts.astimezone(LOCAL_TZ)
    return f"{local.hour:02d} giờ {local.minute:02d}, {vn_date(local.date()).lower()}"


def _where(state: State, delegate: Delegate) -> str:
    bridge = state.bridges.get(expected_bridge(state, delegate) or "")
    if bridge is None:
        return state.dialogue.place or "Theo thông báo của Ban Tổ chức"
    if bridge.kind is BridgeKind.MAIN and state.dialogue.place:
        return f"{bridge.name}, {state.dialogue.place}"
    return f"Điểm cầu {bridge.name}"


def _invitation_record(state: State, issued_on: date | None) -> Record:
    """The notice's record, as the header and signature of an invitation:
    its own number (``…/GM-``), the day it is printed, "Như trên"."""
    record = build_record(state, named=False)
    abbreviation = record.number.rpartition("/TB-")[2] if "/TB-" in record.number else ""
    return dataclasses.replace(
        record,
        number="        /GM-" + abbreviation if abbreviation else "        /GM",
        issued_on=issued_on,
        recipients=("Như trên", "Lưu: VT"),
    )


@dataclass(frozen=True)
class Invitation:
    """One invitation's words, read from the state."""

    delegate_id: str
    name: str
    who: str
    """Position and organisation, or ""."""
    where: str


@dataclass(frozen=True)
class Invitations:
    """What a batch of invitations says, read from the state on the event
    loop: :func:`render_invitations` needs nothing else, so it may run on a
    worker thread while the state goes on changing."""

    record: Record
    subject: str
    theme: str
    when: str
    cards: tuple[Invitation, ...]


def invitations(
    state: State, delegates: Iterable[Delegate], issued_on: date | None = None
) -> Invitations:
    """The words of an invitation for each of ``delegates``, dated ``issued_on``."""
    return Invitations(
        record=_invitation_record(state, issued_on),
        subject=state.dialogue.title or "Buổi đối thoại với thanh niên",
        theme=state.dialogue.theme,
        when=_when(state),
        cards=tuple(
            Invitation(
                delegate_id=d.delegate_id,
                name=d.name,
                who=", ".join(p for p in (d.position, d.organisation) if p),
                where=_where(state, d),
            )
            for d in delegates
        ),
    )


def _invitation(document: Document, batch: Invitations, card: Invitation) -> None:
    record = batch.record
    layout.add_header(document, record)
    layout.add_paragraph(document, "GIẤY MỜI", BODY_PT, bold=True, before=18)
    subject = batch.subject
    layout.add_paragraph(document, f"Dự {subject[0].lower()}{subject[1:]}", BODY_PT, bold=True)
    line = layout.add_paragraph(document, "", 2)
    line.paragraph_format.left_indent = Cm(5.5)
    line.paragraph_format.right_indent = Cm(5.5)
    layout.add_bottom_border(line)
    host = record.host_body or "Ban Tổ chức"
    layout.add_body(document, f"{host} trân trọng kính mời:")
    addressed = layout.add_paragraph(document, "", align=WD_ALIGN_PARAGRAPH.CENTER, after=6)
    layout.add_run(addressed, f"Đồng chí {card.name}", bold=True)
    if card.who:
        layout.add_run(addressed, f" – {card.who}")
    if batch.theme:
        layout.add_body(document, f"Tới dự buổi đối thoại với chủ đề “{batch.theme}”.")
    layout.add_body(document, f"Thời gian: {batch.when}.")
    layout.add_body(document, f"Địa điểm: {card.where}.")
    layout.add_body(
        document,
        "Khi đến, đề nghị đồng chí xuất trình mã QR dưới đây (trên giấy hoặc điện thoại) "
        "để điểm danh. Rất mong đồng chí đến dự đúng giờ.",
    )
    picture = layout.add_paragraph(document, "", after=0)
    picture.add_run().add_picture(_qr_png(card.delegate_id), width=Cm(3.6))
    layout.add_paragraph(document, f"Mã điểm danh: {card.delegate_id}", 11, italic=True, after=12)
    layout.add_signature(document, record)


def render_invitations(batch: Invitations) -> bytes:
    """One invitation a page, each with its own QR code (no state read)."""
    document = new_document()
    layout.set_up_page(document)
    for n, card in enumerate(batch.cards):
        if n:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _invitation(document, batch, card)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def invitations_docx(
    state: State, delegates: Iterable[Delegate], issued_on: date | None = None
) -> bytes:
    """One invitation a page, for each of ``delegates`` (a guest, or a
    unit's delegates), each with its own QR code, dated ``issued_on``."""
    return render_invitations(invitations(state, delegates, issued_on))


def _listed(state: State, bridge_id: str) -> list[Delegate]:
    """Guests first, in precedence order, then units' delegates by unit."""
    guests = [g for g in guests_in_precedence(state) if expected_bridge(state, g) == bridge_id]
    order = {unit_id: n for n, unit_id in enumerate(state.roster.units)}
    delegates = sorted(
        (
            d
            for d in state.roster.delegates.values()
            if d.unit_id is not None and expected_bridge(state, d) == bridge_id
        ),
        key=lambda d: order.get(d.unit_id or "", len(order)),
    )
    return [*guests, *delegates]


@dataclass(frozen=True)
class DelegateList:
    """What a bridge point's sign-in list says, read from the state on the
    event loop (:func:`render_delegate_list` needs nothing else)."""

    record: Record
    bridge: str
    rows: tuple[tuple[str, str, str, str], ...]
    """Number, name, position and unit, checked-in time (or "")."""
    walk_ins: int


def sign_in_list(state: State, bridge_id: str, issued_on: date | None = None) -> DelegateList:
    check_ins = state.roster.check_ins
    rows = []
    for n, delegate in enumerate(_listed(state, bridge_id), 1):
        done = check_ins.get(delegate.delegate_id)
        rows.append(
            (
                str(n),
                delegate.name,
                ", ".join(p for p in (delegate.position, delegate.organisation) if p),
                done.at.astimezone(LOCAL_TZ).strftime("%H:%M") if done else "",
            )
        )
    return DelegateList(
        record=_invitation_record(state, issued_on),
        bridge=state.bridges[bridge_id].name,
        rows=tuple(rows),
        walk_ins=state.roster.walk_ins.get(bridge_id, 0),
    )


def render_delegate_list(listing: DelegateList) -> bytes:
    """The sign-in list of one bridge point: who is expected, with a column
    for a signature and whether they were checked in already (no state read)."""
    document = new_document()
    layout.set_up_page(document)
    layout.add_header(document, listing.record)
    layout.add_paragraph(document, "DANH SÁCH ĐẠI BIỂU", BODY_PT, bold=True, before=18)
    layout.add_paragraph(document, f"Điểm cầu {listing.bridge}", BODY_PT, bold=True, after=12)
    headers = ("STT", "Họ và tên", "Chức vụ, đơn vị", "Điểm danh", "Ký tên")
    widths = (Cm(1.2), Cm(4.5), Cm(6.0), Cm(2.0), Cm(2.8))
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        layout.add_cell_line(cell, text, 12, bold=True, first=True)
    for row in listing.rows:
        values = (*row, "")
        for col, (cell, text) in enumerate(zip(table.add_row().cells, values, strict=True)):
            align = WD_ALIGN_PARAGRAPH.LEFT if col in (1, 2) else WD_ALIGN_PARAGRAPH.CENTER
            layout.add_cell_line(cell, text, 12, first=True, align=align)
    layout.set_widths(table, widths)
    layout.add_paragraph(document, "", after=6)
    layout.add_body(
        document,
        f"Đoàn viên, thanh niên tự do (không có giấy mời) đã đếm: {listing.walk_ins}.",
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def delegate_list_docx(state: State, bridge_id: str, issued_on: date | None = None) -> bytes:
    """The sign-in list of one bridge point (:func:`sign_in_list`, rendered)."""
    return render_delegate_list(sign_in_list(state, bridge_id, issued_on))
