"""The app's own import graph: no imports inside functions, no cycles, no Flask in services."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, ast.Module]:
    return {_module_name(p): ast.parse(p.read_text(), str(p)) for p in APP.rglob("*.py")}


def _targets(node: ast.Import | ast.ImportFrom, known: set[str]) -> set[str]:
    """The app modules an import statement loads (a name imported from a package counts
    as the submodule when there is one)."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in known}
    if node.level or not node.module or node.module not in known:
        return set()
    subs = {f"{node.module}.{a.name}" for a in node.names} & known
    return subs or {node.module}


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of import nodes under `if TYPE_CHECKING:` (not run)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    return skip


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, tree in modules.items():
        skip = _type_checking_only(tree)
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in skip:
                edges |= _targets(node, known)
        graph[name] = edges - {name}
    return graph


def _function_level_imports() -> list[str]:
    found = []
    for name, tree in _modules().items():
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    module = node.module if isinstance(node, ast.ImportFrom) else None
                    names = [a.name for a in node.names]
                    if (module or names[0]).split(".")[0] in ("app", "codes", "risk"):
                        found.append(f"{name}:{node.lineno}")
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _is_package_init(name: str) -> bool:
    return (APP.parent / name.replace(".", "/") / "__init__.py").exists()


def test_no_imports_inside_functions() -> None:
    assert _function_level_imports() == []


def test_no_import_cycles_among_app_modules() -> None:
    graph = _graph()
    # importing a submodule runs its package's __init__ first: that is not a cycle we wrote
    for name, edges in graph.items():
        graph[name] = {e for e in edges if not (_is_package_init(e) and name.startswith(e + "."))}
    assert _cycles(graph) == []


def test_services_and_plain_types_import_no_flask() -> None:
    plain = [n for n in _modules() if n.startswith("app.services") or n in ("app.principal",)]
    plain += ["app.unit_of_work", "app.states", "app.feed_kinds"]
    for name in plain:
        tree = _modules()[name]
        imported = {
            (n.module if isinstance(n, ast.ImportFrom) else n.names[0].name) or ""
            for n in ast.walk(tree)
            if isinstance(n, ast.Import | ast.ImportFrom)
        }
        assert not {m for m in imported if m.split(".")[0] in ("flask", "flask_smorest")}, name


def test_the_cycle_check_would_catch_one() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_outbox_topic_has_a_handler() -> None:
    from app.services.apply import HANDLERS
    from app.services.outbox import Topic

    assert set(HANDLERS) == set(Topic)
