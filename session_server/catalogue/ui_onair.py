"""Text of what goes on air: the organiser's livestream destinations, the
day's video and its chapters: key → (Vietnamese, English)."""

from __future__ import annotations

UI_ONAIR: dict[str, tuple[str, str]] = {
    "onair.chapter.question": ("Câu {number}", "Question {number}"),
    "onair.chapter.opening": ("Khai mạc", "Opening"),
    "onair.replay": ("xem lại câu trả lời", "watch the answer again"),
}

MESSAGES_ONAIR: dict[str, tuple[str, str]] = {
    "onair.bad_url": (
        "Địa chỉ máy chủ phải bắt đầu bằng rtmp:// hoặc rtmps:// (không kèm khóa luồng).",
        "The server URL must start with rtmp:// or rtmps:// (without the stream key).",
    ),
    "onair.bad_label": (
        "Đặt tên cho điểm phát (tối đa {limit} ký tự).",
        "Name the destination (at most {limit} characters).",
    ),
    "onair.bad_key": (
        "Khóa luồng không hợp lệ (không có dấu cách, tối đa 300 ký tự).",
        "The stream key is not valid (no spaces, at most 300 characters).",
    ),
    "onair.too_many": (
        "Mỗi buổi đối thoại có tối đa {limit} điểm phát.",
        "A dialogue has at most {limit} destinations.",
    ),
    "onair.not_live": (
        "Chỉ phát được khi buổi đối thoại đang diễn ra.",
        "Streaming starts only while the dialogue is live.",
    ),
    "onair.unknown": ("Không có điểm phát này.", "No such destination."),
    "onair.off": (
        "Máy chủ này không phát hình trực tiếp (MEDIA=0).",
        "This server does not stream (MEDIA=0).",
    ),
}
