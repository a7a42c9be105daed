"""The layout rules of docs/architecture.md, read from the code: every import (module level and inside
functions), ranked packages, no cycles, small files, and every module described in the docs."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 450  # lines; aim for about 400

# Inside directory/: a package imports its own modules and packages of a lower rank only.
RANKS = {
    "core": 0,
    "models": 1,
    "accounts": 2,
    "listings": 3,
    "search": 4,
    "oruk": 4,
    "groups": 5,
    "gaps": 5,
    "backlog": 5,
    "verification": 6,
    "imports": 7,
    "jobs": 8,
    "demo": 9,
    "web": 10,
    "ops": 11,
    "": 12,  # directory/__init__.py (create_app) and directory/cli.py (the root command)
}
# Where a module may read the request, the session or g: views, commands and the web layer.
REQUEST_NAMES = {"request", "session", "g"}


@dataclass(frozen=True)
class Import:
    target: str  # the module imported, as far as it is a module of the project
    line: int
    in_function: bool


def modules() -> dict[str, Path]:
    found = {}
    for package in ("directory", "geo", "scrapers"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


MODULES = modules()


def _resolve(name: str, path: Path, node: ast.ImportFrom) -> str:
    base = node.module or ""
    if not node.level:
        return base
    parts = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join(parts + ([base] if base else []))


def _project_module(target: str) -> str | None:
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def imports_of(name: str) -> list[Import]:
    path = MODULES[name]
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = _resolve(name, path, child)
                targets = [f"{base}.{alias.name}" for alias in child.names] or [base]
            for target in targets:
                module = _project_module(target)
                if module and module != name:
                    found.append(Import(module, child.lineno, inside))
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def package_of(module: str) -> str:
    """``directory.listings.operations`` -> ``listings``; the package root's own modules -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in RANKS) else ""


def is_view_or_cli(module: str) -> bool:
    leaf = module.rsplit(".", 1)[-1]
    return leaf == "views" or leaf.endswith("_views") or leaf == "cli"


def directory_modules() -> list[str]:
    return sorted(m for m in MODULES if m.startswith("directory"))


def test_every_package_of_directory_has_a_rank() -> None:
    unranked = {package_of(m) for m in directory_modules()} - set(RANKS)
    assert unranked == set(), f"give these packages a rank in RANKS and docs/architecture.md: {unranked}"


@pytest.mark.parametrize("module", directory_modules())
def test_imports_point_down_the_ranks(module: str) -> None:
    own = package_of(module)
    breaches = []
    for item in GRAPH[module]:
        if not item.target.startswith("directory"):
            continue
        theirs = package_of(item.target)
        if theirs == own:
            continue
        if RANKS[theirs] >= RANKS[own] and own not in ("", "ops"):
            breaches.append(f"line {item.line}: {item.target} (rank {RANKS[theirs]}) from rank {RANKS[own]}")
    assert breaches == []


@pytest.mark.parametrize("module", directory_modules())
def test_only_the_web_layer_and_commands_import_views_and_commands(module: str) -> None:
    allowed = package_of(module) in ("web", "", "ops") or module == "directory.cli"
    breaches = [
        f"line {item.line}: {item.target}"
        for item in GRAPH[module]
        if is_view_or_cli(item.target) and item.target != module and not allowed
    ]
    assert breaches == []


@pytest.mark.parametrize("module", directory_modules())
def test_project_imports_are_at_module_level(module: str) -> None:
    # create_app imports the app's parts inside the function: importing any module of the package runs
    # directory/__init__.py first, so importing them at its top would be a cycle.
    if module == "directory":
        return
    inside = [f"line {item.line}: {item.target}" for item in GRAPH[module] if item.in_function]
    assert inside == []


@pytest.mark.parametrize("module", directory_modules())
def test_only_views_commands_and_the_web_layer_read_the_request(module: str) -> None:
    if is_view_or_cli(module) or package_of(module) == "web":
        return
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    used = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "flask"
        for alias in node.names
        if alias.name in REQUEST_NAMES
    }
    assert used == set()


def test_no_module_hides_a_dependency_behind_importlib() -> None:
    tricks = []
    for module in directory_modules():
        text = MODULES[module].read_text(encoding="utf-8")
        if "import_module(" in text or "find_spec(" in text or "__import__(" in text:
            tricks.append(module)
    assert tricks == []


def test_there_are_no_import_cycles() -> None:
    graph = {name: {item.target for item in items} for name, items in GRAPH.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in graph:
        if name not in index:
            visit(name)
    assert cycles == []


@pytest.mark.parametrize("package", ["geo", "scrapers"])
def test_library_packages_do_not_import_the_app(package: str) -> None:
    forbidden = {"flask", "directory", "flask_sqlalchemy", "sqlalchemy"}
    offenders = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        }
        names |= {
            node.module.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        }
        if names & forbidden:
            offenders[str(path.relative_to(ROOT))] = names & forbidden
    assert offenders == {}


def test_no_code_file_is_over_the_size_limit() -> None:
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in MODULES.values()}
    assert {path: lines for path, lines in sizes.items() if lines > LIMIT} == {}


def test_every_module_is_in_the_architecture_document() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = []
    for module in directory_modules():
        path = MODULES[module].relative_to(ROOT / "directory")
        if path.name == "__init__.py" and len(path.parts) > 1:
            continue  # a package is described by its own heading
        if f"`{path}`" not in text:
            missing.append(str(path))
    assert missing == [], "describe these modules in docs/architecture.md"
