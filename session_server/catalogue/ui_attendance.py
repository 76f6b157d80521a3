"""Screen text of registration and check-in: the door's check-in page and
card, the unit's registration page, the organiser's units, guests and
attendance pages."""

from __future__ import annotations

UI_ATTENDANCE: dict[str, tuple[str, str]] = {
    # the door (check-in page, bridge console card, moderator)
    "checkin.title": ("Điểm danh", "Check-in"),
    "ci.present": ("Có mặt", "Present"),
    "ci.expected": ("dự kiến", "expected"),
    "ci.checked_in": ("Đã điểm danh", "Checked in"),
    "ci.walk_ins": ("Tự do", "Walk-ins"),
    "ci.total": ("Tổng", "Total"),
    "ci.attendance": ("Tham dự", "Attendance"),
    "ci.scan": ("Quét mã QR", "Scan a QR code"),
    "ci.camera": ("Hình camera để quét mã", "Camera picture for scanning"),
    "ci.camera_on": ("Quét bằng camera", "Scan with the camera"),
    "ci.camera_off": ("Dừng quét", "Stop scanning"),
    "ci.scan_hint": (
        "Bấm “Quét bằng camera” rồi đưa mã QR trên giấy mời vào khung hình.",
        "Press “Scan with the camera” and hold the invitation's QR code in view.",
    ),
    "ci.read": ("Đã đọc mã; đang điểm danh…", "Code read; checking in…"),
    "ci.not_ours": (
        "Mã này không phải mã điểm danh của buổi đối thoại.",
        "This code is not one of this dialogue's check-in codes.",
    ),
    "ci.no_camera": (
        "Không mở được camera; hãy tìm theo tên.",
        "The camera could not be opened; search by name instead.",
    ),
    "ci.by_name": ("Tìm theo tên", "Search by name"),
    "ci.search": ("Họ tên hoặc đơn vị", "Name or unit"),
    "ci.person": ("Người được mời", "Invited person"),
    "ci.check_in": ("Điểm danh", "Check in"),
    "ci.nobody_invited": (
        "Chưa có ai được mời đến điểm cầu này.",
        "Nobody is invited to this bridge point yet.",
    ),
    "ci.walk_in_count": ("Số người (không có giấy mời)", "People (without an invitation)"),
    "ci.walk_in_add": ("Cộng vào", "Add"),
    "ci.waiting": (
        "Chưa gửi được (mất kết nối); sẽ tự gửi khi có mạng:",
        "Not sent yet (link lost); sent by itself when it returns:",
    ),
    "ci.waiting_code": ("Mã ", "Code "),
    # the unit's registration page
    "reg.title": ("Đăng ký đại biểu", "Delegate registration"),
    "reg.fill": (
        "Đã đăng ký {registered} / {quota} đại biểu.",
        "{registered} of {quota} registered.",
    ),
    "reg.deadline": ("Hạn đăng ký: {time} ngày {day}.", "Registration closes at {time} on {day}."),
    "reg.closed": (
        "Đã hết hạn đăng ký; vui lòng liên hệ Ban Tổ chức.",
        "Registration has closed; please contact the organisers.",
    ),
    "reg.add": ("Thêm đại biểu", "Add a delegate"),
    "reg.name": ("Họ và tên", "Full name"),
    "reg.position": ("Chức vụ", "Position"),
    "reg.phone": ("Số điện thoại (không bắt buộc)", "Phone (optional)"),
    "reg.submit": ("Đăng ký", "Register"),
    "reg.list": ("Đại biểu đã đăng ký", "Registered delegates"),
    "reg.none": ("Chưa đăng ký đại biểu nào.", "No delegate registered yet."),
    "reg.withdraw": ("Rút tên", "Withdraw"),
    "reg.withdraw.ask": ("Rút tên {name} khỏi danh sách?", "Withdraw {name} from the list?"),
    "reg.withdraw.hint": (
        "Giấy mời đã tải của người này không còn dùng để điểm danh được; muốn mời lại phải "
        "đăng ký lại và tải giấy mời mới.",
        "The invitation already downloaded for this person no longer checks them in; to invite "
        "them again, register them again and download a new invitation.",
    ),
    "reg.withdraw.yes": ("Xác nhận rút tên", "Yes, withdraw"),
    "reg.withdraw.keep": ("Không, giữ lại", "No, keep"),
    "reg.invitations": ("Tải giấy mời (DOCX)", "Download the invitations (DOCX)"),
    "reg.done.register": ("Đã đăng ký đại biểu.", "Delegate registered."),
    "reg.done.withdraw": ("Đã rút tên đại biểu.", "Delegate withdrawn."),
    # the organiser's pages
    "org.nav.units": ("Đơn vị", "Units"),
    "org.nav.guests": ("Khách mời", "Guests"),
    "org.nav.attendance": ("Điểm danh", "Attendance"),
    "ros.main_venue": ("Điểm cầu chính", "Main venue"),
    "ros.invitation": ("Giấy mời", "Invitation"),
    "ros.invitations": ("Giấy mời", "Invitations"),
    "ros.units.title": ("Đơn vị và chỉ tiêu đại biểu", "Units and delegate quotas"),
    "ros.units.list": ("Đơn vị tham gia", "Participating units"),
    "ros.units.name": ("Tên đơn vị", "Unit"),
    "ros.units.kind": ("Loại", "Kind"),
    "ros.units.members": ("Đoàn viên", "Members"),
    "ros.units.bridge": ("Điểm cầu", "Bridge point"),
    "ros.units.override": ("Chỉ tiêu riêng", "Own quota"),
    "ros.units.fill": ("Đã đăng ký", "Registered"),
    "ros.units.missing": ("còn thiếu {count}", "{count} missing"),
    "ros.units.link": ("Đường dẫn đăng ký", "Registration link"),
    "ros.units.issue": ("Tạo đường dẫn", "Issue a link"),
    "ros.units.none": ("Chưa có đơn vị nào.", "No unit yet."),
    "ros.units.add": ("Thêm đơn vị", "Add a unit"),
    "ros.kind.union_base": ("Đoàn cơ sở", "Đoàn cơ sở (union base)"),
    "ros.kind.branch_base": ("Chi đoàn cơ sở", "Chi đoàn cơ sở (branch)"),
    "ros.kind.department": ("Sở, ban, ngành", "Department"),
    "ros.kind.district": ("Huyện, thị xã, thành phố", "District"),
    "ros.kind.other": ("Khác", "Other"),
    "ros.rule.title": ("Quy tắc chỉ tiêu", "Quota rule"),
    "ros.rule.hint": (
        "Mặc định theo kế hoạch của thành phố: Đoàn cơ sở 2, Chi đoàn cơ sở 1, Đoàn cơ sở "
        "trên 50 đoàn viên 3; mỗi sở, ngành 3. Chỉ tiêu riêng của một đơn vị thay cho quy tắc.",
        "By default the city plan's: 2 per Đoàn cơ sở, 1 per Chi đoàn cơ sở, 3 for a Đoàn cơ "
        "sở above 50 members; 3 per department. A unit's own quota replaces the rule.",
    ),
    "ros.deadline.title": ("Hạn đăng ký", "Registration deadline"),
    "ros.import.title": ("Nhập danh sách", "Import a list"),
    "ros.import.hint": (
        "Tệp CSV hoặc XLSX, dòng đầu là tiêu đề. Đơn vị: Đơn vị, Loại, Số đoàn viên, Điểm cầu, "
        "Chỉ tiêu. Đại biểu: Họ tên, Chức vụ, Đơn vị, Điện thoại. Nhập lại cùng tệp không tạo "
        "bản trùng.",
        "A CSV or XLSX file, headers on the first row. Units: Đơn vị, Loại, Số đoàn viên, Điểm "
        "cầu, Chỉ tiêu. Delegates: Họ tên, Chức vụ, Đơn vị, Điện thoại. The same file again adds "
        "nothing twice.",
    ),
    "ros.import.kind": ("Danh sách", "List of"),
    "ros.import.units": ("Đơn vị", "Units"),
    "ros.import.delegates": ("Đại biểu", "Delegates"),
    "ros.import.file": ("Tệp", "File"),
    "ros.import.submit": ("Nhập", "Import"),
    "ros.import.result": (
        "Đã nhập {imported} trên {rows} dòng.",
        "{imported} of {rows} rows imported.",
    ),
    "ros.import.formulas": (
        "Các dòng {rows} có ô bắt đầu như công thức; đã nhập như chữ.",
        "Rows {rows} have cells that start like formulas; imported as text.",
    ),
    "ros.import.row": ("Dòng", "Row"),
    "ros.import.reason": ("Lý do không nhập", "Why it was not imported"),
    "ros.guests.title": ("Khách mời", "Invited guests"),
    "ros.guests.list": ("Khách mời theo thứ tự giới thiệu", "Guests in order of introduction"),
    "ros.guests.hint": (
        "Thứ tự giới thiệu: theo nhóm (lãnh đạo, các ban Đảng, sở ngành, báo chí, khác), "
        "rồi theo số thứ tự.",
        "Order of introduction: by category (leaders, Party boards, departments, press, other), "
        "then by number.",
    ),
    "ros.guests.name": ("Họ và tên", "Full name"),
    "ros.guests.position": ("Chức vụ", "Position"),
    "ros.guests.organisation": ("Cơ quan", "Organisation"),
    "ros.guests.category": ("Nhóm", "Category"),
    "ros.guests.precedence": ("Thứ tự", "Order"),
    "ros.guests.none": ("Chưa có khách mời.", "No guest yet."),
    "ros.guests.add": ("Thêm khách mời", "Add a guest"),
    "ros.category.leader": ("Lãnh đạo", "Leaders"),
    "ros.category.party": ("Các ban Đảng", "Party boards"),
    "ros.category.department": ("Sở, ngành, đoàn thể", "Departments"),
    "ros.category.press": ("Báo chí", "Press"),
    "ros.category.other": ("Khác", "Other"),
    "ros.att.title": ("Điểm danh tại các điểm cầu", "Attendance at the bridge points"),
    "ros.att.door": ("Đường dẫn điểm danh", "Check-in link"),
    "ros.att.issue": ("Tạo đường dẫn", "Issue a link"),
    "ros.att.list": ("Danh sách", "List"),
    "ros.att.download": ("Tải (DOCX)", "Download (DOCX)"),
    "ros.att.hint": (
        "Số liệu tự cập nhật; con số này vào thông báo kết luận và báo cáo công khai.",
        "The figures refresh by themselves; they go into the conclusion notice and the public "
        "report.",
    ),
    "ros.done.set_quota_rule": ("Đã lưu quy tắc chỉ tiêu.", "Quota rule saved."),
    "ros.done.set_registration_deadline": ("Đã lưu hạn đăng ký.", "Deadline saved."),
    "ros.done.set_unit": ("Đã lưu đơn vị.", "Unit saved."),
    "ros.done.remove_unit": ("Đã xóa đơn vị.", "Unit removed."),
    "ros.done.set_guest": ("Đã lưu khách mời.", "Guest saved."),
    "ros.done.withdraw_delegate": ("Đã xóa khỏi danh sách.", "Removed from the list."),
    "ros.done.issue_link": ("Đã tạo đường dẫn.", "Link issued."),
    "ros.done.import": ("Đã nhập danh sách.", "List imported."),
    "ci.type_name": (
        "Gõ vài chữ của họ tên hoặc đơn vị (không cần dấu).",
        "Type a few letters of the name or unit (accents optional).",
    ),
    "ci.none_found": ("Không tìm thấy ai với “{query}”.", "Nobody found for “{query}”."),
    "ci.found": ("Tìm thấy {count} người.", "{count} found."),
    "ci.found_more": (
        "Hiện {shown} trên {total} người: gõ thêm để thu hẹp.",
        "Showing {shown} of {total}: type more to narrow it.",
    ),
    "ci.already": ("đã điểm danh lúc {time}", "checked in at {time}"),
    "ci.search_failed": (
        "Chưa tìm được: cần kết nối mạng. Sẽ tìm lại khi có mạng.",
        "Could not search: it needs the connection. It searches again when the link returns.",
    ),
    "ci.pick_one": (
        "Chọn một người chưa điểm danh trong danh sách.",
        "Choose someone not yet checked in from the list.",
    ),
    "ci.taken": ("Vừa có người điểm danh cho: {who}.", "Just checked in elsewhere: {who}."),
}
