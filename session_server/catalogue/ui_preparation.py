"""Text of the weeks before the day: the preparation timeline, the public
plan page, suggested answers and the MC's script: key → (Vietnamese,
English); and their refusals (``MESSAGES_PREPARATION``)."""

from __future__ import annotations

MESSAGES_PREPARATION: dict[str, tuple[str, str]] = {
    "prep.needs_day": (
        "Cần nhập ngày giờ tổ chức đối thoại trước.",
        "Enter the dialogue's date and time first.",
    ),
    "prep.task_not_found": ("Không có công việc {task}.", "There is no task {task}."),
    "plan.already_published": (
        "Kế hoạch đã được công bố.",
        "The plan is already published.",
    ),
    "plan.not_published": (
        "Kế hoạch của buổi đối thoại này chưa được công bố.",
        "This dialogue's plan has not been published.",
    ),
    "plan.published_late": (
        "Kế hoạch được công bố chưa đủ {days} ngày trước ngày đối thoại.",
        "The plan was published less than {days} days before the dialogue.",
    ),
    "plan.not_published_yet": (
        "Còn chưa đến {days} ngày là tới ngày đối thoại mà kế hoạch chưa được công bố.",
        "The dialogue is less than {days} days away and its plan is not published.",
    ),
    "suggested.not_pre_collected": (
        "Câu hỏi {question} không phải câu hỏi tổng hợp trước; chỉ câu hỏi tổng hợp trước "
        "mới có gợi ý trả lời.",
        "Question {question} was not collected before the day; only those get a suggested answer.",
    ),
    "suggested.question_closed": (
        "Câu hỏi {question} đang ở trạng thái {status}; không ghi gợi ý trả lời được.",
        "Question {question} is {status}; no suggested answer can be recorded.",
    ),
    "suggested.other_topic": (
        "Câu hỏi {question} không thuộc nhóm vấn đề của đường dẫn này.",
        "Question {question} is not in this link's topic.",
    ),
    "link.needs_drafter_name": (
        "Cần nhập tên đơn vị soạn gợi ý trả lời.",
        "Enter the name of the unit drafting suggested answers.",
    ),
}

TERMS_PREPARATION: dict[str, tuple[str, str]] = {
    "drafter": ("đơn vị soạn gợi ý trả lời", "suggested-answer drafter"),
    "owner": ("Đơn vị thực hiện", "Owner unit"),
    "deadline": ("Thời hạn", "Deadline"),
    "task_id": ("Mã công việc", "Task id"),
    "tasks": ("Công việc chuẩn bị", "Preparation tasks"),
    "suggested": ("Gợi ý nội dung trả lời", "Suggested answer"),
    "todo": ("chưa làm", "to do"),
    "doing": ("đang làm", "in progress"),
    "done": ("đã xong", "done"),
}

UI_PREPARATION: dict[str, tuple[str, str]] = {
    "org.nav.prep": ("Chuẩn bị", "Preparation"),
    # the organiser's timeline page
    "prep.title": ("Tiến độ chuẩn bị", "Preparation timeline"),
    "prep.hint": (
        "Các mốc công việc trước ngày đối thoại (D), theo đơn vị thực hiện và thời hạn. "
        "Thời hạn tổng hợp câu hỏi cũng là hạn nhận câu hỏi từ điện thoại.",
        "The milestones before the dialogue's day (D), by owner unit and deadline. The "
        "question-compilation deadline is also the phones' question deadline.",
    ),
    "prep.day": ("Ngày đối thoại (D): {day}", "Dialogue day (D): {day}"),
    "prep.no_day": (
        "Chưa có ngày đối thoại: nhập ở trang Thiết lập.",
        "No dialogue date yet: enter it on the Setup page.",
    ),
    "prep.template": (
        "Tạo tiến độ theo kế hoạch mẫu (D−15 … D−6)",
        "Create the timeline from the model plan (D−15 … D−6)",
    ),
    "prep.tasks": ("Công việc", "Tasks"),
    "prep.none": ("Chưa có công việc nào.", "No tasks yet."),
    "prep.col.task": ("Công việc", "Task"),
    "prep.col.owner": ("Đơn vị thực hiện", "Owner unit"),
    "prep.col.deadline": ("Thời hạn", "Deadline"),
    "prep.col.status": ("Trạng thái", "Status"),
    "prep.col.actions": ("Thao tác", "Actions"),
    "prep.relative": ("D−{days}", "D−{days}"),
    "prep.relative_after": ("D+{days}", "D+{days}"),
    "prep.intake": ("hạn nhận câu hỏi", "question deadline"),
    "prep.overdue": ("Quá hạn", "Overdue"),
    "prep.save": ("Lưu", "Save"),
    "prep.remove": ("Xoá", "Remove"),
    "prep.add": ("Thêm công việc", "Add a task"),
    "prep.status.todo": ("Chưa làm", "To do"),
    "prep.status.doing": ("Đang làm", "In progress"),
    "prep.status.done": ("Đã xong", "Done"),
    "prep.alert.overdue": (
        "{count} công việc chuẩn bị quá hạn: {tasks}.",
        "{count} preparation tasks overdue: {tasks}.",
    ),
    "prep.alert.link": ("Xem tiến độ chuẩn bị", "See the preparation timeline"),
    # publication
    "plan.heading": ("Công bố kế hoạch", "Publishing the plan"),
    "plan.law": (
        "Luật Thanh niên 2020 (Điều 10): kế hoạch, chương trình đối thoại phải được công "
        "khai trước khi tổ chức, ít nhất {days} ngày.",
        "Youth Law 2020 (Art. 10): the dialogue's plan and programme are made public before "
        "it takes place, at least {days} days before.",
    ),
    "plan.publish": ("Công bố kế hoạch", "Publish the plan"),
    "plan.published_on": ("Đã công bố lúc {moment}.", "Published at {moment}."),
    "plan.public_link": ("Trang công khai", "Public page"),
    # the MC's script
    "mc.heading": ("Kịch bản dẫn chương trình", "MC's script"),
    "mc.download": ("Tải kịch bản (DOCX)", "Download the script (DOCX)"),
    "mc.hint": (
        "Tạo lại từ chương trình, đại biểu và câu hỏi mỗi lần tải.",
        "Made again from the programme, delegates and questions at each download.",
    ),
    # drafters' links
    "drafter.heading": ("Gợi ý nội dung trả lời", "Suggested answers"),
    "drafter.hint": (
        "Cấp đường dẫn cho đơn vị tổng hợp câu hỏi hoặc cơ quan phụ trách nhóm vấn đề để "
        "soạn gợi ý trả lời cho câu hỏi tổng hợp trước. Gợi ý chỉ hiện trên màn hình của "
        "diễn giả.",
        "Issue a link to the unit compiling the questions, or to a topic's agency, to draft "
        "suggested answers to the pre-collected questions. Notes show only on the speaker's "
        "screen.",
    ),
    "drafter.name": ("Tên đơn vị", "Unit's name"),
    "drafter.topic": ("Nhóm vấn đề", "Topic"),
    "drafter.all_topics": ("Tất cả", "All"),
    "drafter.issue": ("Cấp đường dẫn", "Issue a link"),
    "drafter.revoke": ("Thu hồi", "Revoke"),
    "drafter.revoked": ("Đã thu hồi", "Revoked"),
    "drafter.count": (
        "{count}/{total} câu hỏi đã có gợi ý.",
        "{count}/{total} questions have a note.",
    ),
    # the drafter's page
    "suggest.title": ("Gợi ý nội dung trả lời", "Suggested answers"),
    "suggest.for": ("Đơn vị soạn: {name}", "Drafted by: {name}"),
    "suggest.hint": (
        "Ghi gợi ý nội dung trả lời cho từng câu hỏi. Chỉ diễn giả được phân công xem được "
        "gợi ý; không công bố, không gửi đến điện thoại.",
        "Write a suggested answer for each question. Only its assigned speaker sees it; it "
        "is never published nor sent to a phone.",
    ),
    "suggest.none": ("Không có câu hỏi tổng hợp trước.", "No pre-collected questions."),
    "suggest.note": (
        "Gợi ý trả lời cho câu hỏi {question}",
        "Suggested answer to question {question}",
    ),
    "suggest.save": ("Lưu gợi ý", "Save the note"),
    "suggest.saved": ("Đã lưu gợi ý.", "The note was saved."),
    "suggest.by": ("Gợi ý trả lời ({author})", "Suggested answer ({author})"),
    "suggest.organiser": ("ban tổ chức", "organiser"),
    # the public plan page
    "pub.title": ("Kế hoạch đối thoại", "Dialogue plan"),
    "pub.theme": ("Chủ đề", "Theme"),
    "pub.when": ("Thời gian", "When"),
    "pub.where": ("Địa điểm", "Where"),
    "pub.main": ("Điểm cầu chính", "Main venue"),
    "pub.bridges": ("Các điểm cầu", "Bridge points"),
    "pub.programme": ("Chương trình", "Programme"),
    "pub.topics": ("Nội dung đối thoại", "Topics"),
    "pub.minutes": ("{minutes} phút", "{minutes} min"),
    "pub.questions": ("Gửi câu hỏi", "Sending questions"),
    "pub.questions_how": (
        "Quét mã QR của điểm cầu chính bằng điện thoại (không cần cài đặt, không cần tài "
        "khoản) hoặc gửi qua tổ chức Đoàn, Hội của bạn.",
        "Scan the main venue's QR code with your phone (nothing to install, no account) or "
        "send it through your youth union or association.",
    ),
    "pub.questions_until": ("Hạn gửi câu hỏi: {moment}.", "Questions until {moment}."),
    "pub.questions_open": (
        "Nhận câu hỏi đến khi kết thúc đối thoại.",
        "Questions are taken until the dialogue ends.",
    ),
    "pub.qr_alt": (
        "Mã QR gửi câu hỏi tại điểm cầu chính",
        "QR code to send questions at the main venue",
    ),
    "pub.published": ("Công bố ngày {day}", "Published on {day}"),
    "pub.legal": ("Căn cứ", "Legal basis"),
    "pub.host": ("Cơ quan chủ trì", "Host"),
}
