"""Checks on the vendored front-end files in static/vendor/ (see VERSIONS.md there)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor"
CHECKSUMS = VENDOR / "checksums.sha256"
VERSIONS_MD = VENDOR / "VERSIONS.md"

EXPECTED_JS = {"htmx.min.js", "ws.js", "axe.min.js", "hls.light.min.js", "jsQR.js"}
LICENCE_FILES = ("htmx.org.LICENSE", "htmx-ext-ws.LICENSE")
"""The 0BSD licences of the files the pages load."""
HLS_LICENCE = "hls.js.LICENSE"
"""hls.js's Apache 2.0 licence."""
JSQR_LICENCE = "jsqr.LICENSE"
"""The QR decoder's Apache 2.0 licence."""
SOURCE_MAPPED = {"hls.light.min.js": "hls.light.min.js.map"}
"""Shipped unmodified with its trailing ``sourceMappingURL`` comment; the map
is not shipped (a browser asks for it only with its developer tools open)."""
TEST_ONLY = {"axe.min.js"}
"""Injected by the browser tests, loaded by no page."""
AXE_LICENCES = ("axe-core.LICENSE", "axe-core.LICENSE-3RD-PARTY.txt")
TEMPLATES = VENDOR.parent.parent / "templates"

# A table row of VERSIONS.md: | `package` | version | `file` | `source` | `sha256` | ... |
ROW_RE = re.compile(
    r"^\|\s*`(?P<package>[^`]+)`\s*\|\s*(?P<version>[0-9][^|\s]*)\s*\|"
    r"\s*`(?P<file>[^`]+)`\s*\|\s*`(?P<source>[^`]+)`\s*\|\s*`(?P<sha256>[0-9a-f]{64})`\s*\|"
)
# Version string built into htmx: `version:"2.0.11"` (minified) or `version: '2.0.11'`.
JS_VERSION_RE = re.compile(r"""\bversion\s*:\s*["'](\d+\.\d+\.\d+[^"']*)["']""")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _checksums() -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in CHECKSUMS.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        digest, name = line.split(maxsplit=1)
        name = name.lstrip("*")  # sha256sum's binary-mode marker
        assert re.fullmatch(r"[0-9a-f]{64}", digest), line
        assert "/" not in name and name not in entries, line
        entries[name] = digest
    return entries


def _version_rows() -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for line in VERSIONS_MD.read_text(encoding="utf-8").splitlines():
        m = ROW_RE.match(line.strip())
        if m:
            rows[m["file"]] = m.groupdict()
    return rows


def test_checksums_list_the_shipped_js_files() -> None:
    assert set(_checksums()) == EXPECTED_JS


def test_every_checksummed_file_exists_and_matches() -> None:
    for name, digest in _checksums().items():
        path = VENDOR / name
        assert path.is_file(), f"{name} listed in checksums.sha256 but missing"
        assert _sha256(path) == digest, f"{name} does not match checksums.sha256"


def test_versions_md_lists_every_shipped_file_with_matching_sha256() -> None:
    rows = _version_rows()
    for name, digest in _checksums().items():
        assert name in rows, f"{name} has no row in VERSIONS.md"
        assert rows[name]["sha256"] == digest, f"{name}: VERSIONS.md sha256 differs"
    for name in (*LICENCE_FILES, *AXE_LICENCES, HLS_LICENCE, JSQR_LICENCE):
        assert name in rows, f"{name} has no row in VERSIONS.md"
        assert rows[name]["sha256"] == _sha256(VENDOR / name)


def test_versions_md_mentions_dist_integrity() -> None:
    text = VERSIONS_MD.read_text(encoding="utf-8")
    assert len(re.findall(r"sha512-[A-Za-z0-9+/]{86}==", text)) >= 2


def test_htmx_is_v2_and_matches_versions_md() -> None:
    version = _version_rows()["htmx.min.js"]["version"]
    assert version.startswith("2."), version
    js = (VENDOR / "htmx.min.js").read_text(encoding="utf-8")
    assert f'version:"{version}"' in js


def test_embedded_versions_agree_with_versions_md() -> None:
    # Any shipped JS file that carries a version string must carry the pinned one.
    rows = _version_rows()
    for name in _checksums().keys() - TEST_ONLY:  # axe bundles other packages' versions
        found = set(JS_VERSION_RE.findall((VENDOR / name).read_text(encoding="utf-8")))
        if found:
            assert found == {rows[name]["version"]}, f"{name}: {found}"


def test_both_packages_from_same_pinned_versions_throughout() -> None:
    # Each package appears with exactly one version across the table.
    by_package: dict[str, set[str]] = {}
    for row in _version_rows().values():
        by_package.setdefault(row["package"], set()).add(row["version"])
    assert set(by_package) == {"htmx.org", "htmx-ext-ws", "axe-core", "hls.js", "jsqr"}
    for package, versions in by_package.items():
        assert len(versions) == 1, f"{package}: {versions}"


def test_ws_extension_is_a_classic_browser_script() -> None:
    js = (VENDOR / "ws.js").read_text(encoding="utf-8")
    assert 'htmx.defineExtension("ws"' in js or "htmx.defineExtension('ws'" in js
    assert not re.search(r"^\s*(import|export)\b", js, re.MULTILINE), "ES module build"
    # The htmx 1.x extension (htmx.org's dist/ext/ws.js) warns about this; not wanted.
    assert "htmx 1 extension" not in js


def test_no_source_map_references() -> None:
    for name in EXPECTED_JS - SOURCE_MAPPED.keys():
        assert "sourceMappingURL" not in (VENDOR / name).read_text(encoding="utf-8")
    for name, map_name in SOURCE_MAPPED.items():
        js = (VENDOR / name).read_text(encoding="utf-8")
        assert js.count("sourceMappingURL") == 1
        assert js.rstrip().endswith(f"//# sourceMappingURL={map_name}")
        assert not (VENDOR / map_name).exists()


def test_hls_js_matches_versions_md_and_its_licence() -> None:
    version = _version_rows()["hls.light.min.js"]["version"]
    js = (VENDOR / "hls.light.min.js").read_text(encoding="utf-8")
    assert f'"{version}"' in js  # Hls.version
    assert "Hls=" in js and not re.search(r"^\s*(import|export)\b", js, re.MULTILINE)
    text = (VENDOR / HLS_LICENCE).read_text(encoding="utf-8")
    assert "Apache License, Version 2.0" in text and "Dailymotion" in text


def test_licence_files_exist_and_are_non_empty() -> None:
    for name in LICENCE_FILES:
        path = VENDOR / name
        assert path.is_file(), name
        text = path.read_text(encoding="utf-8").strip()
        assert text, f"{name} is empty"
        assert "Permission to use, copy, modify" in text, name


def test_axe_core_matches_versions_md_and_is_for_tests_only() -> None:
    version = _version_rows()["axe.min.js"]["version"]
    js = (VENDOR / "axe.min.js").read_text(encoding="utf-8")
    assert js.startswith(f"/*! axe v{version}\n"), js[:40]
    assert f'axe.version="{version}"' in js
    assert "Mozilla Public License, version 2.0" in (VENDOR / "axe-core.LICENSE").read_text(
        encoding="utf-8"
    )
    assert "MIT License" in (VENDOR / "axe-core.LICENSE-3RD-PARTY.txt").read_text(encoding="utf-8")
    for template in TEMPLATES.rglob("*.html"):
        assert "axe.min.js" not in template.read_text(encoding="utf-8"), template.name


def test_jsqr_is_the_browser_build_under_its_licence_loaded_by_the_check_in_pages() -> None:
    js = (VENDOR / "jsQR.js").read_text(encoding="utf-8")
    assert js.startswith("(function webpackUniversalModuleDefinition(root, factory) {")
    assert 'root["jsQR"] = factory();' in js
    licence = (VENDOR / JSQR_LICENCE).read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    loading = sorted(
        t.name for t in TEMPLATES.rglob("*.html") if "/static/vendor/jsQR.js" in t.read_text()
    )
    assert loading == ["_checkin_scan.html"]
