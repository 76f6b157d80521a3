"""Importing the questions collected before the day, from CSV or XLSX.

The file is read into rows (``read_table``), each row becomes a
``SubmitQuestion`` with origin ``IMPORTED`` and an idempotency key made
from the file's hash and the row number, and every command is decided
against a copy of the state (``plan_import``): the core's own rules decide
what a good row is, and a row the core refuses carries the core's message,
in both languages. The adapter then imports all the good rows in one atomic
append, or none when the organiser asked for all or nothing.

Likely duplicates (same text once accents, case and punctuation are
ignored, or most words in common) are flagged for the moderator; they are
still imported: merging is the moderator's call.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from session_server.catalogue import message
from session_server.core import apply, decide
from session_server.core.commands import SubmitQuestion
from session_server.core.errors import InvalidInput, SessionError
from session_server.core.model import Actor, Origin, State
from session_server.export.record import fold_text

__all__ = [
    "COLUMNS",
    "MAX_BYTES",
    "MAX_ROWS",
    "Duplicate",
    "ImportPlan",
    "RowError",
    "fold_header",
    "has_formula",
    "name_table",
    "plan_import",
    "read_table",
    "resolve_name",
]

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 50
MAX_CELL = 20_000
_MAX_XLSX_UNPACKED = 64 * 1024 * 1024
_DELIMITERS = ",;\t"

COLUMNS: dict[str, tuple[str, ...]] = {
    "unit": ("don vi", "unit", "to chuc", "co quan don vi"),
    "asker": ("nguoi hoi", "ho ten", "ho va ten", "asker", "name", "ten"),
    "bridge": ("diem cau", "bridge point", "bridge", "bridge id"),
    "topic": ("nhom van de", "chu de", "topic", "linh vuc"),
    "question": ("cau hoi", "noi dung", "noi dung cau hoi", "question", "text"),
    "public": ("dong y neu ten", "cong khai ten", "public", "neu ten"),
}
"""Accepted headers (accents, case and punctuation ignored) of each column."""

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_YES = frozenset({"1", "x", "co", "yes", "true", "dong y", "y"})


def fold_header(text: str) -> str:
    return " ".join(_PUNCT.sub(" ", fold_text(text).replace("_", " ")).split())


def normalised_text(text: str) -> str:
    """Accent-, case- and punctuation-free text, for finding duplicates."""
    return " ".join(_PUNCT.sub(" ", fold_text(text)).split())


@dataclass(frozen=True)
class RowError:
    row: int
    """The spreadsheet row number (the header is row 1)."""
    vi: str
    en: str


@dataclass(frozen=True)
class Duplicate:
    row: int
    of_row: int | None
    of_question: int | None
    exact: bool


@dataclass
class ImportPlan:
    filename: str
    digest: str
    rows: int = 0
    commands: list[tuple[int, SubmitQuestion]] = field(default_factory=list)
    repeats: int = 0
    """Rows already imported from the same file (their keys are known)."""
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    """(vi, en) notes about the file as a whole."""
    formula_rows: list[int] = field(default_factory=list)
    """Rows with a cell that a spreadsheet would run as a formula."""


def _pair(code: str, **params: object) -> tuple[str, str]:
    return message(code, "vi", **params), message(code, "en", **params)


# --- reading the file ---------------------------------------------------------


def _decode(data: bytes, warnings: list[tuple[str, str]]) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for encoding in ("cp1258", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        warnings.append(_pair("import.encoding_guessed", encoding=encoding))
        return text
    raise InvalidInput("import.bad_encoding")


def _delimiter(text: str) -> str:
    """The comma, semicolon or tab seen most often outside quotes on the
    first line that is not blank (the header); a comma when it has none."""
    counts: Counter[str] = Counter()
    quoted = filled = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif quoted:
            pass
        elif char in _DELIMITERS:
            counts[char] += 1
        elif char == "\n" and (filled or counts):
            break
        filled = filled or not char.isspace()
    return max(_DELIMITERS, key=lambda delimiter: counts[delimiter])


def _csv_rows(data: bytes, warnings: list[tuple[str, str]]) -> Iterator[list[str]]:
    """Rows in the standard (Excel) quoting, whatever the delimiter: a quote
    left open or out of place refuses the file rather than cut a cell."""
    text = _decode(data, warnings)
    if "\x00" in text:
        raise InvalidInput("import.bad_encoding")
    csv.field_size_limit(MAX_BYTES)  # long cells are refused row by row
    reader = csv.reader(
        io.StringIO(text, newline=""), csv.excel, delimiter=_delimiter(text), strict=True
    )
    rows = 0
    try:
        for row in reader:
            rows += 1
            yield row
    except csv.Error:
        raise InvalidInput("import.bad_quotes", row=rows + 1) from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise InvalidInput("import.bad_file") from None
    if unpacked > _MAX_XLSX_UNPACKED:
        raise InvalidInput("import.too_large", limit=MAX_BYTES)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds on a broken file
        raise InvalidInput("import.bad_file") from None
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            yield [_cell_text(v) for v in values]
    finally:
        workbook.close()


def read_table(
    data: bytes, filename: str
) -> tuple[list[str], list[list[str]], list[tuple[str, str]]]:
    """The header, the data rows (at most MAX_ROWS) and warnings of a CSV or
    XLSX file; ``InvalidInput`` for a file that cannot be read at all."""
    if len(data) > MAX_BYTES:
        raise InvalidInput("import.too_large", limit=MAX_BYTES)
    if not data.strip():
        raise InvalidInput("import.empty")
    warnings: list[tuple[str, str]] = []
    name = filename.lower()
    if name.endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        rows = _xlsx_rows(data)
    elif name.endswith((".csv", ".txt")) or not name:
        rows = _csv_rows(data, warnings)
    else:
        raise InvalidInput("import.bad_type")
    header: list[str] | None = None
    body: list[list[str]] = []
    for row in rows:
        if header is None:
            if not any(cell.strip() for cell in row):
                continue
            header = row
            continue
        if len(body) >= MAX_ROWS:
            raise InvalidInput("import.too_many_rows", limit=MAX_ROWS)
        body.append(row)
    if header is None:
        raise InvalidInput("import.empty")
    return header, body, warnings


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        folded = fold_header(title)
        for column, names in COLUMNS.items():
            if folded in names and column not in found:
                found[column] = index
    if "question" not in found:
        raise InvalidInput("import.bad_headers")
    return found


# --- matching names -----------------------------------------------------------------


_PLACE_PREFIXES: dict[str, str] = {
    "tp": "thanh pho",
    "h": "huyen",
    "tx": "thi xa",
    "q": "quan",
    "tt": "thi tran",
    "p": "phuong",
}
"""Abbreviations of administrative units, folded, as halls are named in
lists ("TP. Châu Đốc", "H. Chợ Mới", "TX. Tân Châu")."""

_PLACE_WORDS = ("thanh pho", "huyen", "thi xa", "quan", "thi tran", "phuong", "tinh", "xa")


def place_key(text: str) -> str:
    """A name as matching reads it: accents, case and punctuation ignored,
    and a leading abbreviation spelled out: "TP. Châu Đốc", "Tp Chau Doc"
    and "Thành phố Châu Đốc" read alike."""
    words = fold_header(text).split()
    if words and words[0] in _PLACE_PREFIXES:
        words = [*_PLACE_PREFIXES[words[0]].split(), *words[1:]]
    return " ".join(words)


def _bare(key: str) -> str:
    """``place_key`` without its administrative word ("chau doc")."""
    for word in _PLACE_WORDS:
        if key.startswith(word + " "):
            return key[len(word) + 1 :]
    return key


def name_table(options: dict[str, str]) -> dict[str, str]:
    """Folded id and folded name (abbreviations spelled out, and without
    its administrative word when no other name has the same) → id."""
    table: dict[str, str] = {}
    for key, name in options.items():
        table.setdefault(fold_text(key), key)
        table.setdefault(fold_header(name), key)
        table.setdefault(fold_text(name), key)
        table.setdefault(place_key(name), key)
    bare: dict[str, set[str]] = {}
    for key, name in options.items():
        bare.setdefault(_bare(place_key(name)), set()).add(key)
    for short, keys in bare.items():
        if len(keys) == 1 and short:
            table.setdefault("~" + short, next(iter(keys)))
    return table


def resolve_name(table: dict[str, str], text: str) -> str | None:
    """The id ``text`` names; a name typed without its administrative word
    ("Châu Đốc") matches the one place of that name, but "Huyện Long
    Xuyên" never matches "TP. Long Xuyên"."""
    key = place_key(text)
    found = table.get(fold_text(text)) or table.get(fold_header(text)) or table.get(key)
    if found is None and _bare(key) == key:
        found = table.get("~" + key)
    return found


# --- duplicates ------------------------------------------------------------------------


class _Duplicates:
    """Exact (normalised) text, or Jaccard similarity of the word sets ≥ 0.8."""

    THRESHOLD = 0.8
    MIN_WORDS = 4

    def __init__(self) -> None:
        self.exact: dict[str, tuple[int | None, int | None]] = {}
        self.words: list[tuple[frozenset[str], int | None, int | None]] = []
        self.index: dict[str, list[int]] = {}

    def add(self, text: str, row: int | None, question: int | None) -> None:
        norm = normalised_text(text)
        self.exact.setdefault(norm, (row, question))
        words = frozenset(norm.split())
        if len(words) >= self.MIN_WORDS:
            slot = len(self.words)
            self.words.append((words, row, question))
            for word in words:
                self.index.setdefault(word, []).append(slot)

    def find(self, text: str, row: int) -> Duplicate | None:
        norm = normalised_text(text)
        if norm in self.exact:
            of_row, of_question = self.exact[norm]
            return Duplicate(row, of_row, of_question, exact=True)
        words = frozenset(norm.split())
        if len(words) < self.MIN_WORDS:
            return None
        shared: Counter[int] = Counter()
        for word in words:
            slots = self.index.get(word, [])
            if len(slots) <= 500:  # words in everything say nothing
                shared.update(slots)
        for slot, common in shared.most_common(20):
            other, of_row, of_question = self.words[slot]
            if common / len(words | other) >= self.THRESHOLD:
                return Duplicate(row, of_row, of_question, exact=False)
        return None


# --- the plan ---------------------------------------------------------------------------


def has_formula(cell: str) -> bool:
    return cell[:1] in ("=", "+", "@") or (cell[:1] == "-" and cell[1:2] not in (" ", ""))


def plan_import(
    state: State, data: bytes, filename: str, actor: Actor, now: datetime
) -> ImportPlan:
    """What importing ``data`` would do, decided by the core against a copy
    of ``state``; ``InvalidInput`` for a file refused as a whole."""
    digest = hashlib.sha256(data).hexdigest()
    plan = ImportPlan(filename=filename, digest=digest)
    header, rows, warnings = read_table(data, filename)
    plan.warnings.extend(warnings)
    columns = _columns(header)
    if "bridge" not in columns:
        plan.warnings.append(_pair("import.no_bridge_column"))
    bridges = name_table({b.bridge_id: b.name for b in state.bridges.values()})
    topics = name_table({t.topic_id: t.name for t in state.topics.values()})
    main = state.main_bridge()
    scratch = copy.deepcopy(state)
    duplicates = _Duplicates()
    for question in state.questions.values():
        duplicates.add(question.text, None, question.question_id)

    def cell(row: list[str], column: str) -> str:
        index = columns.get(column)
        return row[index].strip() if index is not None and index < len(row) else ""

    for offset, row in enumerate(rows):
        number = offset + 2
        if not any(value.strip() for value in row):
            continue
        plan.rows += 1
        if any(has_formula(value.strip()) for value in row):
            plan.formula_rows.append(number)
        try:
            if any(len(value) > MAX_CELL for value in row):
                raise InvalidInput("import.cell_too_long", limit=MAX_CELL)
            if any(value.strip() for value in row[len(header) :]):
                raise InvalidInput("import.extra_cells", columns=len(header))
            bridge_text = cell(row, "bridge")
            if bridge_text:
                bridge_id = resolve_name(bridges, bridge_text)
                if bridge_id is None:
                    raise InvalidInput("import.unknown_bridge", bridge=bridge_text[:80])
            elif main is not None:
                bridge_id = main.bridge_id
            else:
                raise InvalidInput("import.unknown_bridge", bridge="")
            topic_text = cell(row, "topic")
            topic_id = None
            if topic_text:
                topic_id = resolve_name(topics, topic_text)
                if topic_id is None:
                    raise InvalidInput("import.unknown_topic", topic=topic_text[:80])
            command = SubmitQuestion(
                actor,
                text=cell(row, "question"),
                idempotency_key=f"import-{digest[:24]}-{number:05d}",
                bridge_id=bridge_id,
                origin=Origin.IMPORTED,
                topic_id=topic_id,
                asker_name=cell(row, "asker"),
                asker_unit=cell(row, "unit"),
                asker_public=fold_text(cell(row, "public")) in _YES,
            )
            events = decide(scratch, command, now)
        except SessionError as error:
            vi, en = error.message("vi"), error.message("en")
            plan.errors.append(RowError(number, vi, en))
            continue
        if not events:
            plan.repeats += 1
            continue
        for event in events:
            apply(scratch, event)
        text = scratch.questions[scratch.next_question_id - 1].text
        found = duplicates.find(text, number)
        if found is not None:
            plan.duplicates.append(found)
        duplicates.add(text, number, None)
        plan.commands.append((number, command))
    return plan
