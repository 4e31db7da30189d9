"""The house's layers run one way: web wiring → screens → domain → infrastructure.

``.importlinter`` contracts in pyproject.toml are checked by ``lint-imports`` in CI; this
file checks what the contracts cannot see: that no import hides inside a function (where
it would hide a cycle) and that the factory imports its parts at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "models", "admin_views", "seeds")


def modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


# Third-party libraries that a web worker loads only when it needs them, each with why.
# A late import of anything else (above all of the project's own packages, where it would
# hide a cycle) is refused.
DEFERRED_LIBRARIES = {
    "weasyprint": "loads Pango when imported; only a PDF download needs it",
    "faker": "only the seed draws names; some 6 MB in every worker otherwise",
    "flask_migrate": "loads Alembic and Mako, some 11 MB; only the flask db commands need it",
}


def late_imports(path: Path) -> list[tuple[str, str]]:
    """(place, top-level module) of every import inside a function of ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                place = f"{path.relative_to(ROOT)}:{node.lineno}" if hasattr(node, "lineno") else ""
                if isinstance(node, ast.Import):
                    found += [(place, alias.name.split(".")[0]) for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    found.append((place, (node.module or ".").split(".")[0]))
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_module_imports_inside_a_function(path: Path) -> None:
    refused = [
        (place, module) for place, module in late_imports(path) if module not in DEFERRED_LIBRARIES
    ]
    assert refused == []


def top_level_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add((node.module or ".").split(".")[0])
    return found


def test_a_deferred_library_is_imported_late_everywhere() -> None:
    """One import at the top of any module would load it in every worker after all."""
    loaded_early = {
        (str(path.relative_to(ROOT)), library)
        for path in modules()
        for library in top_level_imports(path) & DEFERRED_LIBRARIES.keys()
    }
    assert loaded_early == set()


def test_the_factory_imports_the_screens_at_the_top_of_its_module() -> None:
    tree = ast.parse((ROOT / "app" / "factory.py").read_text(encoding="utf-8"))
    top_level = [
        node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.module
    ]
    assert "admin_views" in top_level


def test_the_domain_imports_no_web_framework() -> None:
    """Also a contract of lint-imports; here too, so that the test run alone shows it."""
    web = ("flask", "flask_admin", "flask_login", "flask_wtf", "wtforms", "app", "admin_views")
    offenders = []
    for path in (ROOT / "models").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [
                f"{path.relative_to(ROOT)}: {name}" for name in names if name.split(".")[0] in web
            ]
    assert offenders == []
