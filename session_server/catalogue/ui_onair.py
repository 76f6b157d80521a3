"""Text of the programme on air: the public page's player, the broadcast
overlay, the organiser's livestream destinations, the day's video and its
chapters: key → (Vietnamese, English)."""

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
    "org.nav.onair": ("Phát trực tiếp", "Livestream"),
    "onair.title": ("Phát trực tiếp và video", "Livestream and video"),
    "onair.destinations": ("Điểm phát (RTMP/RTMPS)", "Destinations (RTMP/RTMPS)"),
    "onair.unavailable": (
        "Máy chủ này không phát trực tiếp (MEDIA=0 hoặc ONAIR=off).",
        "This server does not stream (MEDIA=0 or ONAIR=off).",
    ),
    "onair.on_air": (
        "Đang lên sóng: hình của điểm cầu đang phát biểu và âm thanh của hội nghị, "
        "mã hóa một lần cho mọi điểm phát.",
        "On air: the picture of whoever holds the floor and the sound of the day, "
        "encoded once for every destination.",
    ),
    "onair.not_on_air": (
        "Chỉ lên sóng khi buổi đối thoại đang diễn ra; có thể thêm điểm phát trước.",
        "Streaming runs only while the dialogue is live; destinations can be added before.",
    ),
    "onair.none": ("Chưa có điểm phát nào.", "No destination yet."),
    "onair.name": ("Tên", "Name"),
    "onair.server": ("Địa chỉ máy chủ", "Server URL"),
    "onair.server_hint": (
        "Ví dụ Facebook: rtmps://live-api-s.facebook.com:443/rtmp/ · "
        "YouTube: rtmp://a.rtmp.youtube.com/live2",
        "E.g. Facebook: rtmps://live-api-s.facebook.com:443/rtmp/ · "
        "YouTube: rtmp://a.rtmp.youtube.com/live2",
    ),
    "onair.key": ("Khóa luồng", "Stream key"),
    "onair.key_hint": (
        "Khóa luồng là bí mật: chỉ nhập một lần, sau đó chỉ hiện dạng che.",
        "The stream key is a secret: typed once, then only shown masked.",
    ),
    "onair.state": ("Trạng thái", "State"),
    "onair.state.stopped": ("Đã dừng", "Stopped"),
    "onair.state.connecting": ("Đang kết nối", "Connecting"),
    "onair.state.live": ("Đang phát", "Live"),
    "onair.state.retrying": ("Đang thử lại", "Retrying"),
    "onair.state.failed": ("Lỗi", "Failed"),
    "onair.start": ("Phát", "Start"),
    "onair.stop": ("Dừng", "Stop"),
    "onair.remove": ("Xóa", "Remove"),
    "onair.add": ("Thêm điểm phát", "Add a destination"),
    "onair.add_button": ("Thêm", "Add"),
    "onair.portal": ("Xem trên cổng thông tin", "Watch on the portal"),
    "onair.portal_hint": (
        "Trình phát của cổng thông tin dùng luồng HLS (trễ dưới 10 giây). "
        "Video cả buổi và các chương được giữ lại sau khi kết thúc.",
        "The portal's player uses the HLS stream (under 10 s behind). "
        "The day's video and its chapters stay when the dialogue ends.",
    ),
    "onair.hls": ("Luồng HLS", "HLS stream"),
    "onair.video": ("Video cả buổi", "The day's video"),
    "onair.chapters": ("Chương (WebVTT)", "Chapters (WebVTT)"),
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
