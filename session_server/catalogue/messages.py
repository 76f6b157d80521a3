"""Refusals and errors: code → (Vietnamese, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # input
    "command.unknown": ("Lệnh không hợp lệ.", "Unknown command."),
    "server.full": (
        "Máy chủ đang phục vụ quá nhiều điện thoại; trang sẽ tự kết nối lại sau ít phút.",
        "The server is serving too many phones; this page reconnects by itself shortly.",
    ),
    "socket.hello_again": (
        "Màn hình này đã được đồng bộ; hãy tải lại trang nếu cần.",
        "This screen is already in step; reload the page if needed.",
    ),
    "input.empty": ("{field} không được để trống.", "{field} must not be empty."),
    "input.too_long": (
        "{field} quá dài: {length} ký tự, tối đa {limit}.",
        "{field} is too long: {length} characters, at most {limit}.",
    ),
    "input.too_many": ("{field}: tối đa {limit} mục.", "{field}: at most {limit} entries."),
    "input.out_of_range": ("{field} nằm ngoài giới hạn cho phép.", "{field} is out of range."),
    "input.bad_identifier": (
        "{field} chỉ gồm chữ thường không dấu, số, '-' và '_' (tối đa 48 ký tự).",
        "{field} may contain only lower-case ASCII letters, digits, '-' and '_' "
        "(48 characters at most).",
    ),
    "input.bad_idempotency_key": (
        "Mã gửi không hợp lệ; vui lòng tải lại trang.",
        "Invalid submission key; please reload the page.",
    ),
    "input.bad_value": ("{field} không hợp lệ.", "{field} is not valid."),
    "input.too_many_marks": (
        "{field} có ký tự mang quá {limit} dấu chồng lên nhau.",
        "{field} has a character carrying more than {limit} stacked marks.",
    ),
    "input.nothing_visible": (
        "{field} phải có ít nhất một chữ cái hoặc chữ số.",
        "{field} needs at least one letter or digit.",
    ),
    "input.date_out_of_range": (
        "{field} phải nằm trong khoảng năm {earliest}–{latest}.",
        "{field} must be between the years {earliest} and {latest}.",
    ),
    "input.schema.missing": ("Thiếu trường {field}.", "The field {field} is missing."),
    "input.schema.too_long": (
        "{field} quá dài: tối đa {limit}.",
        "{field} is too long: at most {limit}.",
    ),
    "input.schema.too_short": (
        "{field} quá ngắn: tối thiểu {limit}.",
        "{field} is too short: at least {limit}.",
    ),
    "input.schema.too_small": (
        "{field} phải từ {limit} trở lên.",
        "{field} must be at least {limit}.",
    ),
    "input.schema.too_large": (
        "{field} không được lớn hơn {limit}.",
        "{field} must be at most {limit}.",
    ),
    "input.schema.choice": (
        "{field} không thuộc các giá trị cho phép.",
        "{field} is not one of the allowed values.",
    ),
    "input.schema.format": ("{field} sai định dạng.", "{field} has the wrong format."),
    "input.schema.type": ("{field} sai kiểu dữ liệu.", "{field} has the wrong type."),
    "input.schema.invalid": ("{field} không hợp lệ.", "{field} is not valid."),
    "input.bad_command_id": (
        "Mã lệnh không hợp lệ (8–64 ký tự gồm chữ, số, '-' và '_'); vui lòng tải lại trang.",
        "Invalid command id (8–64 letters, digits, '-' and '_'); please reload the page.",
    ),
    # what the web server itself refuses
    "http.not_found": ("Không tìm thấy trang này.", "This page does not exist."),
    "http.method_not_allowed": (
        "Địa chỉ này không nhận thao tác đó.",
        "This address does not accept that method.",
    ),
    "http.too_large": ("Nội dung gửi lên quá lớn.", "What was sent is too large."),
    "http.uri_too_long": ("Địa chỉ quá dài.", "The address is too long."),
    "http.headers_too_large": ("Phần đầu yêu cầu quá lớn.", "The request's headers are too large."),
    "http.bad_request": (
        "Yêu cầu không đúng định dạng HTTP.",
        "The request is not valid HTTP.",
    ),
    "http.server_error": (
        "Máy chủ gặp lỗi; thao tác chưa được ghi nhận. Vui lòng thử lại.",
        "The server ran into an error; nothing was recorded. Please try again.",
    ),
    "http.error": ("Yêu cầu không thực hiện được.", "The request could not be completed."),
    # roles
    "role.forbidden": (
        "Vai trò {role} không được thực hiện thao tác này.",
        "The {role} role may not do this.",
    ),
    "role.other_bridge": (
        "Chỉ được thao tác cho điểm cầu của mình (không phải {bridge}).",
        "You may act only for your own bridge point (not {bridge}).",
    ),
    "role.bridge_missing": ("Thiếu điểm cầu của người điều hành.", "Operator has no bridge point."),
    "role.device_missing": ("Không nhận diện được thiết bị.", "The device is not identified."),
    "role.speaker_missing": ("Thiếu thông tin diễn giả.", "The speaker is not identified."),
    # dialogue and phases
    "dialogue.not_found": ("Chưa có buổi đối thoại.", "The dialogue does not exist yet."),
    "dialogue.exists": ("Buổi đối thoại đã được tạo.", "The dialogue already exists."),
    "dialogue.closed": (
        "Buổi đối thoại đã kết thúc; không nhận thêm câu hỏi hay thao tác.",
        "The dialogue is closed; nothing more can be submitted or changed.",
    ),
    "dialogue.not_open": (
        "Buổi đối thoại chưa mở nhận câu hỏi.",
        "The dialogue is not yet taking questions.",
    ),
    "dialogue.not_live": (
        "Chỉ làm được khi buổi đối thoại đang diễn ra (hiện: {phase}).",
        "Only possible while the dialogue is live (now: {phase}).",
    ),
    "intake.deadline_passed": (
        "Đã hết hạn gửi câu hỏi trước buổi đối thoại.",
        "The deadline for questions before the dialogue has passed.",
    ),
    "phase.illegal": (
        "Không thể chuyển từ giai đoạn {phase} sang {to}.",
        "Cannot move from phase {phase} to {to}.",
    ),
    "phase.needs_main_bridge": (
        "Cần có điểm cầu chính trước khi bắt đầu.",
        "A main venue is needed before going live.",
    ),
    # setup
    "bridge.not_found": ("Không có điểm cầu {bridge}.", "No bridge point {bridge}."),
    "bridge.main_exists": (
        "Đã có điểm cầu chính ({bridge}).",
        "There is already a main venue ({bridge}).",
    ),
    "bridge.in_use": (
        "Điểm cầu {bridge} đã có câu hỏi hoặc đang phát biểu; không thể xóa.",
        "Bridge point {bridge} has questions or holds the floor; it cannot be removed.",
    ),
    "topic.not_found": ("Không có nhóm vấn đề {topic}.", "No topic {topic}."),
    "speaker.not_found": ("Không có diễn giả {speaker}.", "No speaker {speaker}."),
    "programme.not_found": ("Không có mục chương trình {item}.", "No programme item {item}."),
    "programme.duplicate_item": (
        "Mục chương trình {item} bị trùng.",
        "Programme item {item} appears twice.",
    ),
    # questions
    "question.not_found": ("Không có câu hỏi số {question}.", "No question number {question}."),
    "question.illegal_transition": (
        "Câu hỏi số {question} đang ở trạng thái {status}, không thể chuyển sang {to}.",
        "Question {question} is {status}; it cannot become {to}.",
    ),
    "screen.nothing_chosen": (
        "Chưa chọn câu hỏi nào (gộp cần ít nhất hai câu).",
        "No questions chosen (merging needs at least two).",
    ),
    "question.merge_self": (
        "Không thể gộp câu hỏi vào chính nó.",
        "A question cannot be merged into itself.",
    ),
    "question.merge_target_closed": (
        "Không thể gộp vào câu hỏi số {question} ({status}).",
        "Cannot merge into question {question} ({status}).",
    ),
    "question.closed": (
        "Câu hỏi số {question} đã xử lý xong ({status}).",
        "Question {question} is already dealt with ({status}).",
    ),
    "question.bad_origin": (
        "Nguồn câu hỏi không hợp lệ.",
        "Invalid question origin.",
    ),
    "question.too_many": (
        "Đã đạt số câu hỏi tối đa của buổi đối thoại.",
        "The dialogue has reached its maximum number of questions.",
    ),
    "queue.not_queued": (
        "Câu hỏi số {question} không nằm trong hàng chờ.",
        "Question {question} is not in the queue.",
    ),
    "vote.list_closed": (
        "Danh sách câu hỏi chưa mở để bình chọn.",
        "The question list is not open for votes.",
    ),
    "vote.not_open": (
        "Câu hỏi số {question} không nhận bình chọn.",
        "Question {question} is not open for votes.",
    ),
    "vote.already": (
        "Bạn đã bình chọn câu hỏi số {question}.",
        "You have already voted for question {question}.",
    ),
    # floor
    "floor.busy": (
        "Điểm cầu {holder} đang giữ quyền phát biểu; hãy kết thúc lượt trước.",
        "Bridge point {holder} holds the floor; end that turn first.",
    ),
    "floor.free": ("Chưa ai giữ quyền phát biểu.", "Nobody holds the floor."),
    "floor.no_feed": (
        "Điểm cầu {bridge} chưa có hình trực tiếp (đường truyền: {status}). "
        "Vẫn trao quyền phát biểu khi chưa có hình?",
        "Bridge point {bridge} has no live picture (link: {status}). "
        "Give the floor without a picture?",
    ),
    "recording.not_found": ("Không tìm thấy bản ghi âm.", "Recording not found."),
    "recording.exists": (
        "Bản ghi âm {recording} đã được lưu.",
        "Recording {recording} is already saved.",
    ),
    "media.off": (
        "Máy chủ này không truyền hình ảnh (MEDIA=0).",
        "This server does not relay pictures (MEDIA=0).",
    ),
    "media.bad_offer": (
        "Không thiết lập được kết nối hình ảnh: {reason}",
        "Could not set up the picture link: {reason}",
    ),
    "floor.has_question": (
        "Đang có câu hỏi số {question} trên sàn.",
        "Question {question} is already on the floor.",
    ),
    "floor.no_question": (
        "Chưa có câu hỏi nào trên sàn.",
        "There is no question on the floor.",
    ),
    "floor_request.not_found": (
        "Không có yêu cầu phát biểu số {request}.",
        "No floor request {request}.",
    ),
    "floor_request.not_pending": (
        "Yêu cầu phát biểu số {request} đã được xử lý ({status}).",
        "Floor request {request} is already {status}.",
    ),
    "vote.page_device": (
        "Chỉ điện thoại đã mở trang đối thoại mới được ủng hộ câu hỏi.",
        "Only a phone that opened the dialogue's page may upvote.",
    ),
    "floor_request.too_soon": (
        "Điểm cầu vừa xin phát biểu; vui lòng chờ {seconds} giây rồi xin lại.",
        "This bridge point just asked for the floor; wait {seconds} s before asking again.",
    ),
    "floor_request.already_pending": (
        "Điểm cầu {bridge} đã có yêu cầu phát biểu đang chờ.",
        "Bridge point {bridge} already has a pending floor request.",
    ),
    "floor_request.already_holds": (
        "Điểm cầu {bridge} đang giữ quyền phát biểu.",
        "Bridge point {bridge} already holds the floor.",
    ),
    "timer.bad_seconds": (
        "Thời gian phải từ 1 đến {limit} giây.",
        "The time must be between 1 and {limit} seconds.",
    ),
    "timer.not_running": (
        "Đồng hồ {kind} không chạy.",
        "The {kind} timer is not running.",
    ),
    "forward.deadline_past": (
        "Hạn trả lời không được ở trong quá khứ.",
        "The answer deadline cannot be in the past.",
    ),
    # record
    "answer.not_recordable": (
        "Chưa thể ghi nội dung trả lời cho câu hỏi số {question} ({status}).",
        "An answer cannot be recorded for question {question} yet ({status}).",
    ),
    "summary.stale": (
        "Tóm tắt trả lời câu hỏi số {question} vừa được sửa ở nơi khác (bản lưu thứ {revision}). "
        "Nội dung bạn soạn vẫn được giữ trong ô; vui lòng xem lại rồi lưu lại.",
        "The answer summary of question {question} was changed elsewhere (saved version "
        "{revision}). Your text is kept in the box; please review it and save again.",
    ),
    "commitment.not_found": ("Không có cam kết số {commitment}.", "No commitment {commitment}."),
    # links
    "link.bad_role": (
        "Không cấp đường dẫn cho vai trò {role}.",
        "No link is issued for the {role} role.",
    ),
    "link.needs_bridge": (
        "Đường dẫn vai trò {role} cần chọn điểm cầu.",
        "A {role} link needs a bridge point.",
    ),
    "link.needs_speaker": (
        "Đường dẫn diễn giả cần chọn diễn giả.",
        "A speaker link needs a speaker.",
    ),
    "link.not_found": ("Không có đường dẫn này.", "No such link."),
    "link.revoked": (
        "Đường dẫn này đã bị thu hồi; vui lòng liên hệ ban tổ chức.",
        "This link has been revoked; please contact the organisers.",
    ),
    "link.invalid": (
        "Đường dẫn không hợp lệ hoặc đã hết hiệu lực.",
        "The link is invalid or no longer valid.",
    ),
    "link.needs_question": (
        "Đường dẫn cho cơ quan cần chọn câu hỏi chờ trả lời bằng văn bản.",
        "An agency's link needs a question awaiting a written answer.",
    ),
    "link.needs_agency": (
        "Câu hỏi {question} chưa có cơ quan trả lời: vui lòng nhập tên cơ quan.",
        "Question {question} has no answering agency: please enter the agency's name.",
    ),
    "link.other_question": (
        "Đường dẫn này không dùng để trả lời câu hỏi {question}.",
        "This link is not for answering question {question}.",
    ),
    "link.expired": (
        "Đường dẫn trả lời này đã hết hạn (quá thời hạn trả lời và thời gian gia hạn); "
        "không thể ghi hay sửa câu trả lời. Vui lòng liên hệ ban tổ chức để được cấp "
        "đường dẫn mới.",
        "This answer link has expired (past the deadline and its grace period); the answer "
        "can no longer be recorded or changed. Please ask the organisers for a new link.",
    ),
    # requests
    "request.csrf": (
        "Phiên làm việc đã hết hạn; vui lòng tải lại trang rồi thử lại.",
        "The form has expired; please reload the page and try again.",
    ),
    "request.origin": (
        "Yêu cầu đến từ trang khác nên bị từ chối.",
        "A request from another site was refused.",
    ),
    "request.unauthorised": (
        "Cần đăng nhập ban tổ chức hoặc mã vai trò hợp lệ.",
        "Organiser sign-in or a valid role token is required.",
    ),
    "request.bad_json": (
        "Nội dung gửi lên phải là JSON hợp lệ.",
        "The request body must be valid JSON.",
    ),
    "organiser.bad_password": ("Mật khẩu không đúng.", "Wrong password."),
    "organiser.sign_in_wait": (
        "Đã nhập sai mật khẩu nhiều lần từ địa chỉ này; vui lòng đợi {seconds} giây rồi thử lại.",
        "Too many wrong passwords from this address; please wait {seconds} seconds and try again.",
    ),
    "dialogue.reserved_id": (
        'Không dùng được mã buổi đối thoại "{dialogue}"; vui lòng chọn mã khác.',
        'The dialogue id "{dialogue}" cannot be used; please choose another.',
    ),
    "request.content_type": (
        "Nội dung gửi lên phải có kiểu application/json.",
        "The request body must have the content type application/json.",
    ),
    "request.json_object": (
        "Nội dung gửi lên phải là một đối tượng JSON.",
        "The request body must be a JSON object.",
    ),
    "request.too_large": (
        "Nội dung gửi lên quá lớn (tối đa {limit} byte).",
        "The request body is too large (at most {limit} bytes).",
    ),
    "request.other_dialogue": (
        "Mã vai trò này thuộc một buổi đối thoại khác.",
        "This role token belongs to another dialogue.",
    ),
    # import of questions (issue 4)
    "import.too_large": (
        "Tệp quá lớn (tối đa {limit} byte).",
        "The file is too large (at most {limit} bytes).",
    ),
    "import.empty": ("Tệp không có dữ liệu.", "The file holds no data."),
    "import.bad_type": (
        "Chỉ nhận tệp CSV hoặc XLSX.",
        "Only CSV or XLSX files are accepted.",
    ),
    "import.bad_file": (
        "Không đọc được tệp; vui lòng lưu lại dưới dạng CSV (UTF-8) hoặc XLSX.",
        "The file cannot be read; please save it as CSV (UTF-8) or XLSX.",
    ),
    "import.bad_quotes": (
        'Dòng {row} của tệp CSV có dấu ngoặc kép (") chưa đóng hoặc đặt sai chỗ, nên chưa '
        "nhập câu hỏi nào. Vui lòng sửa dòng này (hoặc lưu lại tệp từ Excel) rồi nhập lại.",
        'Row {row} of the CSV file has a double quote (") left open or out of place, so no '
        "question was imported. Please fix that row (or save the file again from Excel) and "
        "import it again.",
    ),
    "import.bad_encoding": (
        "Tệp CSV không dùng bảng mã UTF-8; vui lòng lưu lại dưới dạng CSV UTF-8.",
        "The CSV file is not UTF-8; please save it again as CSV UTF-8.",
    ),
    "import.encoding_guessed": (
        "Tệp CSV không dùng UTF-8; đã đọc theo bảng mã {encoding}. Vui lòng kiểm tra dấu "
        "tiếng Việt trước khi nhập.",
        "The CSV file is not UTF-8; it was read as {encoding}. Please check the Vietnamese "
        "accents before importing.",
    ),
    "import.too_many_rows": (
        "Tệp có quá nhiều dòng (tối đa {limit} dòng).",
        "The file has too many rows (at most {limit}).",
    ),
    "import.bad_headers": (
        "Không tìm thấy cột câu hỏi. Dòng đầu phải có các cột: Đơn vị, Người hỏi, Điểm cầu, "
        "Nhóm vấn đề, Câu hỏi.",
        "No question column found. The first row must name the columns: unit, asker, "
        "bridge point, topic, question.",
    ),
    "import.no_bridge_column": (
        "Tệp không có cột điểm cầu: các câu hỏi được gán cho điểm cầu chính.",
        "The file has no bridge point column: the questions go to the main venue.",
    ),
    "import.cell_too_long": (
        "Một ô dài quá {limit} ký tự.",
        "A cell is longer than {limit} characters.",
    ),
    "import.extra_cells": (
        "Dòng này có ô nằm sau cột cuối của dòng tên cột (cột {columns}): có thể dấu phân cách "
        "hoặc dấu ngoặc kép bị sai.",
        "This row has cells past the header's last column (column {columns}): a delimiter or "
        "a double quote may be wrong.",
    ),
    "import.unknown_bridge": (
        'Không có điểm cầu "{bridge}".',
        'There is no bridge point "{bridge}".',
    ),
    "import.unknown_topic": (
        'Không có nhóm vấn đề "{topic}".',
        'There is no topic "{topic}".',
    ),
    "import.refused": (
        "Tệp có {count} dòng lỗi nên chưa nhập câu hỏi nào.",
        "The file has {count} bad rows, so no question was imported.",
    ),
    "followup.not_open": (
        "Câu hỏi {question} đang ở trạng thái {status}, không phải câu hỏi chờ trả lời "
        "bằng văn bản.",
        "Question {question} is {status}, not awaiting a written answer.",
    ),
    "followup.invalid": (
        "Đường dẫn trả lời không hợp lệ.",
        "The answer link is invalid.",
    ),
    "followup.agency_fixed": (
        "Đường dẫn này chỉ để {agency} trả lời; không đổi được tên cơ quan.",
        "This link is for {agency} to answer; the agency's name cannot be changed.",
    ),
    "followup.no_answer": (
        "Câu hỏi {question} chưa có câu trả lời bằng văn bản.",
        "Question {question} has no written answer yet.",
    ),
    "followup.answer_changed": (
        "Cơ quan vừa sửa câu trả lời cho câu hỏi {question}; vui lòng đọc lại rồi duyệt.",
        "The agency has just changed its answer to question {question}; please read it "
        "again before accepting.",
    ),
    "export.not_found": ("Không có tệp xuất này.", "There is no such export."),
    "import.no_file": ("Vui lòng chọn tệp để nhập.", "Please choose a file to import."),
    # adapters
    "log.stale_sequence": (
        "Dữ liệu vừa thay đổi; vui lòng thử lại.",
        "The dialogue changed meanwhile; please try again.",
    ),
    "log.unavailable": (
        "Hệ thống tạm thời không ghi được dữ liệu; vui lòng thử lại sau ít phút.",
        "The system cannot record right now; please try again in a few minutes.",
    ),
    "rate.limited": (
        "Bạn gửi quá nhanh; vui lòng đợi {seconds} giây.",
        "You are sending too fast; please wait {seconds} seconds.",
    ),
    "broadcast.not_found": (
        "Không có tệp hình phát sóng này.",
        "No such file of the broadcast.",
    ),
}
