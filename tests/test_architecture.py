"""The package's layers as ``book/architecture.md`` draws them.

Imports are read from the source with ``ast`` (every ``import`` statement, those inside functions
too: a lazy import is a dependency all the same), so nothing is imported and the test is quick.
It holds: the science library ``fcad_lib`` never imports the book's tooling ``fcad_book`` (which
sits on top, outside it), no import cycle between modules or between layers, no import from a
higher layer, the generator entered through its package, figures that never load or run a
model, analyses that draw nothing, no public function with more than eight parameters, and no
Markdown written by the library (the book's sentences live in ``fcad_book.sentences``). Break a
rule and the assertion names the import, the function or the string.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import fcad_book
import fcad_lib

PACKAGE_DIR = Path(fcad_lib.__file__).parent
#: The book's tooling: a package of its own beside ``fcad_lib``, one layer above all of it.
BOOK = "fcad_book"
BOOK_DIR = Path(fcad_book.__file__).parent

#: Layers from the bottom up, as in book/architecture.md: a module imports only from its own
#: layer or from a layer below. A unit is a top-level module or a subpackage of ``fcad_lib``.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("factors", "errors", "jsonio", "paper_tables"),  # vocabulary used everywhere
    ("data",),
    ("samples",),
    ("models",),
    ("bundle",),  # the saved-model contract: Preprocessing (samples) + the model (models)
    ("evaluation",),  # below training: training scores with it; evaluation reads bundles
    ("training",),
    ("predict",),
    ("analysis",),  # numbers and tables of notebooks 01, 02, 05, 06, 09, 10; no figures
    ("plots",),  # draws arrays and frames; never loads or runs a model
    ("cli",),  # fcad-stack / fcad-train / fcad-evaluate (its own reader of profiles.yml)
)

#: The generated area is entered through ``fcad_lib.data.generator`` (its ``__init__``
#: re-exports the API); outside it, nothing imports one of its modules.
GENERATOR = "fcad_lib.data.generator"
#: (importer, imported) reaching into the generator, each with its reason: none today.
GENERATOR_EXCEPTIONS: dict[tuple[str, str], str] = {}

#: What loads or runs a model. Figures draw the arrays and tables they are given: no module of
#: ``plots`` imports one of these (the forward passes of the zooms are analysis.zooms').
MODEL_RUNNERS = ("fcad_lib.bundle", "fcad_lib.models", "fcad_lib.training",
                 "fcad_lib.evaluation.inference", "keras", "tensorflow")
#: Analyses compute numbers and tables; their figures live in ``plots``.
DRAWING = ("matplotlib", "fcad_lib.plots")

#: Most parameters a public function may take (named ones; ``*args`` / ``**kwargs`` aside).
MAX_PARAMETERS = 8
#: Public functions over the limit today, with their count: none (group options in a small
#: frozen dataclass, as ``data.geotiff.CreationOptions`` or ``data.generator.landslides.
#: Hillslopes`` do).
OVER_THE_LIMIT: dict[str, int] = {}


def module_files(*package_dirs: Path) -> dict[str, Path]:
    """Dotted module name -> source file, for every module of the packages."""
    out = {}
    for package_dir in package_dirs:
        for path in sorted(package_dir.rglob("*.py")):
            parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


MODULES = module_files(PACKAGE_DIR, BOOK_DIR)
LIBRARY = {m: p for m, p in MODULES.items() if m.split(".")[0] == "fcad_lib"}


def _resolve(dotted: str) -> str | None:
    """The module that ``import dotted`` names: the longest prefix that is a module."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in MODULES:
            return ".".join(parts[:n])
    return None


def imports_of(module: str, modules: Mapping[str, Path] = MODULES) -> set[str]:
    """The ``fcad_lib`` and ``fcad_book`` modules that ``module`` imports anywhere in its source."""
    path = modules[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(_resolve(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                # `from pkg import name`: the submodule pkg.name when there is one
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else _resolve(base))
    found.discard(None)
    found.discard(module)
    return {m for m in found if m.split(".")[0] in ("fcad_lib", BOOK)}


GRAPH: dict[str, set[str]] = {m: imports_of(m) for m in MODULES}


def raw_imports(module: str, modules: Mapping[str, Path] = MODULES) -> set[str]:
    """Every absolute module name ``module`` imports, inside the package or not.

    A string given to a call (``importlib.import_module("x.y")``, ``__import__``) that names a
    module counts too.
    """
    found = set()
    for node in ast.walk(ast.parse(modules[module].read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call):
            found.update(arg.value for arg in node.args
                         if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                         and arg.value.replace(".", "").replace("_", "").isalnum())
    return found


def _reaches(names: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(f"{p}.") for p in prefixes))


def unit_of(module: str) -> str:
    """``fcad_lib.data.grid`` -> ``data``; ``fcad_lib.bundle`` -> ``bundle``; every module of
    the book's tooling -> ``fcad_book``."""
    if module.split(".")[0] == BOOK:
        return BOOK
    return module.split(".")[1] if "." in module else ""


LAYER_OF = {unit: k for k, units in enumerate(LAYERS) for unit in units}
LAYER_OF[BOOK] = len(LAYERS)  # on top of the whole library


def book_imports(module: str, modules: Mapping[str, Path] = MODULES) -> list[str]:
    """What ``module`` imports of the book's tooling, lazily or by name, if anything."""
    return _reaches(raw_imports(module, modules), (BOOK,))


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
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
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_graph_sees_lazy_and_relative_imports(tmp_path):
    """The walker finds an import inside a function and resolves ``from pkg import module``."""
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from fcad_lib.data import grid\n    import fcad_lib.plots.style\n"
                   "from . import factors\n")
    modules = {**MODULES, "fcad_lib.m": src}
    assert imports_of("fcad_lib.m", modules) == {
        "fcad_lib.data.grid", "fcad_lib.plots.style", "fcad_lib.factors"}


def test_every_unit_has_a_layer():
    units = {unit_of(m) for m in LIBRARY} - {""}
    assert units == set(LAYER_OF) - {BOOK}, (
        "place a new module or subpackage in LAYERS (and the book)")
    assert all(unit_of(m) == BOOK for m in MODULES if m not in LIBRARY)


def test_the_book_walker_sees_every_way_in(tmp_path):
    """An import of the book's tooling is found however it is written."""
    ways = ["import fcad_book\n", "from fcad_book.profiles import load_profile\n",
            "def f():\n    from fcad_book import publish\n",
            "import importlib\nm = importlib.import_module('fcad_book.paths')\n"]
    for n, code in enumerate(ways):
        (tmp_path / f"m{n}.py").write_text(code)
    modules = {**MODULES, **{f"fcad_lib.m{n}": tmp_path / f"m{n}.py" for n in range(len(ways))}}
    assert all(book_imports(f"fcad_lib.m{n}", modules) for n in range(len(ways)))
    (tmp_path / "clean.py").write_text('"""Not fcad_book."""\nimport fcad_lib.data\n')
    clean = {**MODULES, "fcad_lib.clean": tmp_path / "clean.py"}
    assert book_imports("fcad_lib.clean", clean) == []


def test_the_library_never_imports_the_book():
    """``fcad_lib`` runs from a wheel, with no checkout: the book's tooling is not its to use."""
    found = [f"{m} -> {', '.join(f)}" for m in LIBRARY if (f := book_imports(m))]
    assert not found, "fcad_lib imports the book's tooling (fcad_book): " + "; ".join(found)


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_modules():
    found = cycles(GRAPH)
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_no_import_cycle_between_layers():
    units: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        units.setdefault(unit_of(module), set()).update(
            unit_of(t) for t in targets if unit_of(t) != unit_of(module))
    found = cycles(units)
    assert not found, "layer cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_imports_only_run_down_the_layers():
    upward = sorted(f"{module} -> {target}" for module, targets in GRAPH.items()
                    for target in targets
                    if LAYER_OF[unit_of(target)] > LAYER_OF[unit_of(module)])
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def test_the_generator_is_entered_through_its_package():
    reaching = {(module, target) for module, targets in GRAPH.items() for target in targets
                if target.startswith(f"{GENERATOR}.") and not module.startswith(GENERATOR)}
    assert reaching == set(GENERATOR_EXCEPTIONS), (
        f"import {GENERATOR} instead: {sorted(reaching - set(GENERATOR_EXCEPTIONS))}; "
        f"exceptions no longer needed: {sorted(set(GENERATOR_EXCEPTIONS) - reaching)}")


def test_plots_never_load_or_run_a_model():
    found = {m: _reaches(raw_imports(m), MODEL_RUNNERS) for m in MODULES
             if m.startswith("fcad_lib.plots")}
    assert not any(found.values()), {m: f for m, f in found.items() if f}


def test_analysis_draws_nothing():
    found = {m: _reaches(raw_imports(m), DRAWING) for m in MODULES
             if m.startswith("fcad_lib.analysis")}
    assert not any(found.values()), {m: f for m, f in found.items() if f}


def _public_functions() -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef, bool]]:
    """(dotted name, node, is a method) of module-level functions and public classes' methods."""
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    for module, path in MODULES.items():
        if any(part.startswith("_") and part != "__main__" for part in module.split(".")):
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, functions) and not node.name.startswith("_"):
                yield f"{module}.{node.name}", node, False
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                for item in node.body:
                    if isinstance(item, functions) and not item.name.startswith("_"):
                        yield f"{module}.{node.name}.{item.name}", item, True


def parameter_count(node: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> int:
    """Named parameters, ``self`` / ``cls`` of a method aside."""
    args = node.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
    return len(names) - (1 if method and names and not static else 0)


def test_parameter_count_skips_self_and_star_args():
    node = ast.parse("def f(self, a, *args, b, **kw): pass").body[0]
    assert parameter_count(node, method=True) == 2
    assert parameter_count(node, method=False) == 3


def test_no_public_function_takes_more_than_eight_parameters():
    counts = {name: parameter_count(node, method) for name, node, method in _public_functions()}
    over = {name: n for name, n in counts.items() if n > MAX_PARAMETERS}
    # the allow-list is exact: an entry fixed (or grown) must leave it (or be looked at)
    assert over == OVER_THE_LIMIT



#: Markdown that plain text, error messages, regexes and YAML do not use: bold opening a word
#: (``**Verdicts**``, ``**{split} split**``; ``2**{n}`` is a power), a table row's border
#: (``"| "`` first, ``" |"`` last) and a table's separator (``|---``).
MARKDOWN = re.compile(r"(?:^|\s)\*\*[\w{`]|^\| |\s\|$|\|---|---\|", re.M)
#: Names of functions that write Markdown.
MARKDOWN_NAME = re.compile(r"_(markdown|md)$")


def _template(node: ast.expr) -> str | None:
    """The text of a string literal; an f-string's fields become ``{}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def markdown_in(path: Path) -> list[str]:
    """``"line: text"`` of every Markdown string literal (docstrings aside) and ``"line: name"``
    of every function named ``*_markdown`` / ``*_md`` in the source file ``path``."""
    tree = ast.parse(path.read_text())
    scopes = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, scopes) and node.body
                  and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                and MARKDOWN_NAME.search(node.name):
            found.append(f"{node.lineno}: def {node.name}")
        text = None if id(node) in docstrings else _template(node)
        if text is not None and MARKDOWN.search(text):
            found.append(f"{node.lineno}: {text[:60]!r}")
    return found


def test_the_markdown_finder_sees_tables_bold_and_names(tmp_path):
    """Each way of writing Markdown is found; docstrings, powers and plain text are not."""
    ways = ['def summary(split):\n    return f"**{split} split**: fine"\n',
            'ROW = "| " + " | ".join(["a", "b"]) + " |"\n',
            'SEP = "|" + "---|" * 3\n',
            'def f(x):\n    return "**Verdicts**:\\n\\n- " + x\n',
            'def table_markdown():\n    return ""\n']
    for n, code in enumerate(ways):
        (tmp_path / f"m{n}.py").write_text(code)
        assert markdown_in(tmp_path / f"m{n}.py"), code
    (tmp_path / "clean.py").write_text(
        '"""Docstrings may use **bold** and | tables |."""\n'
        'def f(n, **kwargs):\n    """**kwargs go on."""\n'
        '    raise ValueError(f"size is not divisible by 2**{n}: `factors` | none")\n'
        'PATTERN = "a|b"\nYAML = "# paste under `areas:` as it is"\n')
    assert markdown_in(tmp_path / "clean.py") == []


def test_the_library_writes_no_markdown():
    """``fcad_lib`` returns numbers and tables; ``fcad_book.sentences`` puts them into words."""
    found = {m: f for m, p in LIBRARY.items() if (f := markdown_in(p))}
    assert not found, "Markdown in fcad_lib (move it to fcad_book.sentences): " + "; ".join(
        f"{m} {', '.join(f)}" for m, f in found.items())
