"""Every function in `spotify_assets/` fits on a screen, or says why it does not.

The rule (issue 15, and the brief's "Functions ≤ 60 lines, nesting ≤ 4 levels"):

- **Length**: a function's lines run from its `def` line (decorators not counted) to its last line,
  its docstring and comments included: what a reader scrolls through. More than `MAX_LINES` is too long.
- **Nesting**: the control-flow statements `if`/`elif`, `for`, `while`, `with`, `try`, `match` (and their
  `async` forms) each open one level inside the one that holds them; an `elif` is one level, like the `if`
  it continues, and `else`/`except`/`finally`/`case` blocks sit at their statement's level. A nested `def`,
  `lambda` or `class` starts its own count: it is measured as a function of its own (its body counts its
  levels from zero), and its levels do not add to the function around it. More than `MAX_DEPTH` is too deep.
- **Why**: a function may go over either limit only with a marker comment on its `def` line, on a decorator
  line, or on the comment lines just above them: `# long: <reason>` for the length, `# deep: <reason>` for
  the nesting, the reason not empty. A marker on a function within the limit fails too (stale).

A failure names `file:function:line` and what was measured, for every offender at once.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "spotify_assets"
MAX_LINES = 60
MAX_DEPTH = 4

_MARKER = re.compile(r"#\s*(long|deep):\s*(\S.*)$")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# Statements that open a nesting level; a nested def/lambda/class starts its own count.
_BLOCKS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.TryStar, ast.Match)
_OWN_SCOPE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


@dataclass(frozen=True)
class Shape:
    """One function: where it is, its length in lines, its deepest nesting, and its marker reasons."""

    where: str  # file:function:line (path relative to the repository)
    lines: int
    depth: int
    reasons: dict[str, str]  # "long"/"deep" -> the comment's reason


def _is_elif(node: ast.AST, parent: ast.AST) -> bool:
    """An `elif` is an `If` alone in its parent `If`'s `orelse`: one level with that `if`, not one deeper."""
    return isinstance(parent, ast.If) and parent.orelse == [node] and isinstance(node, ast.If)


def nesting_depth(function: ast.AST) -> int:
    """The deepest control-flow nesting inside `function`'s body (0: no if/for/while/with/try/match)."""

    def walk(node: ast.AST, depth: int) -> int:
        deepest = depth
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _OWN_SCOPE):
                continue  # measured on its own
            opens = isinstance(child, _BLOCKS) and not _is_elif(child, node)
            deepest = max(deepest, walk(child, depth + 1 if opens else depth))
        return deepest

    return walk(function, 0)


def marker_reasons(function: ast.FunctionDef | ast.AsyncFunctionDef, source_lines: list[str]) -> dict[str, str]:
    """The `# long: ...`/`# deep: ...` reasons on the def or decorator lines, or the comment lines just above."""
    first = min([function.lineno, *(d.lineno for d in function.decorator_list)])
    candidates = source_lines[first - 1 : function.lineno]  # decorator lines and the def line
    above = first - 2
    while above >= 0 and source_lines[above].strip().startswith("#"):
        candidates.append(source_lines[above])
        above -= 1
    reasons = {}
    for line in candidates:
        found = _MARKER.search(line)
        if found:
            reasons[found.group(1)] = found.group(2).strip()
    return reasons


def shapes(path: Path, root: Path = PACKAGE.parent) -> list[Shape]:
    """The shape of every function and method in one module, nested ones included (paths shown from `root`)."""
    source = path.read_text(encoding="utf-8")
    source_lines = source.splitlines()
    relative = path.relative_to(root)
    found = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, _FUNCTIONS):
            found.append(
                Shape(
                    where=f"{relative}:{node.name}:{node.lineno}",
                    lines=node.end_lineno - node.lineno + 1,
                    depth=nesting_depth(node),
                    reasons=marker_reasons(node, source_lines),
                )
            )
    return found


def offences(shape: Shape) -> list[str]:
    """What is wrong with one function: over a limit without a marker that gives a reason."""
    wrong = []
    if shape.lines > MAX_LINES and "long" not in shape.reasons:
        wrong.append(f"{shape.where}: {shape.lines} lines (> {MAX_LINES}) without a '# long: <reason>' comment")
    if shape.depth > MAX_DEPTH and "deep" not in shape.reasons:
        wrong.append(f"{shape.where}: nesting {shape.depth} (> {MAX_DEPTH}) without a '# deep: <reason>' comment")
    # A marker outliving the reason for it would excuse the next growth unseen.
    if shape.lines <= MAX_LINES and "long" in shape.reasons:
        wrong.append(f"{shape.where}: {shape.lines} lines, within {MAX_LINES}: remove its '# long:' comment")
    if shape.depth <= MAX_DEPTH and "deep" in shape.reasons:
        wrong.append(f"{shape.where}: nesting {shape.depth}, within {MAX_DEPTH}: remove its '# deep:' comment")
    return wrong


def _all_shapes() -> list[Shape]:
    return [shape for path in sorted(PACKAGE.rglob("*.py")) for shape in shapes(path)]


def test_every_function_fits_or_says_why():
    found = _all_shapes()
    assert len(found) > 100, f"only {len(found)} functions found under {PACKAGE}"
    wrong = [line for shape in found for line in offences(shape)]
    assert not wrong, "functions over the limits:\n" + "\n".join(wrong)


_SAMPLE = """
def flat():
    return 1


def deep():
    for a in b:
        if a:
            with c:
                try:
                    while d:
                        pass
                except E:
                    pass


def chain():
    if a:
        pass
    elif b:
        if c:
            pass
    elif d:
        pass
    else:
        pass


def outer():
    if a:
        def inner():
            if b:
                if c:
                    pass
        return inner


# long: generated table, one line per column
@decorator  # deep: a marker on a decorator line counts too
def marked():
    pass


def unmarked():  # long:
    pass
"""


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "spotify_assets" / "sample.py"
    path.parent.mkdir()
    path.write_text(_SAMPLE, encoding="utf-8")
    return {shape.where.split(":")[1]: shape for shape in shapes(path, root=tmp_path)}


def test_the_measures_on_a_sample(sample):
    """The rule measures what its docstring says (so the main test cannot pass by measuring nothing)."""
    assert {name: sample[name].depth for name in ("flat", "deep", "chain", "outer", "inner")} == {
        "flat": 0,
        "deep": 5,  # for, if, with, try, while
        "chain": 2,  # elif on the if's level; the if inside it one deeper
        "outer": 1,  # inner's levels are inner's own
        "inner": 2,
    }
    assert sample["flat"].lines == 2
    assert sample["deep"].where == "spotify_assets/sample.py:deep:6"
    assert offences(sample["deep"]) == [
        "spotify_assets/sample.py:deep:6: nesting 5 (> 4) without a '# deep: <reason>' comment"
    ]
    assert sample["marked"].reasons == {
        "long": "generated table, one line per column",
        "deep": "a marker on a decorator line counts too",
    }
    assert offences(sample["marked"]) == [
        "spotify_assets/sample.py:marked:40: 2 lines, within 60: remove its '# long:' comment",
        "spotify_assets/sample.py:marked:40: nesting 0, within 4: remove its '# deep:' comment",
    ]
    assert sample["unmarked"].reasons == {}  # a marker without a reason is no marker
