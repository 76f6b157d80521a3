"""Text of the programme on air: the public page's player and the
broadcast overlay: key → (Vietnamese, English)."""

from __future__ import annotations

UI_ONAIR: dict[str, tuple[str, str]] = {
    "overlay.title": ("Đồ họa phát sóng", "Broadcast overlay"),
    "overlay.asker": ("Người hỏi", "Asked by"),
    "overlay.links": ("Đồ họa phát sóng (OBS, vMix)", "Broadcast overlay (OBS, vMix)"),
    "overlay.feed": ("Dữ liệu JSON qua WebSocket", "JSON feed over WebSocket"),
    "player.live": ("Đang phát trực tiếp", "Live now"),
    "player.live_label": ("Phát trực tiếp buổi đối thoại", "The dialogue, live"),
    "player.recording": ("Xem lại buổi đối thoại", "Watch the dialogue again"),
    "player.recording_label": ("Bản ghi hình buổi đối thoại", "The dialogue's video recording"),
    "player.chapters": ("Các câu hỏi", "The questions"),
    "player.ended": (
        "Buổi phát trực tiếp đã kết thúc. Tải lại trang để xem bản ghi hình.",
        "The live broadcast has ended. Reload the page to watch the recording.",
    ),
    "player.unsupported": (
        "Trình duyệt này không phát được video trực tiếp.",
        "This browser cannot play the live video.",
    ),
    "player.download": ("Tải video (MP4)", "Download the video (MP4)"),
}
