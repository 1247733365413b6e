"""The import graph: no cycles in ``tools/``, no private names across modules, and the
infrastructure (``main.py``, ``config/``, ``constructs/``, ``modules/``) apart from the harness.

Read from the source with ``ast`` only; nothing is imported. An import counts wherever it
is written (module top, inside a function or a class, under ``try``), except under
``if TYPE_CHECKING:``: those never run, so they cannot close a cycle at run time and are
left out of the graph (they still count for the private-name and layering checks).
An edge goes to the module named (``from tools.deploy import cli`` → ``tools.deploy.cli``;
``from tools.deploy.cli import main`` → ``tools.deploy.cli``), not to its parent packages.

Each check is a small pure function over a graph (module → the imports it makes); the
``test_check_*`` tests below show each one failing on a tiny sample graph.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The infrastructure must not reach into these parts of the harness.
HARNESS = (
    "tools.deploy",
    "tools.emulator",
    "tools.rehearsal",
    "tools.recovery",
    "tools.containers",
    "tools.review",
)
INFRASTRUCTURE = ("main.py", "config", "constructs", "modules")


@dataclass(frozen=True)
class Import:
    """One import in a module: the module it reaches, and the name it takes, if any."""

    target: str
    name: str | None = None  # `from target import name`; also `target.name` attribute access
    line: int = 0
    type_checking: bool = False


Graph = Mapping[str, list[Import]]


# --- building the graph ------------------------------------------------------------------


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(source: str, module: str, is_package: bool, modules: Iterable[str]) -> list[Import]:
    """Every import ``source`` makes, at any depth; ``modules`` are the known module names
    (so ``from tools.deploy import cli`` reaches the module ``tools.deploy.cli``)."""
    known = set(modules)
    found: list[Import] = []
    aliases: dict[str, str] = {}  # local name → module, for `alias._private` access

    def visit(node: ast.AST, type_checking: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_checking)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(alias.name, None, node.lineno, type_checking))
                if alias.asname:
                    aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, is_package, node)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in known:
                    found.append(Import(sub, None, node.lineno, type_checking))
                    aliases[alias.asname or alias.name] = sub
                else:
                    found.append(Import(target, alias.name, node.lineno, type_checking))
        for child in ast.iter_child_nodes(node):
            visit(child, type_checking)

    tree = ast.parse(source)
    visit(tree, False)
    # `alias._name` on a module imported under a plain name.
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and _is_private(node.attr)
        ):
            found.append(Import(aliases[node.value.id], node.attr, node.lineno))
    return found


def build_graph(paths: Iterable[Path], root: Path = ROOT) -> dict[str, list[Import]]:
    files = {module_name(p, root): p for p in paths}
    return {
        name: imports_of(path.read_text(), name, path.name == "__init__.py", files)
        for name, path in sorted(files.items())
    }


def python_files(*tops: str, root: Path = ROOT) -> list[Path]:
    out: list[Path] = []
    for top in tops:
        path = root / top
        out += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return out


# --- the checks (pure) -------------------------------------------------------------------


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def find_cycles(graph: Graph, prefix: str = "tools.") -> list[list[str]]:
    """Cycles among the modules under ``prefix`` (run-time imports only): for each knot
    (strongly connected set of modules), one cycle through it, ``[a, b, ..., a]``, then
    the knot's other modules, if any, after ``+``."""
    edges = {
        m: sorted({i.target for i in imps if not i.type_checking and i.target in graph} - {m})
        for m, imps in graph.items()
        if m.startswith(prefix)
    }

    def reach(start: str) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            for nxt in edges.get(todo.pop(), []):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reachable = {m: reach(m) for m in edges}
    knots: list[list[str]] = []
    placed: set[str] = set()
    for m in sorted(edges):
        if m in placed:
            continue
        knot = sorted(n for n in reachable[m] if m in reachable.get(n, set()))
        placed.update(knot)
        if len(knot) > 1:
            knots.append(knot)

    cycles = []
    for knot in knots:
        # Shortest way back to the knot's first module (breadth first, inside the knot).
        first, inside = knot[0], set(knot)
        came: dict[str, str] = {}
        todo, path = [first], [first]
        while todo and not path[1:]:
            nxt_todo = []
            for node in todo:
                for nxt in edges[node]:
                    if nxt == first:
                        path = [first]
                        while node != first:
                            path.insert(1, node)
                            node = came[node]
                        path.append(first)
                        break
                    if nxt in inside and nxt not in came:
                        came[nxt] = node
                        nxt_todo.append(nxt)
                if path[1:]:
                    break
            todo = nxt_todo
        rest = [m for m in knot if m not in path]
        cycles.append(path + (["+", *rest] if rest else []))
    return cycles


def describe_cycle(cycle: list[str]) -> str:
    """``a → b → a``, and the knot's other modules: ``(same knot: c, d)``."""
    path, _, rest = " ".join(cycle).partition(" + ")
    return " → ".join(path.split()) + (f"  (same knot: {', '.join(rest.split())})" if rest else "")


def find_private_imports(graph: Graph) -> list[str]:
    """``from x import _y`` (or ``x._y``) where ``x`` is another of the graph's modules
    (a library's private names are its own business)."""
    return [
        f"{module}:{i.line} takes {i.target}.{i.name}"
        for module, imps in sorted(graph.items())
        for i in imps
        if i.name and _is_private(i.name) and i.target != module and i.target in graph
    ]


def find_layer_breaks(graph: Graph, forbidden: Iterable[str] = HARNESS) -> list[str]:
    """Imports (any kind, type-only too) of a module under one of ``forbidden``."""
    banned = tuple(forbidden)
    return [
        f"{module}:{i.line} imports {i.target}"
        for module, imps in sorted(graph.items())
        for i in imps
        if any(i.target == b or i.target.startswith(b + ".") for b in banned)
    ]


# --- the repository ----------------------------------------------------------------------


def _tools_graph() -> dict[str, list[Import]]:
    return build_graph(python_files("tools"))


def test_no_import_cycles_in_tools() -> None:
    cycles = find_cycles(_tools_graph())
    assert not cycles, "import cycles:\n" + "\n".join(map(describe_cycle, cycles))


def test_no_private_names_across_modules() -> None:
    graph = build_graph(python_files("tools", *INFRASTRUCTURE))
    bad = find_private_imports(graph)
    assert not bad, "private names imported across modules:\n" + "\n".join(bad)


def test_infrastructure_apart_from_the_harness() -> None:
    graph = build_graph(python_files(*INFRASTRUCTURE, "tools"))
    infra = {m: imps for m, imps in graph.items() if not m.startswith("tools")}
    assert infra, "no infrastructure modules found"
    bad = find_layer_breaks(infra)
    assert not bad, "the infrastructure imports the harness:\n" + "\n".join(bad)


# --- the checks fail when they should ----------------------------------------------------


def _sample(sources: dict[str, str]) -> dict[str, list[Import]]:
    return {
        m: imports_of(src, m, m.count(".") == 1 and m.endswith("pkg"), sources)
        for m, src in sources.items()
    }


def test_check_cycles_reports_the_path() -> None:
    graph = _sample(
        {
            "tools.a": "import tools.b\n",
            "tools.b": "def f():\n    from tools import c\n",  # hidden in a function
            "tools.c": "from tools.a import thing\n",
            "tools.d": "import tools.a\n",
        }
    )
    assert find_cycles(graph) == [["tools.a", "tools.b", "tools.c", "tools.a"]]


def test_check_cycles_names_the_whole_knot() -> None:
    graph = _sample(
        {
            "tools.a": "import tools.b\nimport tools.c\n",
            "tools.b": "import tools.a\n",
            "tools.c": "import tools.a\n",
        }
    )
    cycles = find_cycles(graph)
    assert cycles == [["tools.a", "tools.b", "tools.a", "+", "tools.c"]]
    assert describe_cycle(cycles[0]) == "tools.a → tools.b → tools.a  (same knot: tools.c)"


def test_check_cycles_ignores_type_checking_and_acyclic() -> None:
    graph = _sample(
        {
            "tools.a": "import tools.b\n",
            "tools.b": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import tools.a\n",
        }
    )
    assert find_cycles(graph) == []


def test_check_cycles_relative_import() -> None:
    graph = _sample({"tools.x.a": "from . import b\n", "tools.x.b": "from .a import f\n"})
    assert find_cycles(graph) == [["tools.x.a", "tools.x.b", "tools.x.a"]]


def test_check_private_imports() -> None:
    graph = _sample(
        {
            "tools.a": "from tools.b import _hidden, public, __version__\n",
            "tools.b": "_hidden = 1\n",
            "tools.c": "from tools import b as m\n\ndef f():\n    return m._hidden\n",
        }
    )
    assert find_private_imports(graph) == [
        "tools.a:1 takes tools.b._hidden",
        "tools.c:4 takes tools.b._hidden",
    ]


def test_check_layer_breaks() -> None:
    graph = _sample(
        {
            "main": "from tools.perf import jsii_node\nimport tools.terraform\n",
            "modules.x": "def f():\n    from tools.deploy.cli import main\n",
            "config.y": "import tools.deployments\n",  # a prefix, not the package
        }
    )
    assert find_layer_breaks(graph) == ["modules.x:2 imports tools.deploy.cli"]
