"""The committed stubs match the native module, and the two clients match each other."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Dict, Set

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
    assert sync == asyn == {"submit", "get_task", "wait", "generate", "download", "close"}
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
