"""The house rules: layers you can see, no import circles, heavy imports kept lazy.

Every `import` in `simulator/` and `evals/` counts, at the top of a module or inside a function
(a function-level import is still a dependency; it is only deferred). `if TYPE_CHECKING:` imports
count too: a type from a higher layer is a dependency on it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Lower numbers are lower layers. A module may import its own package and any lower layer;
#: never a higher one, and never a different package of the same rank.
LAYERS: dict[str, int] = {
    "simulator.core": 0,
    "simulator.content": 1,
    "simulator.models": 2,
    "simulator.testing": 3,
    "simulator.dialogue": 4,
    "simulator.grading": 4,
    "simulator.storage": 5,
    "simulator.calibration": 6,
    "simulator.practice": 6,
    "evals": 7,
    "simulator.cli": 8,
    "simulator.app": 8,
}


def modules() -> dict[str, Path]:
    out = {}
    for top in ("simulator", "evals"):
        for path in (ROOT / top).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def imports(path: Path, known: set[str]) -> set[str]:
    """Project modules a file imports (resolved to the longest known module name)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        for name in names:
            parts = name.split(".")
            while parts and ".".join(parts) not in known:
                parts.pop()
            if parts:
                found.add(".".join(parts))
    return found


def layer(module: str) -> str | None:
    best = None
    for prefix in LAYERS:
        if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best)):
            best = prefix
    return best


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    g = {}
    for name, path in mods.items():
        deps = imports(path, known) - {name}
        # importing a package's facade from inside the package is not a dependency on its children
        g[name] = {d for d in deps if not name.startswith(d + ".")}
    return g


def test_every_module_has_a_layer() -> None:
    missing = [m for m in modules() if m not in ("simulator", "evals") and layer(m) is None]
    assert not missing, f"modules outside every layer: {missing}"


def test_no_lower_layer_imports_a_higher_one() -> None:
    bad = []
    for mod, deps in graph().items():
        mine = layer(mod)
        if mine is None:
            continue
        for dep in deps:
            theirs = layer(dep)
            if theirs is None or theirs == mine:
                continue
            if LAYERS[theirs] >= LAYERS[mine]:
                bad.append(f"{mod} -> {dep}  ({mine} {LAYERS[mine]} -> {theirs} {LAYERS[theirs]})")
    assert not bad, "imports against the layers:\n" + "\n".join(sorted(bad))


def test_no_import_circles() -> None:
    g = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    assert not circles, f"import circles: {circles}"


def test_the_facade_is_small_and_lazy() -> None:
    import subprocess
    import sys

    code = ("import sys, simulator; heavy = [m for m in ('litellm', 'onnxruntime', 'streamlit', 'numpy', 'tokenizers') if m in sys.modules];"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"`import simulator` pulled in {out.stdout.strip()}"
