"""Every setting read from the environment is in the README's configuration
table, and every row of the table is a setting the server reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READ = re.compile(r'config\(\s*"([A-Z][A-Z0-9_]*)"')
ROW = re.compile(r"^\|\s*(`[A-Z][A-Z0-9_]*`(?:\s*,\s*`[A-Z][A-Z0-9_]*`)*)\s*\|", re.M)


def _settings_read() -> set[str]:
    return set(READ.findall((ROOT / "session_server" / "config.py").read_text("utf-8")))


def _settings_documented() -> set[str]:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return {name for row in ROW.findall(section) for name in re.findall(r"`([A-Z0-9_]+)`", row)}


def test_every_setting_is_documented() -> None:
    missing = _settings_read() - _settings_documented()
    assert not missing, f"settings missing from the README's configuration table: {missing}"


def test_every_documented_setting_is_read() -> None:
    stale = _settings_documented() - _settings_read()
    assert not stale, f"the README documents settings nothing reads: {stale}"
