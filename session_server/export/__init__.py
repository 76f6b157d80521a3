"""The record of a dialogue for people outside the room: the conclusion
notice (DOCX), the public report, and the archive exports (CSV, XLSX, JSON),
all read off the event log; and the import of questions collected before
the day. Nothing here is typed twice: it all comes from the state.
"""
