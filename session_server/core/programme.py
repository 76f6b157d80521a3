"""Programme templates: running orders a dialogue may start from.

The city plan (``reference/``, a youth-union dialogue in one hall) lists
seven items; the minutes are a starting point for the organiser to adjust.
"""

from __future__ import annotations

from session_server.core.commands import ProgrammeEntry
from session_server.core.model import ProgrammeKind

__all__ = ["CITY_PLAN_PROGRAMME"]

CITY_PLAN_PROGRAMME: tuple[ProgrammeEntry, ...] = (
    ProgrammeEntry("", "Tuyên bố lý do, giới thiệu đại biểu", ProgrammeKind.OPENING, 10),
    ProgrammeEntry("", "Báo cáo đề dẫn", ProgrammeKind.KEYNOTE, 15),
    ProgrammeEntry("", "Thảo luận, đối thoại", ProgrammeKind.DISCUSSION, 90),
    ProgrammeEntry(
        "", "Phát biểu của đại diện lãnh đạo, đại biểu, khách mời", ProgrammeKind.SPEECHES, 20
    ),
    ProgrammeEntry("", "Phát biểu chỉ đạo", ProgrammeKind.DIRECTIVE, 15),
    ProgrammeEntry("", "Kết luận hội nghị", ProgrammeKind.CONCLUSION, 10),
    ProgrammeEntry("", "Bế mạc, chụp ảnh lưu niệm", ProgrammeKind.CLOSING, 5),
)
"""The seven items of the city plan's programme, ids made from the titles."""
