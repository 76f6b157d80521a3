"""The shape of the code, as docs/architecture.md draws it, checked on its
sources (no import is executed):

- the inner folders never reach outwards: ``core/``, ``store/``,
  ``runtime/`` and ``export/`` import nothing from ``web/`` or ``media/``;
  the core imports nothing but the standard library, the catalogue and itself;
- no module imports another module's private name (``_x``);
- no module of ``web/`` or ``core/`` is over 500 lines;
- the Origin check and the security headers are written once (the
  middleware), and transports leave refusals to the gateway and the error
  handlers: no ``except SessionError`` in ``web/transport/``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "session_server"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) of every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                package = _name(path).split(".")
                base = ".".join([*package[: len(package) - node.level + 1], node.module])
            found.append((base, [alias.name for alias in node.names]))
    return found


@pytest.mark.parametrize("folder", ["core", "store", "runtime", "export"])
def test_inner_folders_do_not_reach_outwards(folder: str) -> None:
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        for module, _names in _imports(path):
            assert not module.startswith(("session_server.web", "session_server.media")), (
                f"{_name(path)} imports {module}"
            )


def test_the_core_needs_only_the_standard_library_and_the_catalogue() -> None:
    stdlib = sys.stdlib_module_names
    for path in sorted((PACKAGE / "core").rglob("*.py")):
        for module, _names in _imports(path):
            top = module.split(".")[0]
            allowed = top in stdlib or module.startswith(
                ("session_server.core", "session_server.catalogue")
            )
            assert allowed, f"{_name(path)} imports {module}"


def test_no_module_imports_a_private_name() -> None:
    for path in MODULES:
        for module, names in _imports(path):
            if not module.startswith("session_server"):
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            assert not private, f"{_name(path)} imports {private} from {module}"


@pytest.mark.parametrize("folder", ["web", "core"])
def test_no_module_is_over_500_lines(folder: str) -> None:
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        lines = path.read_text(encoding="utf-8").count("\n")
        assert lines <= 500, f"{_name(path)} has {lines} lines"


def _source_of_web() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in sorted((PACKAGE / "web").rglob("*.py"))}


def test_the_origin_check_and_the_security_headers_are_written_once() -> None:
    web = _source_of_web()
    origin = [p for p, text in web.items() if '"request.origin"' in text]
    assert [p.name for p in origin] == ["middleware.py"]
    for header in ("referrer-policy", "x-frame-options", "x-content-type-options", "cache-control"):
        setters = [
            p.name
            for p, text in web.items()
            if header in text.lower() and p.name != "middleware.py"
        ]
        assert not setters, f"{header} set outside the middleware: {setters}"


def test_transports_leave_refusals_to_the_gateway_and_the_handlers() -> None:
    for path in sorted((PACKAGE / "web" / "transport").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = ast.unparse(node.type)
                assert "SessionError" not in caught, f"{path.name} catches {caught}"
