"""The package's import graph has no cycles, and the edges of the system are imported only from above.

The graph is read from the source (the AST of every .py file under src/neuroscape); nothing is imported.

- A node is a module; a package is its `__init__`.
- Every import statement is an edge, at module level or inside a function: a deferred import moves the
  failure of a cycle from import time to call time, it does not untie the knot.
- `from P import name` is an edge to the module `P.name` when there is one, else to `P` (a name its
  `__init__` defines or re-exports).
- Importing `a.b.c` also runs the `__init__` of each package on the way (`a.b`), so that is an edge too,
  except for the packages that contain the importer: the import system has run them (or is running them)
  before the importer's body, so being inside a package is no dependency on its `__init__`. Without this
  exception every module would close a cycle through `neuroscape/__init__`, which re-exports `simulate`.
  A module that names its own package (`from . import NAME`, NAME defined in the `__init__`) does depend
  on it, and an `__init__` that imports that module back is a cycle like any other.

Layering (docs/architecture.md): io, report, store, service and cli are edges of the system. Nothing below them imports
them, only the CLI (and `python -m neuroscape`) imports the CLI, and what io reaches of `assess` is the
patient record's vocabulary (records, units, observations), never calibration or the landscape.
"""

from __future__ import annotations

import ast
from pathlib import Path

import neuroscape

SRC = Path(neuroscape.__file__).parent
EDGES = ("neuroscape.cli", "neuroscape.io", "neuroscape.report", "neuroscape.service", "neuroscape.store")
RECORD_VOCABULARY = {"neuroscape.assess", "neuroscape.assess.records", "neuroscape.assess.units",
                     "neuroscape.assess.observations"}


def _modules(root: Path, package: str) -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package) for every .py file under `root` (the folder of `package`)."""
    found = {}
    for file in sorted(root.rglob("*.py")):
        parts = [package, *file.relative_to(root).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (file, is_package)
    return found


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def import_graph(root: Path, package: str) -> dict[str, dict[str, int]]:
    """Module -> {module of the same package it imports: line of the first such import} (rules: module docstring)."""
    modules = _modules(root, package)
    graph: dict[str, dict[str, int]] = {}
    for name, (file, is_package) in modules.items():
        own = name if is_package else name.rpartition(".")[0]
        edges: dict[str, int] = {}

        def add(target: str, line: int, explicit: bool) -> None:
            if target not in modules or target == name:
                return
            # the packages on the way to the target run too, unless they already contain the importer
            parts = target.split(".")
            for i in range(1, len(parts)):
                ancestor = ".".join(parts[:i])
                if ancestor in modules and not _within(own, ancestor):
                    edges.setdefault(ancestor, line)
            if explicit or not _within(own, target):
                edges.setdefault(target, line)

        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if _within(alias.name, package):
                        add(alias.name, node.lineno, explicit=False)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = own.split(".")[: len(own.split(".")) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                if not _within(source, package):
                    continue
                for alias in node.names:
                    submodule = f"{source}.{alias.name}"
                    if submodule in modules:
                        add(submodule, node.lineno, explicit=False)
                    else:  # a name from the module (or the package's __init__) itself
                        add(source, node.lineno, explicit=True)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle (a, b, ..., a) through each strongly connected group of modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    found = []
    for group in groups:  # the shortest way from the group's first module back to itself (breadth first)
        start = min(group)
        paths = {start: [start]}
        frontier, cycle = [start], None
        while cycle is None:
            nxt = []
            for v in frontier:
                if start in graph[v]:
                    cycle = paths[v] + [start]
                    break
                for w in sorted(graph[v]):
                    if w in group and w not in paths:
                        paths[w] = paths[v] + [w]
                        nxt.append(w)
            frontier = nxt
        found.append(cycle)
    return sorted(found)


def _describe(graph, cycle: list[str]) -> str:
    return " -> ".join(f"{a} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:])) + f" -> {cycle[-1]}"


GRAPH = import_graph(SRC, "neuroscape")


def test_the_package_import_graph_is_acyclic():
    found = cycles(GRAPH)
    assert not found, "import cycles (function-level imports count):\n" + "\n".join(
        _describe(GRAPH, c) for c in found)


def test_the_packages_import_one_way():
    # Coarser than the module graph: io imports assess's record types, so no module of assess may import io
    # (as the assess command once did), even one that io itself never reaches.
    def top(m):
        return ".".join(m.split(".")[:2])

    packages: dict[str, dict[str, int]] = {}
    for m, edges in GRAPH.items():
        mine = packages.setdefault(top(m), {})
        for t, line in edges.items():
            if top(t) != top(m):
                mine.setdefault(top(t), line)
    assert "neuroscape.assess" in packages["neuroscape.io"]
    found = cycles(packages)
    assert not found, "import cycles between packages:\n" + "\n".join(" -> ".join(c) for c in found)


def test_the_graph_reads_deferred_imports_and_the_cli_package():
    # A function-level import is an edge: the assess command imports the calibration inside its body.
    assert "neuroscape.assess.run" in GRAPH["neuroscape.cli.assess"]
    assert set(GRAPH["neuroscape.cli"]) >= {f"neuroscape.cli.{m}" for m in (
        "assess", "check", "cite", "demo", "drugs", "protocol", "sbml", "validate")}
    # entering another package runs its __init__; being inside one does not
    assert "neuroscape.assess" in GRAPH["neuroscape.io.fhir"]
    assert "neuroscape.io" not in GRAPH["neuroscape.io.fhir"]


def test_only_the_cli_imports_the_cli():
    offenders = sorted(f"{m} imports {t} (line {line})" for m, edges in GRAPH.items() for t, line in edges.items()
                       if _within(t, "neuroscape.cli") and not _within(m, "neuroscape.cli")
                       and m != "neuroscape.__main__")
    assert not offenders, offenders


def test_no_lower_layer_imports_an_edge_of_the_system():
    def edge(m):
        return any(_within(m, e) for e in EDGES)

    offenders = sorted(f"{m} imports {t} (line {line})" for m, edges in GRAPH.items() for t, line in edges.items()
                       if edge(t) and not edge(m) and m != "neuroscape.__main__")
    assert not offenders, offenders


def test_io_reaches_only_the_record_vocabulary_of_assess():
    seen, todo = set(), [m for m in GRAPH if _within(m, "neuroscape.io")]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(GRAPH[m])
    reached = {m for m in seen if _within(m, "neuroscape.assess")}
    assert reached and reached <= RECORD_VOCABULARY, sorted(reached - RECORD_VOCABULARY)


# --- the graph builder on a made-up package -------------------------------------------------------

def _package(tmp_path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from .b import g\n",
        "b.py": "def g():\n    from .sub.c import h\n    return h\n",
        "sub/__init__.py": "",
        "sub/c.py": "import pkg.a\n",
        "d.py": "from .a import x\n",
    })
    graph = import_graph(root, "pkg")
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]]
    assert graph["pkg.b"] == {"pkg.sub": 2, "pkg.sub.c": 2}  # the subpackage's __init__ runs on the way
    assert "line 2" in _describe(graph, cycles(graph)[0])


def test_own_package_init_counts_only_when_named(tmp_path):
    files = {"__init__.py": "from .c import f\nVERSION = 1\n", "c.py": "def f():\n    from .d import g\n",
             "d.py": "def g():\n    pass\n"}
    assert cycles(import_graph(_package(tmp_path / "quiet", files), "pkg")) == []  # inside pkg: no edge to it
    files["d.py"] = "from . import VERSION\n"  # names the package: its __init__ imports c, c imports d
    assert cycles(import_graph(_package(tmp_path / "loud", files), "pkg")) == [["pkg", "pkg.c", "pkg.d", "pkg"]]
