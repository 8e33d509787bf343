"""The committed stubs match the native module, and the two clients match each other."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

import seedance
from seedance import _seedance

STUB = Path(__file__).resolve().parents[2] / "python" / "seedance" / "_seedance.pyi"


def _stub_names() -> Dict[str, Set[str]]:
    """Top-level names of the stub (key "") and each class's members."""
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    out: Dict[str, Set[str]] = {"": set()}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            out[""].add(node.name)
            members: Set[str] = set()
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    members.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    members.add(item.target.id)
            out[node.name] = members
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[""].add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[""].add(node.target.id)
    return out


def _public(names: Set[str]) -> Set[str]:
    return {n for n in names if not (n.startswith("__") and n.endswith("__"))}


def test_stub_module_names_match_the_native_module() -> None:
    stub = _stub_names()
    real = _public(set(dir(_seedance)))
    assert _public(stub[""]) == real


def test_stub_class_members_match_the_native_classes() -> None:
    stub = _stub_names()
    for name, members in stub.items():
        if not name:
            continue
        cls = getattr(_seedance, name)
        real = {n for n in dir(cls) if n not in dir(object)} - {"__dict__", "__module__"}
        real = {n for n in real if not (n.startswith("__") and n.endswith("__"))} | {
            n for n in members if n.startswith("__") and hasattr(cls, n)
        }
        assert members - {"__init__"} == real - {"__init__"}, name


def test_dunder_methods_in_the_stub_exist() -> None:
    for name, members in _stub_names().items():
        if name:
            cls = getattr(_seedance, name)
            for m in members:
                assert hasattr(cls, m), f"{name}.{m}"


def test_all_exports_exist() -> None:
    for name in seedance.__all__:
        assert hasattr(seedance, name), name


def _methods(cls: type) -> Set[str]:
    return {n for n, _ in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}


def test_async_client_has_the_same_methods_as_coroutines() -> None:
    sync, asyn = _methods(seedance.Client), _methods(seedance.AsyncClient)
    assert sync == asyn == {"submit", "get_task", "wait", "generate", "download", "close", "resume", "jobs"}
    for name in sync:
        assert inspect.iscoroutinefunction(getattr(seedance.AsyncClient, name)), name
        s = inspect.signature(getattr(seedance.Client, name))
        a = inspect.signature(getattr(seedance.AsyncClient, name))
        assert list(s.parameters) == list(a.parameters), name


def test_submit_takes_exactly_the_api_fields() -> None:
    fields = set(_seedance.REQUEST_FIELDS)
    for cls in (seedance.Client, seedance.AsyncClient):
        params = set(inspect.signature(cls.submit).parameters) - {"self"}
        assert params == fields | {"idempotency_key"}
        gen = set(inspect.signature(cls.generate).parameters) - {"self"}
        assert gen == fields | {"idempotency_key", "timeout", "on_progress", "progress"}


def _stub_params(fn: ast.FunctionDef) -> List[Tuple[str, str, bool]]:
    """(name, kind, has default) of a stub function's parameters, `self` left out."""
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults = [False] * (len(positional) - len(a.defaults)) + [True] * len(a.defaults)
    out = [(p.arg, "positional", d) for p, d in zip(positional, defaults)]
    if a.vararg is not None:
        out.append((a.vararg.arg, "var_positional", False))
    out += [
        (p.arg, "keyword_only", d is not None) for p, d in zip(a.kwonlyargs, a.kw_defaults)
    ]
    if a.kwarg is not None:
        out.append((a.kwarg.arg, "var_keyword", False))
    return [p for p in out if p[0] not in ("self", "cls")]


def _real_params(obj: object) -> Optional[List[Tuple[str, str, bool]]]:
    try:
        sig = inspect.signature(obj)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None  # no text signature (e.g. a getter)
    kinds = {
        inspect.Parameter.POSITIONAL_ONLY: "positional",
        inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
        inspect.Parameter.VAR_POSITIONAL: "var_positional",
        inspect.Parameter.KEYWORD_ONLY: "keyword_only",
        inspect.Parameter.VAR_KEYWORD: "var_keyword",
    }
    return [
        (p.name, kinds[p.kind], p.default is not inspect.Parameter.empty)
        for p in sig.parameters.values()
        if p.name not in ("self", "cls")
    ]


def test_stub_signatures_match_the_native_signatures() -> None:
    """Parameter names, kinds and which have defaults: a drifted stub fails here."""
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    checked = 0

    def check(fn: ast.FunctionDef, real_obj: object, where: str) -> None:
        nonlocal checked
        if any(isinstance(d, ast.Name) and d.id == "property" for d in fn.decorator_list):
            return
        real = _real_params(real_obj)
        if real is None:
            return
        assert _stub_params(fn) == real, where
        checked += 1

    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            check(node, getattr(_seedance, node.name), node.name)
        elif isinstance(node, ast.ClassDef):
            cls = getattr(_seedance, node.name)
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.name.startswith("__"):
                    check(item, getattr(cls, item.name), f"{node.name}.{item.name}")
                elif isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    check(item, cls, f"{node.name}.__init__")
    assert checked >= 20, checked
