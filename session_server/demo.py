"""A ready demo dialogue, shaped like a provincial People's Committee
dialogue with young people: one main venue linked to eleven district bridge
points, department heads as speakers, questions grouped by topic.

Everything is built through ordinary commands, so the demo goes through the
same rules and lands in the same log as a real day. All people are invented.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from session_server.core import commands as c
from session_server.core import commands_preparation as cp
from session_server.core import commands_registration as rc
from session_server.core.model import (
    Actor,
    BridgeKind,
    Origin,
    Phase,
    ProgrammeKind,
    Role,
    State,
)
from session_server.core.registration import GuestCategory, UnitKind

__all__ = [
    "DEMO_BRIDGES",
    "DEMO_DELEGATES",
    "DEMO_DIALOGUE_ID",
    "DEMO_GUESTS",
    "DEMO_QUESTIONS",
    "DEMO_SPEAKERS",
    "DEMO_TOPICS",
    "DEMO_UNITS",
    "before_the_day",
    "demo_commands",
]

DEMO_DIALOGUE_ID = "an-giang-2024"

ORGANISER = Actor(Role.ORGANISER)
MODERATOR = Actor(Role.MODERATOR)

MAIN_BRIDGE = "tinh"

DEMO_BRIDGES: tuple[tuple[str, str, BridgeKind, str, int], ...] = (
    (MAIN_BRIDGE, "Hội trường UBND tỉnh (điểm cầu chính)", BridgeKind.MAIN, "Võ Thanh Tùng", 250),
    ("long-xuyen", "TP. Long Xuyên", BridgeKind.REMOTE, "Lâm Quốc Bảo", 120),
    ("chau-doc", "TP. Châu Đốc", BridgeKind.REMOTE, "Đặng Mỹ Duyên", 100),
    ("tan-chau", "TX. Tân Châu", BridgeKind.REMOTE, "Huỳnh Tấn Lộc", 80),
    ("tinh-bien", "TX. Tịnh Biên", BridgeKind.REMOTE, "Chau Sóc Kha", 80),
    ("an-phu", "Huyện An Phú", BridgeKind.REMOTE, "Trương Thị Ngọc Ánh", 70),
    ("phu-tan", "Huyện Phú Tân", BridgeKind.REMOTE, "Phạm Văn Hiếu", 70),
    ("chau-phu", "Huyện Châu Phú", BridgeKind.REMOTE, "Lý Minh Nhựt", 70),
    ("chau-thanh", "Huyện Châu Thành", BridgeKind.REMOTE, "Đoàn Thị Kim Yến", 70),
    ("cho-moi", "Huyện Chợ Mới", BridgeKind.REMOTE, "Nguyễn Hữu Phước Thiện", 90),
    ("thoai-son", "Huyện Thoại Sơn", BridgeKind.REMOTE, "Tô Thị Bích Trâm", 70),
    ("tri-ton", "Huyện Tri Tôn", BridgeKind.REMOTE, "Néang Sa Rết", 70),
)

DEMO_TOPICS: tuple[tuple[str, str], ...] = (
    ("viec-lam", "Việc làm, thị trường lao động"),
    ("dao-tao-nghe", "Đào tạo nghề, định hướng nghề nghiệp"),
    ("khoi-nghiep", "Khởi nghiệp, đổi mới sáng tạo, lập nghiệp"),
    ("chinh-sach", "Thực hiện chính sách, pháp luật về thanh niên"),
    ("chuong-trinh", "Chương trình, kế hoạch phát triển thanh niên"),
    ("quyen-nghia-vu", "Quyền và nghĩa vụ của thanh niên"),
    ("tham-gia", "Thanh niên tham gia quản lý nhà nước và xã hội"),
    ("khac", "Những vấn đề khác thanh niên quan tâm"),
)

DEMO_SPEAKERS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("ubnd", "Trần Quang Vinh", "Phó Chủ tịch", "Ủy ban nhân dân tỉnh", ("khac",)),
    ("noi-vu", "Ngô Thị Hồng Nhung", "Giám đốc", "Sở Nội vụ", ("chinh-sach", "chuong-trinh")),
    (
        "ldtbxh",
        "Mai Đức Trí",
        "Giám đốc",
        "Sở Lao động, Thương binh và Xã hội",
        ("viec-lam", "dao-tao-nghe"),
    ),
    ("gddt", "Hà Minh Châu", "Phó Giám đốc", "Sở Giáo dục và Đào tạo", ("dao-tao-nghe",)),
    ("nnptnt", "Kiều Văn Sang", "Giám đốc", "Sở Nông nghiệp và Phát triển nông thôn", ()),
    ("khdt", "Đinh Gia Huy", "Giám đốc", "Sở Kế hoạch và Đầu tư", ("khoi-nghiep",)),
    ("khcn", "Văn Thị Thanh Tâm", "Phó Giám đốc", "Sở Khoa học và Công nghệ", ("khoi-nghiep",)),
    ("tai-chinh", "Quách Bảo Long", "Phó Giám đốc", "Sở Tài chính", ()),
    (
        "tinh-doan",
        "Lưu Ngọc Diệp",
        "Bí thư",
        "Tỉnh đoàn An Giang",
        ("quyen-nghia-vu", "tham-gia"),
    ),
)

DEMO_PROGRAMME: tuple[tuple[str, str, ProgrammeKind, int], ...] = (
    ("khai-mac", "Tuyên bố lý do, giới thiệu đại biểu", ProgrammeKind.OPENING, 10),
    ("de-dan", "Báo cáo đề dẫn", ProgrammeKind.KEYNOTE, 15),
    ("doi-thoai", "Thảo luận, đối thoại", ProgrammeKind.DISCUSSION, 120),
    ("phat-bieu", "Phát biểu của đại biểu, khách mời", ProgrammeKind.SPEECHES, 15),
    ("chi-dao", "Phát biểu chỉ đạo", ProgrammeKind.DIRECTIVE, 15),
    ("ket-luan", "Kết luận buổi đối thoại", ProgrammeKind.CONCLUSION, 10),
    ("be-mac", "Bế mạc, chụp ảnh lưu niệm", ProgrammeKind.CLOSING, 5),
)

# (bridge, topic, asker name, unit, public, text)
DEMO_QUESTIONS: tuple[tuple[str, str, str, str, bool, str], ...] = (
    (
        "long-xuyen",
        "viec-lam",
        "Trần Thị Mỹ Linh",
        "Đoàn Trường Đại học An Giang",
        True,
        "Sinh viên năm cuối rất khó tìm việc đúng ngành. Tỉnh có kế hoạch tổ chức ngày hội việc "
        "làm thường xuyên hơn cho sinh viên không?",
    ),
    (
        "chau-doc",
        "viec-lam",
        "Nguyễn Văn Tài",
        "Chi đoàn Khóm Châu Long",
        False,
        "Thanh niên đi làm công nhân ở các tỉnh khác muốn về quê lập nghiệp thì được hỗ trợ gì?",
    ),
    (
        "tan-chau",
        "dao-tao-nghe",
        "Lê Hoàng Phúc",
        "Đoàn xã Phú Lộc",
        True,
        "Các lớp đào tạo nghề ngắn hạn ở nông thôn còn ít nghề phù hợp với nhu cầu doanh nghiệp. "
        "Đề nghị Sở cho biết hướng mở thêm nghề mới.",
    ),
    (
        "tinh-bien",
        "dao-tao-nghe",
        "Chau Thị Sóc Phi",
        "Đoàn xã Văn Giáo",
        True,
        "Thanh niên đồng bào Khmer học nghề có được hỗ trợ chi phí đi lại và ăn ở không?",
    ),
    (
        "an-phu",
        "khoi-nghiep",
        "Võ Minh Trí",
        "Hợp tác xã thanh niên Khánh An",
        True,
        "Hợp tác xã của chúng tôi cần vốn mở rộng sản xuất, nhưng thủ tục vay vốn từ Quỹ hỗ trợ "
        "thanh niên khởi nghiệp còn phức tạp. Có thể đơn giản hóa không?",
    ),
    (
        "phu-tan",
        "khoi-nghiep",
        "Phan Thị Kim Ngân",
        "Đoàn thị trấn Phú Mỹ",
        False,
        "Tỉnh có chương trình ươm tạo doanh nghiệp khởi nghiệp cho thanh niên nông thôn không?",
    ),
    (
        "chau-phu",
        "chinh-sach",
        "Đỗ Quốc Khánh",
        "Đoàn xã Bình Mỹ",
        True,
        "Chính sách hỗ trợ thanh niên hoàn thành nghĩa vụ quân sự trở về địa phương được thực hiện "
        "như thế nào ở cấp huyện?",
    ),
    (
        "chau-thanh",
        "chuong-trinh",
        "Huỳnh Ngọc Trâm",
        "Chi đoàn Trường THPT Vĩnh Bình",
        True,
        "Chương trình phát triển thanh niên của tỉnh có chỉ tiêu riêng cho học sinh THPT không?",
    ),
    (
        "cho-moi",
        "viec-lam",
        "Nguyễn Thành Đạt",
        "Đoàn xã Kiến An",
        True,
        "Lao động trẻ đi xuất khẩu lao động cần được tư vấn để tránh bị lừa đảo. Tỉnh có kênh "
        "thông tin chính thức nào không?",
    ),
    (
        "thoai-son",
        "khoi-nghiep",
        "Bùi Thị Thu Thảo",
        "Đoàn xã Vọng Thê",
        True,
        "Mô hình nuôi tôm càng xanh của thanh niên xã tôi cần hỗ trợ kỹ thuật và đầu ra ổn định.",
    ),
    (
        "tri-ton",
        "quyen-nghia-vu",
        "Néang Sô Phia",
        "Đoàn xã Châu Lăng",
        False,
        "Thanh niên vùng biên giới muốn tham gia bảo vệ an ninh trật tự thì cần đăng ký ở đâu?",
    ),
    (
        MAIN_BRIDGE,
        "tham-gia",
        "Phạm Gia Bảo",
        "Đoàn khối các cơ quan tỉnh",
        True,
        "Cơ chế nào để ý kiến của thanh niên được đưa vào quá trình xây dựng chính sách của tỉnh?",
    ),
    (
        MAIN_BRIDGE,
        "chinh-sach",
        "Lý Thị Hồng Vân",
        "Chi đoàn Sở Tư pháp",
        True,
        "Công chức trẻ có được ưu tiên đào tạo, bồi dưỡng và quy hoạch không?",
    ),
    (
        "long-xuyen",
        "khoi-nghiep",
        "Trịnh Quốc Việt",
        "Câu lạc bộ Doanh nhân trẻ Long Xuyên",
        True,
        "Thanh niên khởi nghiệp công nghệ cần không gian làm việc chung. Tỉnh có thể bố trí trụ sở "
        "không dùng đến làm không gian khởi nghiệp không?",
    ),
    (
        "long-xuyen",
        "dao-tao-nghe",
        "Lê Thị Ngọc Hân",
        "Đoàn Trường Cao đẳng nghề An Giang",
        True,
        "Học sinh học nghề muốn liên thông lên cao đẳng, đại học cần điều kiện gì?",
    ),
    (
        "chau-doc",
        "khac",
        "Mạc Văn Hòa",
        "Chi đoàn Phường Vĩnh Mỹ",
        False,
        "Đề nghị xây thêm sân chơi, nhà văn hóa cho thanh thiếu nhi ở các phường.",
    ),
    (
        "tan-chau",
        "viec-lam",
        "Võ Thị Yến Nhi",
        "Đoàn phường Long Thạnh",
        True,
        "Nghề dệt thổ cẩm truyền thống đang mai một, thanh niên muốn giữ nghề thì sống bằng gì?",
    ),
    (
        "tinh-bien",
        "khoi-nghiep",
        "Chau Kim Sơn",
        "Đoàn xã An Cư",
        True,
        "Thanh niên trồng rau sạch trên núi Cấm muốn được hỗ trợ chứng nhận VietGAP.",
    ),
    (
        "an-phu",
        "viec-lam",
        "Hồ Văn Nhân",
        "Đoàn xã Phước Hưng",
        False,
        "Mùa nước nổi thiếu việc làm, thanh niên có thể được hỗ trợ nghề phụ nào?",
    ),
    (
        "phu-tan",
        "dao-tao-nghe",
        "Nguyễn Thị Bảo Trân",
        "Đoàn xã Tân Hòa",
        True,
        "Có chính sách miễn học phí học nghề cho thanh niên hộ cận nghèo không?",
    ),
    (
        "chau-phu",
        "khoi-nghiep",
        "Trương Minh Hiển",
        "Đoàn xã Vĩnh Thạnh Trung",
        True,
        "Thanh niên muốn bán nông sản qua sàn thương mại điện tử cần được tập huấn ở đâu?",
    ),
    (
        "chau-thanh",
        "viec-lam",
        "Lâm Thị Cẩm Tú",
        "Đoàn xã An Hòa",
        True,
        "Các khu công nghiệp trong tỉnh tuyển dụng lao động trẻ như thế nào, thông tin ở đâu?",
    ),
    (
        "cho-moi",
        "chuong-trinh",
        "Dương Văn Khải",
        "Đoàn xã Long Điền A",
        True,
        "Đề nghị có chương trình riêng hỗ trợ thanh niên khuyết tật học nghề và tìm việc.",
    ),
    (
        "thoai-son",
        "dao-tao-nghe",
        "Kha Thị Mộng Cầm",
        "Đoàn thị trấn Óc Eo",
        False,
        "Có thể mở lớp hướng dẫn viên du lịch cho thanh niên gần khu di tích Óc Eo không?",
    ),
    (
        "tri-ton",
        "viec-lam",
        "Chau Phi Rum",
        "Đoàn xã Lương Phi",
        True,
        "Thanh niên dân tộc thiểu số có được ưu tiên tuyển dụng vào cơ quan nhà nước không?",
    ),
    (
        MAIN_BRIDGE,
        "khoi-nghiep",
        "Đinh Thị Phương Thảo",
        "Hội Doanh nhân trẻ tỉnh",
        True,
        "Quỹ đầu tư khởi nghiệp sáng tạo của tỉnh hoạt động ra sao, tiêu chí lựa chọn dự án là gì?",
    ),
    (
        MAIN_BRIDGE,
        "quyen-nghia-vu",
        "Tạ Minh Luân",
        "Hội Sinh viên tỉnh",
        True,
        "Sinh viên tham gia tình nguyện hè có được công nhận là hoạt động rèn luyện không?",
    ),
    (
        "long-xuyen",
        "chinh-sach",
        "Quan Thị Diễm My",
        "Chi đoàn Bệnh viện Đa khoa",
        True,
        "Nhân viên y tế trẻ có được hỗ trợ nhà ở công vụ khi công tác ở vùng sâu không?",
    ),
    (
        "chau-doc",
        "khoi-nghiep",
        "Vương Tuấn Kiệt",
        "Chi đoàn Phường Núi Sam",
        True,
        "Thanh niên kinh doanh dịch vụ du lịch tâm linh cần được hỗ trợ quảng bá chung.",
    ),
    (
        "cho-moi",
        "khoi-nghiep",
        "Nguyễn Thị Như Ý",
        "Đoàn xã Mỹ Hội Đông",
        False,
        "Lãi suất vay vốn khởi nghiệp cho thanh niên có thể giảm thêm không?",
    ),
    (
        "an-phu",
        "tham-gia",
        "Hà Văn Thắng",
        "Đoàn xã Quốc Thái",
        True,
        "Đề nghị tổ chức đối thoại với thanh niên ở cấp huyện hằng năm.",
    ),
    (
        "phu-tan",
        "khac",
        "Đặng Thị Tuyết Mai",
        "Đoàn xã Phú Thạnh",
        True,
        "Tình trạng thanh thiếu niên nghiện game và ma túy tổng hợp ở nông thôn cần giải pháp gì?",
    ),
    (
        "chau-phu",
        "dao-tao-nghe",
        "Lê Văn Hậu",
        "Đoàn xã Mỹ Phú",
        True,
        "Đề nghị mở lớp sửa chữa máy nông nghiệp ngay tại xã để thanh niên không phải đi xa.",
    ),
    (
        "thoai-son",
        "viec-lam",
        "Trần Ngọc Hạnh",
        "Đoàn xã Định Mỹ",
        True,
        "Thanh niên sau cai nghiện muốn tìm việc làm nhưng bị kỳ thị, tỉnh có chính sách gì?",
    ),
    (
        "tri-ton",
        "chuong-trinh",
        "Néang Sa Vy",
        "Đoàn xã Ô Lâm",
        True,
        "Chương trình hỗ trợ thanh niên dân tộc Khmer học tiếng Anh và tin học có tiếp tục không?",
    ),
    (
        "tan-chau",
        "khoi-nghiep",
        "Phùng Thanh Liêm",
        "Đoàn xã Vĩnh Hòa",
        True,
        "Thủ tục đăng ký hộ kinh doanh cho thanh niên có thể làm trực tuyến hoàn toàn không?",
    ),
)


CAMERA_LABEL = "Camera"
"""The label of the main venue's camera link (a bridge operator's link used
only for ``/s/{token}/camera``), before the venue's name."""


def main_camera_link(state: State, actor: Actor, new_id: Callable[[], str]) -> list[c.IssueLink]:
    """The main venue's camera page as a link of its own (its device stands
    by the hall's camera, apart from the operator's console; revoked alone),
    unless one is active already."""
    main = state.main_bridge()
    if main is None:
        return []
    label = f"{CAMERA_LABEL} · {main.name}"
    for link in state.links.values():
        if link.active and link.bridge_id == main.bridge_id and link.label == label:
            return []
    return [c.IssueLink(actor, new_id(), Role.BRIDGE_OPERATOR, main.bridge_id, None, label)]


def demo_commands(now: datetime, *, live: bool = True) -> list[c.Command]:
    """Commands that set up the demo dialogue at ``now``.

    With ``live=False`` the dialogue stays in intake, with its deadline a
    day after ``now``. With ``live=True`` (the default) it goes live, two
    thirds of the pre-collected questions are approved, and the programme
    stands at the discussion item."""
    starts_at = now.replace(second=0, microsecond=0) + timedelta(minutes=30)
    commands: list[c.Command] = [
        c.CreateDialogue(
            ORGANISER,
            title="Đối thoại giữa lãnh đạo Ủy ban nhân dân tỉnh với thanh niên tỉnh An Giang",
            theme="Thanh niên An Giang sáng tạo khởi nghiệp, lập nghiệp",
            host_body="Ủy ban nhân dân tỉnh An Giang",
            parent_body="",
            place="Hội trường Ủy ban nhân dân tỉnh An Giang",
            starts_at=starts_at,
            legal_basis=(
                "Căn cứ Luật Thanh niên ngày 16 tháng 6 năm 2020;",
                "Căn cứ Nghị định số 13/2021/NĐ-CP ngày 01 tháng 3 năm 2021 của Chính phủ quy "
                "định về đối thoại với thanh niên; cơ chế, chính sách và biện pháp thực hiện "
                "chính sách đối với thanh niên từ đủ 16 tuổi đến dưới 18 tuổi;",
            ),
            intake_deadline=now + timedelta(days=1),
        )
    ]
    for bridge_id, name, kind, operator, capacity in DEMO_BRIDGES:
        commands.append(c.SetBridgePoint(ORGANISER, bridge_id, name, kind, operator, capacity))
    # Speakers first without topics, then topics naming their speakers, then
    # speakers again with their topics: each side refers to the other.
    for speaker_id, name, position, agency, _topics in DEMO_SPEAKERS:
        commands.append(c.SetSpeaker(ORGANISER, speaker_id, name, position, agency))
    for topic_id, name in DEMO_TOPICS:
        speakers = tuple(s[0] for s in DEMO_SPEAKERS if topic_id in s[4])
        commands.append(c.SetTopic(ORGANISER, topic_id, name, speakers))
    for speaker_id, name, position, agency, topics in DEMO_SPEAKERS:
        commands.append(c.SetSpeaker(ORGANISER, speaker_id, name, position, agency, topics))
    commands.append(
        c.SetProgramme(
            ORGANISER,
            tuple(
                c.ProgrammeEntry(i, title, kind, minutes)
                for i, title, kind, minutes in DEMO_PROGRAMME
            ),
        )
    )
    commands.append(c.ChangePhase(ORGANISER, Phase.INTAKE))
    for n, (bridge_id, topic_id, name, unit, public, text) in enumerate(DEMO_QUESTIONS, 1):
        commands.append(
            c.SubmitQuestion(
                ORGANISER,
                text=text,
                idempotency_key=f"demo-precollected-{n:04d}",
                bridge_id=bridge_id,
                origin=Origin.PRE_COLLECTED,
                topic_id=topic_id,
                asker_name=name,
                asker_unit=unit,
                asker_public=public,
            )
        )
    if not live:
        return commands
    commands.append(c.ChangePhase(ORGANISER, Phase.LIVE))
    commands.append(c.SetCurrentItem(MODERATOR, "doi-thoai"))
    for n in range(1, len(DEMO_QUESTIONS) + 1):
        if n % 3:
            commands.append(c.ApproveQuestion(MODERATOR, n))
    return commands


# --- before the day: units, delegates, guests, the timeline, the plan ----------------------

DEMO_UNITS = (
    # unit id, name, kind, members, bridge point
    ("doan-so-noi-vu", "Đoàn cơ sở Sở Nội vụ", UnitKind.UNION_BASE, 42, None),
    ("doan-dh-an-giang", "Đoàn Trường Đại học An Giang", UnitKind.UNION_BASE, 860, None),
    ("chi-doan-bao", "Chi đoàn cơ sở Báo An Giang", UnitKind.BRANCH_BASE, 14, None),
    ("doan-chau-doc", "Thành Đoàn Châu Đốc", UnitKind.DISTRICT, 0, "chau-doc"),
)
"""Participating units (their quotas by the city plan's rule)."""

DEMO_DELEGATES = (
    # unit id, name, position
    ("doan-so-noi-vu", "Phan Thị Thu Hà", "Bí thư Đoàn cơ sở"),
    ("doan-dh-an-giang", "Lữ Minh Khôi", "Phó Bí thư Đoàn trường"),
    ("doan-chau-doc", "Kha Thị Mỹ Tiên", "Ủy viên Ban Chấp hành"),
)
"""Delegates already registered by their units (the rest still missing)."""

DEMO_GUESTS = (
    # name, position, organisation, category
    ("Lê Hoàng Phúc", "Phó Chủ tịch", "Hội đồng nhân dân tỉnh", GuestCategory.LEADER),
    ("Mai Anh Tuấn", "Phóng viên", "Báo An Giang", GuestCategory.PRESS),
)
"""Invited guests, introduced in the order of their category."""

DRAFTER_AGENCY = "Ban Thường vụ Tỉnh Đoàn"
"""Who drafts the suggested answers of the demo's pre-collected questions."""


def before_the_day(state: State, actor: Actor, new_id: Callable[[], str]) -> list[c.Command]:
    """What ``serve --demo`` adds for the weeks before the day, each part
    once: the units, their delegates (each id random, as the registration
    page makes it: it is what the invitation's QR code carries) and the
    guests; a registration link per unit, a check-in link per bridge point
    and a drafter's link for suggested answers; the city plan's timeline; the
    plan published."""
    commands: list[c.Command] = []
    roster = state.roster
    if not roster.units:
        commands += [
            rc.SetUnit(actor, unit_id, name, kind, members, bridge_id)
            for unit_id, name, kind, members, bridge_id in DEMO_UNITS
        ]
        commands += [
            rc.RegisterDelegate(actor, new_id(), unit_id, name, position)
            for unit_id, name, position in DEMO_DELEGATES
        ]
        commands += [
            rc.SetGuest(actor, new_id(), name, position, organisation, category, precedence=1)
            for name, position, organisation, category in DEMO_GUESTS
        ]
    active = [link for link in state.links.values() if link.active]
    units_linked = {link.unit_id for link in active if link.role is Role.UNIT_REGISTRAR}
    commands += [
        c.IssueLink(actor, new_id(), Role.UNIT_REGISTRAR, label=name, unit_id=unit_id)
        for unit_id, name, *_rest in DEMO_UNITS
        if unit_id not in units_linked
    ]
    doors = {link.bridge_id for link in active if link.role is Role.CHECK_IN}
    commands += [
        c.IssueLink(actor, new_id(), Role.CHECK_IN, bridge_id, label=name)
        for bridge_id, name, *_rest in DEMO_BRIDGES
        if bridge_id not in doors
    ]
    if not any(link.role is Role.DRAFTER for link in active):
        commands.append(
            c.IssueLink(actor, new_id(), Role.DRAFTER, label=DRAFTER_AGENCY, agency=DRAFTER_AGENCY)
        )
    if not state.preparation.tasks:
        commands.append(cp.ApplyPreparationTemplate(actor))
    if state.preparation.plan_published_at is None:
        commands.append(cp.PublishPlan(actor))
    return commands
