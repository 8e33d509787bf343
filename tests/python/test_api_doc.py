"""docs/api.md names every concept in each language: each name of its Python column
resolves (a module attribute, a method, a property, an annotated attribute, a keyword of a
signature), so the table cannot name something the package does not have."""

from __future__ import annotations

import ast
import builtins
import inspect
import re
from pathlib import Path
from typing import Any, Dict, List, Tuple

import seedance
import seedance.testing

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"

#: What a span may start with (docs/api.md says so above its tables).
ROOTS: Dict[str, Any] = {
    "seedance": seedance,
    "client": seedance.Client,
    "task": seedance.Task,
    "event": seedance.ProgressEvent,
    "job": seedance.Job,
    "emu": seedance.testing.Emulator,
}
FORM = re.compile(r"^(\w+)((?:\.\w+)*)(?:\(([^()]*)\))?$")


def _python_cells() -> List[Tuple[str, str]]:
    """(concept, Python cell) of every row of every table with a Python column."""
    out: List[Tuple[str, str]] = []
    column = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            column = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if column is None:
            column = cells.index("Python") if "Python" in cells else -1
            continue
        if column < 0 or set(cells[0]) <= {"-"}:
            continue
        out.append((cells[0], cells[column]))
    return out


def _member(obj: Any, name: str) -> Any:
    if hasattr(obj, name):
        return getattr(obj, name)
    for cls in getattr(obj, "__mro__", ()):
        if name in getattr(cls, "__annotations__", {}):
            return None  # an attribute set per instance, declared on the class
    raise AssertionError(f"{obj!r} has no {name}")


def _check(span: str) -> bool:
    """Whether `span` names something (True) or is a literal (False); fails when it is
    neither or names what does not exist."""
    try:
        ast.literal_eval(span)
        return False
    except (ValueError, SyntaxError):
        pass
    if span in ("…", "—"):
        return False
    m = FORM.match(span)
    assert m, f"{span!r}: not a name of the forms docs/api.md uses"
    root, attrs, args = m.group(1), m.group(2), m.group(3)
    if root not in ROOTS:
        assert not attrs and isinstance(getattr(builtins, root, None), type), span
        return True
    obj = ROOTS[root]
    for name in attrs.split(".")[1:]:
        obj = _member(obj, name)
        assert obj is not None or args is None, f"{span}: not callable"
    if args:
        params = inspect.signature(obj).parameters
        for arg in (a.strip() for a in args.split(",")):
            assert arg.endswith("=") and arg[:-1] in params, f"{span}: no keyword {arg!r}"
    return True


def test_every_python_name_in_the_table_exists() -> None:
    rows = _python_cells()
    assert len(rows) > 70
    names = 0
    for concept, cell in rows:
        for span in re.findall(r"`([^`]+)`", cell):
            try:
                names += _check(span)
            except AssertionError as e:
                raise AssertionError(f"docs/api.md, {concept}: {e}") from None
    assert names > 120, names


def test_every_exception_and_public_name_is_in_the_table() -> None:
    text = "\n".join(cell for _, cell in _python_cells())
    for name in seedance.__all__:
        if name in ("__version__",):
            continue
        assert f"seedance.{name}" in text, f"docs/api.md has no seedance.{name}"


def test_the_checker_refuses_what_does_not_exist() -> None:
    for bad in ("client.sumbit()", "seedance.Client(timeout_secs=)", "task.colour", "Client()"):
        try:
            _check(bad)
        except AssertionError:
            continue
        raise AssertionError(f"{bad} passed")
