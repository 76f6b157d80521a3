"""Text of the organiser's screens: key → (Vietnamese, English)."""

from __future__ import annotations

UI_ORGANISER: dict[str, tuple[str, str]] = {
    # frame and navigation
    "org.title": ("Ban tổ chức", "Organiser"),
    "org.nav.label": ("Trang của ban tổ chức", "Organiser pages"),
    "org.nav.dialogues": ("Các buổi đối thoại", "Dialogues"),
    "org.nav.setup": ("Thiết lập", "Setup"),
    "org.nav.links": ("Đường dẫn vai trò", "Role links"),
    "org.nav.qr": ("In mã QR", "Print QR codes"),
    "org.nav.logout": ("Đăng xuất", "Sign out"),
    "org.save": ("Lưu", "Save"),
    "org.add": ("Thêm", "Add"),
    "org.id_from_name": ("(tạo từ tên)", "(made from the name)"),
    "org.remove": ("Xóa", "Remove"),
    "org.actions": ("Thao tác", "Actions"),
    "org.id_hint": (
        "Mã được tạo từ tên khi thêm mới và giữ nguyên khi sửa tên.",
        "The id is made from the name when added and kept when the name changes.",
    ),
    # sign-in
    "org.login.title": ("Đăng nhập ban tổ chức", "Organiser sign-in"),
    "org.login.password": ("Mật khẩu", "Password"),
    "org.login.submit": ("Đăng nhập", "Sign in"),
    "org.login.hint": (
        "Mật khẩu được in ra khi khởi động máy chủ (session-server serve).",
        "The password is printed when the server starts (session-server serve).",
    ),
    # the dialogues
    "org.list.title": ("Các buổi đối thoại", "Dialogues"),
    "org.list.id": ("Mã", "Id"),
    "org.list.dialogue": ("Buổi đối thoại", "Dialogue"),
    "org.list.starts": ("Thời gian", "Starts"),
    "org.list.figures": ("Quy mô", "Size"),
    "org.list.counts": (
        "{bridges} điểm cầu · {questions} câu hỏi",
        "{bridges} bridge points · {questions} questions",
    ),
    "org.list.none": ("Chưa có buổi đối thoại nào.", "No dialogue yet."),
    "org.create.title": ("Tạo buổi đối thoại mới", "Create a new dialogue"),
    "org.create.id": ("Mã buổi đối thoại", "Dialogue id"),
    "org.create.id_hint": (
        "Dùng trong đường dẫn: chữ thường không dấu, số, '-' và '_', ví dụ an-giang-2025.",
        "Used in addresses: lower-case ASCII letters, digits, '-' and '_', e.g. an-giang-2025.",
    ),
    "org.create.submit": ("Tạo buổi đối thoại", "Create the dialogue"),
    # setup
    "org.setup.title": ("Thiết lập buổi đối thoại", "Dialogue setup"),
    "org.phase.title": ("Giai đoạn", "Phase"),
    "org.phase.to": ("Chuyển sang giai đoạn: {phase}", "Move to phase: {phase}"),
    "org.phase.hint.intake": (
        "Mở nhận câu hỏi từ điện thoại và các điểm cầu trước buổi đối thoại.",
        "Opens question intake from phones and bridge points before the day.",
    ),
    "org.phase.hint.live": (
        "Bắt đầu buổi đối thoại trực tiếp; cần có điểm cầu chính.",
        "Starts the live dialogue; a main venue is needed.",
    ),
    "org.phase.hint.closed": (
        "Kết thúc buổi đối thoại: không nhận thêm câu hỏi hay thao tác. Không thể hoàn tác.",
        "Closes the dialogue: nothing more can be submitted or changed. This cannot be undone.",
    ),
    "org.phase.confirm_close": (
        "Tôi xác nhận kết thúc buổi đối thoại",
        "I confirm: close the dialogue",
    ),
    "org.phase.closed": ("Buổi đối thoại đã kết thúc.", "The dialogue is closed."),
    "org.deadline.title": ("Hạn gửi câu hỏi trước", "Deadline for questions beforehand"),
    "org.deadline.label": ("Hạn chót (giờ Việt Nam)", "Deadline (Vietnam time)"),
    "org.deadline.hint": (
        "Để trống rồi lưu để bỏ hạn chót. Khi buổi đối thoại đang diễn ra, hạn này không áp dụng.",
        "Save it empty to remove the deadline. It does not apply once the dialogue is live.",
    ),
    "org.dialogue.title": ("Thông tin buổi đối thoại", "About the dialogue"),
    "org.field.title": ("Tên buổi đối thoại", "Title"),
    "org.field.theme": ("Chủ đề", "Theme"),
    "org.field.host_body": ("Cơ quan chủ trì", "Host body"),
    "org.field.parent_body": ("Cơ quan chủ quản", "Parent body"),
    "org.field.place": ("Địa điểm", "Place"),
    "org.field.starts_at": ("Thời gian bắt đầu (giờ Việt Nam)", "Starts at (Vietnam time)"),
    "org.field.legal_basis": ("Căn cứ pháp lý", "Legal basis"),
    "org.field.legal_basis_hint": (
        "Mỗi dòng một căn cứ, ví dụ: Căn cứ Luật Thanh niên ngày 16 tháng 6 năm 2020;",
        "One entry a line, e.g.: Căn cứ Luật Thanh niên ngày 16 tháng 6 năm 2020;",
    ),
    # bridge points
    "org.bridges.title": ("Điểm cầu", "Bridge points"),
    "org.bridges.id": ("Mã", "Id"),
    "org.bridges.name": ("Tên điểm cầu", "Name"),
    "org.bridges.kind": ("Loại", "Kind"),
    "org.bridges.operator": ("Người điều hành", "Operator"),
    "org.bridges.capacity": ("Sức chứa", "Capacity"),
    "org.bridges.none": ("Chưa có điểm cầu.", "No bridge point yet."),
    "org.bridges.add": ("Thêm điểm cầu", "Add a bridge point"),
    "org.bridge_kind.main": ("Điểm cầu chính", "Main venue"),
    "org.bridge_kind.remote": ("Điểm cầu", "Remote bridge point"),
    # topics
    "org.topics.title": ("Nhóm vấn đề", "Topics"),
    "org.topics.id": ("Mã", "Id"),
    "org.topics.name": ("Tên nhóm vấn đề", "Name"),
    "org.topics.speakers": ("Diễn giả mặc định", "Default speakers"),
    "org.topics.none": ("Chưa có nhóm vấn đề.", "No topic yet."),
    "org.topics.add": ("Thêm nhóm vấn đề", "Add a topic"),
    # speakers
    "org.speakers.title": ("Diễn giả", "Speakers"),
    "org.speakers.id": ("Mã", "Id"),
    "org.speakers.name": ("Họ tên", "Name"),
    "org.speakers.position": ("Chức vụ", "Position"),
    "org.speakers.agency": ("Cơ quan", "Agency"),
    "org.speakers.topics": ("Lĩnh vực phụ trách", "Topics"),
    "org.speakers.none": ("Chưa có diễn giả.", "No speaker yet."),
    "org.speakers.add": ("Thêm diễn giả", "Add a speaker"),
    "org.speakers.hint": (
        "Nhóm vấn đề và diễn giả tham chiếu lẫn nhau: có thể tạo diễn giả trước, "
        "rồi chọn diễn giả mặc định cho từng nhóm.",
        "Topics and speakers refer to each other: you can add the speakers first, "
        "then choose each topic's default speakers.",
    ),
    # programme
    "org.programme.title": ("Chương trình", "Programme"),
    "org.programme.item": ("Nội dung", "Item"),
    "org.programme.kind": ("Loại", "Kind"),
    "org.programme.minutes": ("Số phút", "Minutes"),
    "org.programme.new": ("Thêm mục mới", "A new item"),
    "org.programme.hint": (
        "Sửa trực tiếp từng dòng; đánh dấu “Xóa” để bỏ một mục. Mục mới thêm vào cuối.",
        "Edit each row in place; tick “Remove” to drop an item. New items go last.",
    ),
    "org.programme.template": (
        "Dùng chương trình mẫu 7 mục (thay chương trình hiện tại)",
        "Use the seven-item template (replaces the current programme)",
    ),
    "org.programme.save": ("Lưu chương trình", "Save the programme"),
    "org.minutes": ("{minutes} phút", "{minutes} min"),
    "org.kind.opening": ("khai mạc", "opening"),
    "org.kind.keynote": ("báo cáo đề dẫn", "keynote report"),
    "org.kind.discussion": ("thảo luận, đối thoại", "discussion"),
    "org.kind.speeches": ("phát biểu", "speeches"),
    "org.kind.directive": ("phát biểu chỉ đạo", "directive speech"),
    "org.kind.conclusion": ("kết luận", "conclusion"),
    "org.kind.closing": ("bế mạc", "closing"),
    "org.kind.other": ("khác", "other"),
    # links
    "org.links.title": ("Đường dẫn vai trò", "Role links"),
    "org.links.standard": ("Bộ đường dẫn chuẩn", "The standard links"),
    "org.links.standard_hint": (
        "Một đường dẫn cho chủ tọa, một cho thư ký; mỗi điểm cầu một đường dẫn điều hành, "
        "một cho màn hình hội trường và một mã QR cho người tham dự; mỗi diễn giả một đường dẫn. "
        "Chỉ cấp những đường dẫn còn thiếu.",
        "One link for the moderator and one for the secretary; for each bridge point an operator "
        "link, a hall display link and an attendee QR link; one link per speaker. "
        "Only missing links are issued.",
    ),
    "org.links.issue_all": ("Cấp tất cả đường dẫn chuẩn", "Issue all standard links"),
    "org.links.missing": ("Còn thiếu {count} đường dẫn.", "{count} links missing."),
    "org.links.complete": ("Đã đủ bộ đường dẫn chuẩn.", "All standard links are issued."),
    "org.links.list": ("Các đường dẫn đã cấp", "Issued links"),
    "org.links.secret": (
        "Ai có đường dẫn là có quyền của vai trò đó: chỉ gửi cho đúng người. "
        "Thu hồi có hiệu lực ngay trên mọi màn hình.",
        "Whoever holds a link acts in its role: send each only to its person. "
        "Revoking takes effect at once on every screen.",
    ),
    "org.links.role": ("Vai trò", "Role"),
    "org.links.for": ("Điểm cầu / diễn giả", "Bridge point / speaker"),
    "org.links.label": ("Nhãn", "Label"),
    "org.links.issued": ("Cấp lúc", "Issued"),
    "org.links.state": ("Trạng thái", "State"),
    "org.links.url": ("Đường dẫn", "Address"),
    "org.links.active": ("Đang dùng", "Active"),
    "org.links.revoked": ("Đã thu hồi", "Revoked"),
    "org.links.qr": ("Mã QR", "QR code"),
    "org.links.revoke": ("Thu hồi", "Revoke"),
    "org.links.confirm_title": ("Thu hồi đường dẫn này?", "Revoke this link?"),
    "org.links.confirm_hint": (
        "Màn hình đang mở bằng đường dẫn này sẽ đóng ngay và đường dẫn không dùng lại được; "
        "nếu cần, cấp đường dẫn mới.",
        "Screens open with this link close at once and the link never works again; issue a "
        "new one if needed.",
    ),
    "org.links.confirm_yes": ("Xác nhận thu hồi", "Yes, revoke it"),
    "org.links.confirm_no": ("Không, giữ lại", "No, keep it"),
    "org.links.no_bridge": ("Không gắn điểm cầu", "No bridge point"),
    "org.links.sheet": ("In phiếu của điểm cầu này", "Print this bridge point's sheet"),
    "org.links.none": ("Chưa cấp đường dẫn nào.", "No link issued yet."),
    "org.links.issue_one": ("Cấp một đường dẫn", "Issue one link"),
    "org.links.bridge": ("Điểm cầu", "Bridge point"),
    "org.links.bridge_hint": (
        "Cần cho điều hành điểm cầu, màn hình hội trường và người tham dự.",
        "Needed for bridge operators, hall displays and attendees.",
    ),
    "org.links.speaker": ("Diễn giả", "Speaker"),
    "org.links.speaker_hint": ("Cần cho đường dẫn diễn giả.", "Needed for a speaker link."),
    "org.links.issue": ("Cấp đường dẫn", "Issue the link"),
    # QR codes
    "org.qr.title": ("Mã QR cho người tham dự", "Attendee QR codes"),
    "org.qr.staff": ("Đường dẫn của cán bộ điểm cầu", "The bridge point's staff links"),
    "org.qr.staff_secret": (
        "Nội bộ: trao tận tay người phụ trách, không dán công khai.",
        "Internal: hand to the staff in person, never post publicly.",
    ),
    "org.qr.staff.operator": ("Máy điều hành điểm cầu", "Bridge console"),
    "org.qr.staff.camera": ("Máy quay của điểm cầu", "The room's camera device"),
    "org.qr.staff.display": ("Màn hình hội trường", "Hall display"),
    "org.qr.open_sheet": ("Mở trang in mã QR (A4)", "Open the QR print sheet (A4)"),
    "org.qr.print_hint": (
        "Mỗi điểm cầu một trang A4: dùng lệnh In của trình duyệt (Ctrl+P) để in và dán tại "
        "hội trường.",
        "One A4 page per bridge point: print with the browser's Print command (Ctrl+P) and "
        "put it up in the hall.",
    ),
    "org.qr.without": (
        "Các điểm cầu chưa có mã QR đang dùng:",
        "Bridge points without an active QR link:",
    ),
    "org.qr.none": (
        "Chưa có mã QR nào: hãy cấp đường dẫn chuẩn trước.",
        "No QR code yet: issue the standard links first.",
    ),
    "org.qr.alt": ("Mã QR gửi câu hỏi tại {bridge}", "QR code to ask a question at {bridge}"),
    "org.qr.scan": (
        "Quét mã để gửi câu hỏi cho lãnh đạo và theo dõi câu trả lời.",
        "Scan the code to send your question to the leaders and follow its answer.",
    ),
    "org.qr.no_install": (
        "Không cần cài ứng dụng hay đăng ký tài khoản.",
        "No app to install, no account needed.",
    ),
}
