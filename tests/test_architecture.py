"""The pure domain imports no web framework, database or solver code, not even indirectly."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "matcher"
PURE = sorted(
    [
        PACKAGE / "scenario.py",
        *(PACKAGE / "rules").glob("*.py"),
        *(PACKAGE / "capacity").glob("*.py"),
    ]
)
FORBIDDEN = {"fastapi", "sqlalchemy", "sqlmodel", "ortools"}


def imported_modules(source: str, package: tuple[str, ...]) -> set[str]:
    """Absolute names of every module ``source`` (in ``package``) imports, relative resolved."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def source_of(module: str) -> Path | None:
    """The file of a ``matcher`` module, or None for anything else (or a name in one)."""
    if module != "matcher" and not module.startswith("matcher."):
        return None
    parts = module.split(".")[1:]
    candidate = PACKAGE.joinpath(*parts)
    if candidate.with_suffix(".py").is_file():
        return candidate.with_suffix(".py")
    if (candidate / "__init__.py").is_file():
        return candidate / "__init__.py"
    return None


def reachable_imports(start: Path) -> dict[str, Path]:
    """Every module imported from ``start``, following ``matcher`` modules transitively."""
    seen: dict[str, Path] = {}
    todo = [start]
    visited: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in visited:
            continue
        visited.add(path)
        package = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
        for module in imported_modules(path.read_text(encoding="utf-8"), package):
            seen.setdefault(module, path)
            inner = source_of(module)
            if inner is not None:
                todo.append(inner)
    return seen


def test_the_pure_modules_are_found() -> None:
    names = {p.relative_to(PACKAGE).as_posix() for p in PURE}
    assert {"scenario.py", "rules/registry.py", "capacity/pools.py"} <= names


@pytest.mark.parametrize("path", PURE, ids=[p.relative_to(PACKAGE).as_posix() for p in PURE])
def test_a_pure_domain_module_imports_no_framework_database_or_solver(path: Path) -> None:
    offenders = {
        module: str(where.relative_to(PACKAGE.parent))
        for module, where in reachable_imports(path).items()
        if module.split(".")[0] in FORBIDDEN
    }
    assert offenders == {}


def test_the_check_sees_every_kind_of_import() -> None:
    source = (
        "import fastapi.routing\n"
        "from sqlmodel import Session\n"
        "from ..solver import solve\n"
        "from . import tables\n"
        "def f():\n"
        "    import ortools.sat.python.cp_model\n"
    )
    found = imported_modules(source, ("matcher", "rules"))
    assert {"fastapi.routing", "sqlmodel", "matcher.solver", "matcher.rules.tables"} <= found
    assert "ortools.sat.python.cp_model" in found
    assert source_of("matcher.solver") == PACKAGE / "solver" / "__init__.py"
    assert source_of("matcher.rules.tables") == PACKAGE / "rules" / "tables.py"
    assert source_of("numpy") is None


LAYERS = {
    # package: what it may not import, even indirectly
    "store": {"fastapi", "starlette", "uvicorn", "matcher.service", "matcher.solver", "api"},
    "service": {"fastapi", "starlette", "uvicorn", "api"},
}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_store_and_service_stay_below_http(layer: str) -> None:
    forbidden = LAYERS[layer]
    offenders = {
        module: str(where.relative_to(PACKAGE.parent))
        for path in sorted((PACKAGE / layer).glob("*.py"))
        for module, where in reachable_imports(path).items()
        if any(module == f or module.startswith(f"{f}.") for f in forbidden)
    }
    assert offenders == {}


CLI = PACKAGE / "cli"
CLI_MODULES = sorted(CLI.glob("*.py"))
CLI_SHARED = {"matcher.cli.common"}
CLI_ASSEMBLERS = {"matcher.cli", "matcher.cli.app"}


def cli_module(path: Path) -> str:
    """The dotted name of a module of the command-line package."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def cli_imports(source: str, name: str = "") -> set[str]:
    """The command-line modules ``source`` (the module ``name``) imports.

    ``from matcher.cli import core`` imports the module ``core``, not the package's
    names, so it counts as an edge to ``core`` only."""
    modules = {cli_module(p) for p in CLI_MODULES}
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            inner = {f"{node.module}.{alias.name}" for alias in node.names}
            names.update(inner & modules or {node.module})
    return {n for n in names if n in modules} - {name}


def test_the_command_line_is_a_package_of_groups() -> None:
    names = {cli_module(p) for p in CLI_MODULES}
    assert {"matcher.cli", "matcher.cli.app", "matcher.cli.common", "matcher.cli.core"} <= names
    assert not list(PACKAGE.glob("cli*.py"))


@pytest.mark.parametrize("path", CLI_MODULES, ids=[cli_module(p) for p in CLI_MODULES])
def test_a_command_group_imports_only_the_shared_helpers(path: Path) -> None:
    name = cli_module(path)
    if name in CLI_ASSEMBLERS:
        return
    allowed = set() if name in CLI_SHARED else CLI_SHARED
    assert cli_imports(path.read_text(encoding="utf-8"), name) - allowed == set()


def test_the_command_line_modules_import_without_a_cycle() -> None:
    graph = {
        cli_module(p): cli_imports(p.read_text(encoding="utf-8"), cli_module(p))
        for p in CLI_MODULES
    }
    done: set[str] = set()

    def visit(module: str, trail: tuple[str, ...]) -> None:
        assert module not in trail, " -> ".join((*trail, module))
        if module in done:
            return
        for imported in sorted(graph[module]):
            visit(imported, (*trail, module))
        done.add(module)

    for module in sorted(graph):
        visit(module, ())
    assert graph["matcher.cli"] == {"matcher.cli.app"}
    assert graph["matcher.cli.app"] >= {"matcher.cli.core", "matcher.cli.store"}


def test_the_cycle_check_sees_a_group_importing_another() -> None:
    source = "from matcher.cli import store\nfrom matcher.cli.common import say\n"
    assert cli_imports(source) == {"matcher.cli.store", "matcher.cli.common"}
    source = "def f():\n    import matcher.cli.core\n    from matcher.cli import main\n"
    assert cli_imports(source) == {"matcher.cli.core", "matcher.cli"}


def test_only_serve_imports_the_api_from_the_command_line() -> None:
    for path in CLI_MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        names = {getattr(n, "module", None) or n.names[0].name for n in top}
        assert not any(str(n).startswith(("api", "fastapi", "uvicorn")) for n in names)


API = PACKAGE.parent / "api"
QUERY_BUILDERS = {
    f"{lib}.{name}"
    for lib in ("sqlmodel", "sqlalchemy", "sqlalchemy.sql", "sqlalchemy.sql.expression")
    for name in ("select", "col", "text", "func", "update", "insert", "delete", "and_", "or_")
}
"""Names that build SQL: queries belong in ``matcher/service`` and ``matcher/store``."""
API_MODULES = sorted(API.rglob("*.py"))


def _api_imports(path: Path) -> set[str]:
    package = path.relative_to(API.parent).with_suffix("").parts[:-1]
    return imported_modules(path.read_text(encoding="utf-8"), package)


@pytest.mark.parametrize(
    "path", API_MODULES, ids=[p.relative_to(API.parent).as_posix() for p in API_MODULES]
)
def test_the_api_builds_no_sql(path: Path) -> None:
    name = path.relative_to(API.parent).as_posix()
    builders = sorted(_api_imports(path) & QUERY_BUILDERS)
    assert builders == [], f"{name} builds queries; call matcher.service or matcher.store"


@pytest.mark.parametrize(
    "path",
    sorted((API / "web").glob("*.py")),
    ids=[p.name for p in sorted((API / "web").glob("*.py"))],
)
def test_the_pages_reach_tables_only_through_the_service_layer(path: Path) -> None:
    tables = {m for m in _api_imports(path) if m.startswith("matcher.store.tables")}
    assert tables == set()


def test_the_check_sees_a_query_builder() -> None:
    source = "from sqlmodel import Session, select\nfrom sqlalchemy import text\n"
    assert imported_modules(source, ("api",)) & QUERY_BUILDERS == {
        "sqlmodel.select",
        "sqlalchemy.text",
    }
