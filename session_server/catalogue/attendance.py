"""Registration and check-in: refusals, domain words and screen text."""

from __future__ import annotations

ATTENDANCE_MESSAGES: dict[str, tuple[str, str]] = {
    "unit.not_found": ("Không có đơn vị {unit}.", "No unit {unit}."),
    "unit.has_delegates": (
        "Đơn vị {unit} đã đăng ký đại biểu; hãy rút các đại biểu trước khi xóa.",
        "Unit {unit} has registered delegates; withdraw them before removing it.",
    ),
    "unit.quota_full": (
        "Đơn vị {unit} đã đủ chỉ tiêu {quota} đại biểu.",
        "Unit {unit} has already registered its quota of {quota} delegates.",
    ),
    "unit.other_unit": (
        "Đường dẫn này chỉ dùng để đăng ký đại biểu của đơn vị mình.",
        "This link registers its own unit's delegates only.",
    ),
    "link.needs_unit": (
        "Đường dẫn đăng ký phải gắn với một đơn vị.",
        "A registration link needs a unit.",
    ),
    "delegate.not_found": (
        "Không tìm thấy đại biểu này (mã QR không thuộc buổi đối thoại).",
        "No such delegate (the QR code is not one of this dialogue's).",
    ),
    "delegate.duplicate_name": (
        "Đơn vị {unit} đã đăng ký đại biểu {name}.",
        "Unit {unit} has already registered {name}.",
    ),
    "delegate.checked_in": (
        "Đại biểu {name} đã điểm danh; không thể rút tên.",
        "{name} has already checked in and cannot be withdrawn.",
    ),
    "registration.closed": (
        "Đã hết hạn đăng ký đại biểu ({deadline}); vui lòng liên hệ Ban Tổ chức.",
        "Delegate registration closed at {deadline}; please contact the organisers.",
    ),
    "checkin.already": (
        "{name} đã điểm danh lúc {time} tại {bridge}; không điểm danh lại.",
        "{name} already checked in at {time} at {bridge}; not checked in again.",
    ),
    "walk_ins.below_zero": (
        "Chỉ có {count} người tự do đã đếm; không thể bớt nhiều hơn.",
        "Only {count} walk-ins were counted; cannot take back more.",
    ),
}

ATTENDANCE_TERMS: dict[str, tuple[str, str]] = {
    "unit": ("đơn vị đăng ký đại biểu", "unit registrar"),
    "checkin": ("điểm danh", "check-in"),
    "unit_id": ("Mã đơn vị", "Unit id"),
    "units": ("Đơn vị", "Units"),
    "members": ("Số đoàn viên", "Members"),
    "quota": ("Chỉ tiêu", "Quota"),
    "union_base": ("Chỉ tiêu Đoàn cơ sở", "Quota per Đoàn cơ sở"),
    "branch_base": ("Chỉ tiêu Chi đoàn cơ sở", "Quota per Chi đoàn cơ sở"),
    "large_union_base": ("Chỉ tiêu Đoàn cơ sở đông", "Quota per large Đoàn cơ sở"),
    "large_above": ("Ngưỡng đoàn viên", "Members above which a base is large"),
    "department": ("Chỉ tiêu sở, ngành", "Quota per department"),
    "district": ("Chỉ tiêu huyện", "Quota per district"),
    "other": ("Chỉ tiêu đơn vị khác", "Quota per other unit"),
    "delegate_id": ("Mã đại biểu", "Delegate id"),
    "delegates": ("Đại biểu", "Delegates"),
    "phone": ("Số điện thoại", "Phone"),
    "organisation": ("Cơ quan, đơn vị", "Organisation"),
    "precedence": ("Thứ tự giới thiệu", "Order of introduction"),
    "walk_ins": ("Số người tự do", "Walk-ins"),
    "registration_deadline": ("Hạn đăng ký đại biểu", "Registration deadline"),
}
