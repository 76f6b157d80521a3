"""Text of the record's screens (conclusion, import, exports, public
report): key → (Vietnamese, English)."""

from __future__ import annotations

UI_RECORD: dict[str, tuple[str, str]] = {
    "org.nav.conclusion": ("Thông báo kết luận", "Conclusion notice"),
    "org.nav.import": ("Nhập câu hỏi", "Import questions"),
    "org.nav.followup": ("Theo dõi trả lời", "Follow-up"),
    # follow-up of forwarded and deferred questions
    "fu.title": ("Theo dõi trả lời bằng văn bản", "Follow-up of written answers"),
    "fu.hint": (
        "Câu hỏi chuyển cơ quan khác hoặc trả lời bằng văn bản. Gửi mỗi cơ quan đường dẫn "
        "của câu hỏi để cơ quan ghi nội dung trả lời; thời hạn mặc định {days} ngày.",
        "Questions forwarded or to be answered in writing. Send each agency its question's "
        "link to record the answer; the default deadline is {days} days.",
    ),
    "fu.pending": ("Chờ trả lời", "Pending"),
    "fu.overdue": ("Quá hạn", "Overdue"),
    "fu.answered": ("Đã trả lời", "Answered"),
    "fu.awaiting": ("Chờ duyệt câu trả lời", "Answer awaiting acceptance"),
    "fu.accept": ("Duyệt, công bố câu trả lời", "Accept and publish the answer"),
    "fu.acceptance": (
        "Câu trả lời của cơ quan chỉ hiện trên báo cáo công khai và thông báo kết luận "
        "sau khi được duyệt.",
        "An agency's answer shows on the public report and the conclusion notice only once "
        "accepted.",
    ),
    "fu.grace": (
        "Đường dẫn hết hạn {days} ngày sau thời hạn trả lời.",
        "A link expires {days} days after the deadline.",
    ),
    "fu.issue": ("Cấp đường dẫn", "Issue a link"),
    "fu.valid_until": ("Dùng được đến hết ngày {day}", "Valid until the end of {day}"),
    "fu.link_expired": ("Đã hết hạn", "Expired"),
    "fu.done.issue_link": (
        "Đã cấp đường dẫn trả lời câu hỏi {question}.",
        "A link to answer question {question} was issued.",
    ),
    "fu.done.revoke_link": (
        "Đã thu hồi đường dẫn của câu hỏi {question}: đường dẫn không dùng được nữa.",
        "The link of question {question} was revoked: it no longer works.",
    ),
    "fu.done.accept_written_answer": (
        "Đã duyệt câu trả lời câu hỏi {question}: báo cáo công khai đã hiển thị.",
        "The answer to question {question} was accepted: the public report shows it.",
    ),
    "fu.state": ("Tình trạng", "State"),
    "fu.fates": (
        "Câu hỏi chưa có kết quả xử lý",
        "Questions without an outcome",
    ),
    "fu.fates_hint": (
        "Câu hỏi đã duyệt nhưng chưa được trả lời tại buổi đối thoại. Chọn một hoặc nhiều "
        "câu, rồi chuyển cơ quan có thẩm quyền hoặc giao trả lời bằng văn bản, kèm hạn trả "
        "lời (để trống: {days} ngày). Để trống cơ quan thì mỗi câu chuyển cơ quan của diễn "
        "giả phụ trách nhóm vấn đề.",
        "Approved questions the day did not reach. Tick one or more, then forward them to "
        "the competent agency or have them answered in writing, with a deadline (empty: "
        "{days} days). With no agency typed, each goes to the agency of its topic's speaker.",
    ),
    "fu.fates_none": (
        "Mọi câu hỏi đã duyệt đều đã có kết quả xử lý.",
        "Every approved question has an outcome.",
    ),
    "fu.pick": ("Chọn", "Pick"),
    "fu.pick_all": ("Chọn tất cả", "Pick all"),
    "fu.default_agency": ("Cơ quan mặc định", "Default agency"),
    "fu.fate": ("Xử lý", "Outcome"),
    "fu.fate.forward": ("Chuyển cơ quan có thẩm quyền trả lời", "Forward to the competent agency"),
    "fu.fate.defer": ("Trả lời bằng văn bản", "Answer in writing"),
    "fu.agency_override": (
        "Cơ quan (để trống: cơ quan mặc định của từng câu)",
        "Agency (empty: each question's default)",
    ),
    "fu.deadline": ("Hạn trả lời", "Deadline"),
    "fu.note": ("Ghi chú", "Note"),
    "fu.apply": ("Áp dụng cho các câu đã chọn", "Apply to the ticked questions"),
    "fu.done.give_fates": (
        "Đã xử lý {question} câu hỏi.",
        "Questions given an outcome: {question}.",
    ),
    "fu.link": ("Đường dẫn cho cơ quan", "Link for the agency"),
    "fu.none": (
        "Không có câu hỏi nào chờ trả lời bằng văn bản.",
        "No question awaits a written answer.",
    ),
    "fu.secret": (
        "Ai có đường dẫn đều ghi được câu trả lời cho câu hỏi đó, dưới tên cơ quan ghi trên "
        "đường dẫn: chỉ gửi cho cơ quan trả lời; thu hồi ngay đường dẫn bị lộ.",
        "Anyone holding a link can record the answer to its question, under the agency's "
        "name the link carries: send it to the answering agency only, and revoke a link "
        "that leaked.",
    ),
    "agency.title": ("Trả lời bằng văn bản", "Written answer"),
    "agency.answer": ("Nội dung trả lời", "The answer"),
    "agency.agency": ("Cơ quan trả lời", "Answering agency"),
    "agency.text": ("Nội dung", "Text"),
    "agency.submit": ("Gửi trả lời", "Send the answer"),
    "agency.saved": (
        "Đã ghi nhận câu trả lời. Có thể sửa và gửi lại.",
        "The answer is recorded. You may correct it and send it again.",
    ),
    "agency.awaiting": (
        "Câu trả lời đang chờ ban tổ chức duyệt trước khi công bố.",
        "The answer awaits the organisers' acceptance before it is published.",
    ),
    "agency.accepted": (
        "Ban tổ chức đã duyệt và công bố câu trả lời.",
        "The organisers have accepted and published the answer.",
    ),
    "agency.valid_until": (
        "Đường dẫn này dùng được đến hết ngày {day}.",
        "This link works until the end of {day}.",
    ),
    "report.answer_written": ("Trả lời bằng văn bản", "Written answer"),
    "report.state": ("Tình trạng", "State"),
    # the conclusion notice
    "rec.conclusion.title": ("Thông báo kết luận", "Conclusion notice"),
    "rec.conclusion.document": ("Văn bản", "The document"),
    "rec.conclusion.download": ("Tải về tệp DOCX", "Download the DOCX"),
    "rec.conclusion.draft": ("Phần do ban tổ chức soạn", "What the organiser writes"),
    "rec.conclusion.draft_hint": (
        "Các số liệu, câu hỏi, nội dung trả lời và cam kết được lấy từ nhật ký buổi đối thoại; "
        "ở đây chỉ soạn phần lời văn. Ô để trống dùng nội dung mặc định.",
        "Figures, questions, answers and commitments come from the dialogue's log; write "
        "only the wording here. Empty fields use the default.",
    ),
    "rec.conclusion.number": ("Số, ký hiệu", "Number and code"),
    "rec.conclusion.locality": ("Địa danh", "Place name"),
    "rec.conclusion.issued_on": ("Ngày ban hành", "Date of issue"),
    "rec.conclusion.attendance": ("Số người tham dự", "Attendance"),
    "rec.conclusion.signature_warning": (
        "Kiểm tra khối chữ ký:",
        "Check the signature block:",
    ),
    "rec.conclusion.attendance_hint": (
        "Chỉ dùng khi không ai được điểm danh: đã có điểm danh thì thông báo lấy số người "
        "điểm danh tại các điểm cầu. Để trống thì thông báo không nêu số người.",
        "Used only when nobody was checked in: once anyone is, the notice gives the number "
        "checked in at the bridge points. Left empty, the notice gives no figure.",
    ),
    "rec.conclusion.opening": ("Đoạn mở đầu", "Opening paragraph"),
    "rec.conclusion.default": ("Mặc định:", "Default:"),
    "rec.conclusion.conclusions": ("Kết luận của chủ trì", "Conclusions of the chair"),
    "rec.conclusion.authority": (
        "Thẩm quyền ký (mỗi dòng một cấp)",
        "Signing authority (one level a line)",
    ),
    "rec.conclusion.signer_position": ("Chức vụ người ký", "Signer's position"),
    "rec.conclusion.signer_name": ("Họ tên người ký", "Signer's name"),
    "rec.conclusion.recipients": ("Nơi nhận (mỗi dòng một nơi)", "Recipients (one a line)"),
    "rec.conclusion.recipients_hint": (
        "Để trống để gửi mọi cơ quan liên quan (cơ quan của diễn giả và cơ quan được chuyển "
        'câu hỏi); dòng "Lưu: VT" được thêm nếu thiếu.',
        "Leave empty to send it to every agency involved (the speakers' agencies and the "
        'agencies questions were forwarded to); a "Lưu: VT" line is added when missing.',
    ),
    "rec.archive.title": ("Lưu trữ", "Archive"),
    "rec.archive.hint": (
        "Toàn bộ câu hỏi (CSV, XLSX, JSON), toàn bộ nhật ký sự kiện (JSON); "
        "archive.zip gồm tất cả cùng các bản ghi âm từng lượt phát biểu (Ogg/Opus).",
        "Every question (CSV, XLSX, JSON) and the whole event log (JSON); "
        "archive.zip holds all of them with the recording of every floor segment (Ogg/Opus).",
    ),
    "rec.report.open": ("Mở báo cáo công khai", "Open the public report"),
    # import
    "rec.import.title": ("Nhập câu hỏi tổng hợp trước", "Import pre-collected questions"),
    "rec.import.upload": ("Chọn tệp", "Choose a file"),
    "rec.import.hint": (
        "Tệp CSV (UTF-8) hoặc XLSX, tối đa {rows} dòng và {megabytes} MB. Dòng đầu là tên cột: "
        "Đơn vị, Người hỏi, Điểm cầu, Nhóm vấn đề, Câu hỏi (điểm cầu và nhóm vấn đề ghi theo "
        "mã hoặc tên).",
        "A CSV (UTF-8) or XLSX file, at most {rows} rows and {megabytes} MB. The first row "
        "names the columns: unit, asker, bridge point, topic, question (bridge point and "
        "topic by id or by name).",
    ),
    "rec.import.file": ("Tệp", "File"),
    "rec.import.mode": ("Khi có dòng lỗi", "When some rows are bad"),
    "rec.import.mode_all": ("Không nhập gì, chỉ báo lỗi", "Import nothing, list the errors"),
    "rec.import.mode_good": ("Chỉ nhập các dòng hợp lệ", "Import the good rows only"),
    "rec.import.submit": ("Nhập", "Import"),
    "rec.import.result": ("Kết quả", "Result"),
    "rec.import.rows": ("{count} dòng dữ liệu", "{count} data rows"),
    "rec.import.nothing": ("Chưa nhập câu hỏi nào.", "No question was imported."),
    "rec.import.imported": ("Đã nhập {count} câu hỏi.", "{count} questions imported."),
    "rec.import.repeats": (
        "{count} dòng đã được nhập từ trước (cùng tệp), bỏ qua.",
        "{count} rows were imported before (same file) and were skipped.",
    ),
    "rec.import.errors": ("{count} dòng lỗi", "{count} bad rows"),
    "rec.import.row": ("Dòng", "Row"),
    "rec.import.question": ("câu hỏi", "question"),
    "rec.import.duplicates": ("{count} câu hỏi có thể trùng", "{count} likely duplicates"),
    "rec.import.duplicates_hint": (
        "Vẫn được nhập; người điều hành xem xét và gộp nếu cần.",
        "Imported all the same; the moderator reviews and merges them where needed.",
    ),
    "rec.import.exact": ("trùng nội dung", "same text"),
    "rec.import.formulas": (
        "Các dòng bắt đầu bằng =, +, - hoặc @ được lưu nguyên là văn bản: {rows}.",
        "Cells starting with =, +, - or @ are kept as plain text (rows {rows}).",
    ),
    # the public report
    "report.title": ("Báo cáo kết quả đối thoại", "Dialogue report"),
    "report.heading": ("KẾT QUẢ BUỔI ĐỐI THOẠI", "OUTCOME OF THE DIALOGUE"),
    "report.figures": ("Số liệu", "Figures"),
    "report.answers": ("Nội dung trả lời theo nhóm vấn đề", "Answers by topic"),
    "report.question": ("Câu hỏi", "Question"),
    "report.answered_live": (
        "Đã trả lời trực tiếp tại buổi đối thoại.",
        "Answered live at the dialogue.",
    ),
    "report.forwarded": (
        "Chuyển {agency} trả lời theo thẩm quyền.",
        "Forwarded to {agency} to answer.",
    ),
    "report.deferred": ("Sẽ được trả lời bằng văn bản.", "To be answered in writing."),
    "report.deadline": ("Thời hạn", "Deadline"),
    "report.commitment": ("Cam kết", "Commitment"),
    "report.none": ("Chưa có câu hỏi nào được trả lời.", "No question has been answered yet."),
    "report.followups": (
        "Câu hỏi chuyển cơ quan có thẩm quyền, trả lời bằng văn bản",
        "Questions forwarded or to be answered in writing",
    ),
    "report.bridge": ("Điểm cầu", "Bridge point"),
    "report.agency": ("Cơ quan trả lời", "Answering agency"),
    "report.conclusions": ("Kết luận của chủ trì", "Conclusions of the chair"),
    "report.print": ("In báo cáo", "Print the report"),
    "report.every": (
        "Tất cả câu hỏi, ý kiến đã tiếp nhận và kết quả xử lý",
        "Every question received and what became of it",
    ),
    "report.every_hint": (
        "Mỗi câu hỏi gửi đến buổi đối thoại đều có trong danh sách này, kể cả câu hỏi "
        "không được tiếp nhận (kèm loại lý do).",
        "Every question sent to the dialogue is listed here, those not taken up too "
        "(with the kind of reason).",
    ),
    "report.fate": ("Kết quả xử lý", "Outcome"),
    "report.topic": ("Nhóm vấn đề", "Topic"),
    "report.withheld": (
        "(Nội dung không công bố)",
        "(Text not published)",
    ),
    "report.note": ("Ghi chú", "Note"),
}
