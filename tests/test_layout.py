"""The module structure stays easy to extend: no import cycles, imports at the top, modules
of one concern and a readable size. These read the source; they start no service."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.services import ROOT

#: repository folder -> the package it is installed as (setup.cfg's package_dir)
PACKAGES = {"selfservice": "selfservice", "blueprints": "selfservice.blueprints",
            "jobs": "selfservice.jobs", "migrations": "selfservice.migrations",
            "templates": "selfservice.templates"}
MAX_LINES = 400
#: heavy libraries only the DPA's rendering, signing and PDF inspection use (pyHanko, fpdf2 and
#: what they load: fontTools, Pillow, asn1crypto): imported inside the functions that use them,
#: never at a module's top (outside ``if TYPE_CHECKING``), so a web process or a worker that
#: never renders a DPA never loads their 100 MB (tests/test_import_weight.py checks the app).
#: An import of one of these inside a function is a deliberate lazy import: allowed as such.
LAZY_LIBRARIES = frozenset({"pyhanko", "pyhanko_certvalidator", "fontTools", "fpdf", "PIL",
                            "asn1crypto"})


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "versions" in path.parts:
                continue  # Alembic revisions: generated, one per schema change
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


MODULES = _modules()


def _imported(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The project modules an import statement names (a name imported from a package counts
    as its submodule when there is one)."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            anchor = module.split(".")
            if path.name != "__init__.py":
                anchor = anchor[:-1]
            anchor = anchor[:len(anchor) - node.level + 1]
            base = ".".join(anchor + ([base] if base else []))
        targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                   for alias in node.names]
    for target in targets:
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        if target:
            yield target
        # importing a.b.c runs a.b's __init__ first: that is an edge too, unless the importer
        # lives in a.b (whose __init__ is then already running); the root package re-exports
        # the extension, the composition root, so it is left out
        parent = target.rpartition(".")[0]
        while parent and parent != "selfservice":
            if parent in MODULES and not module.startswith(parent + "."):
                yield parent
            parent = parent.rpartition(".")[0]


def _statements(path: Path) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """(import statement, inside a function) for every import, including those under
    ``if TYPE_CHECKING``."""

    def walk(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom,
                                                                 bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, in_function
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            yield from walk(child, inner)

    yield from walk(ast.parse(path.read_text(), str(path)), False)


def _library(node: ast.Import | ast.ImportFrom) -> set[str]:
    """The top-level packages an import statement of a third-party library names."""
    if isinstance(node, ast.Import):
        return {alias.name.split(".")[0] for alias in node.names}
    return set() if node.level else {(node.module or "").split(".")[0]}


def _top_level_imports(path: Path) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports a module runs when it is imported: outside functions and outside
    ``if TYPE_CHECKING`` blocks."""

    def walk(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from (n for c in child.orelse for n in walk(ast.Module([c], [])))
            else:
                yield from walk(child)

    yield from walk(ast.parse(path.read_text(), str(path)))


def _graph() -> dict[str, set[str]]:
    return {module: {target for node, _ in _statements(path)
                     for target in _imported(module, path, node) if target != module}
            for module, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def close(node: str) -> None:
        component = stack[stack.index(node):]
        del stack[stack.index(node):]
        if len(component) > 1:
            found.append(sorted(component))

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            close(node)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_the_plugin_modules() -> None:
    assert len(MODULES) > 40, "the module map lost the plugin's modules"
    graph = _graph()
    assert {"selfservice.blueprints.consent_api", "selfservice.state"} <= graph[
        "selfservice.blueprints.api"] | {t for m in graph["selfservice.blueprints.api"]
                                         for t in graph[m]}
    assert _cycles(graph) == []


def test_imports_sit_at_the_top_unless_optional_or_lazy() -> None:
    """An import inside a function is allowed only with a comment that says it is for an
    optional dependency or a deliberately lazy one, or when it imports one of the heavy
    LAZY_LIBRARIES (which never sit at the top)."""
    inside = []
    for path in MODULES.values():
        lines = path.read_text().splitlines()
        for node, in_function in _statements(path):
            said = " ".join(lines[max(0, node.lineno - 2):node.lineno]).lower()
            if (in_function and "optional" not in said and "lazy" not in said
                    and not _library(node) & LAZY_LIBRARIES):
                inside.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert inside == []


def test_the_heavy_dpa_libraries_are_imported_only_where_they_are_used() -> None:
    assert {"selfservice.dpa_signing", "selfservice.pdf_inspection",
            "selfservice.services.dpa_pdf"} <= set(MODULES)
    at_the_top = sorted(
        f"{path.relative_to(ROOT)}:{node.lineno} imports {sorted(_library(node))}"
        for path in MODULES.values() for node in _top_level_imports(path)
        if _library(node) & LAZY_LIBRARIES)
    assert at_the_top == []


def test_the_top_level_import_finder_sees_through_type_checking_blocks(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import fpdf\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    import pyhanko\nelse:\n    import PIL\ndef f():\n"
                      "    import fontTools\nif True:\n    import asn1crypto\n")
    assert [sorted(_library(n)) for n in _top_level_imports(module)] == [
        ["fpdf"], ["typing"], ["PIL"], ["asn1crypto"]]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_is_of_readable_size(module: str) -> None:
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines: split it along its concerns"


def test_the_core_imports_no_view_or_job_except_its_composition_root() -> None:
    """ARCHITECTURE: blueprints and jobs sit on the core, never under it; the extension
    object is where the layers are put together."""
    graph = _graph()
    upward = sorted(
        f"{module} -> {target}" for module, targets in graph.items() for target in targets
        if not module.startswith(("selfservice.blueprints", "selfservice.jobs",
                                  "selfservice.migrations"))
        and module not in ("selfservice.extension", "selfservice")
        and target.startswith(("selfservice.blueprints", "selfservice.jobs")))
    assert upward == []
