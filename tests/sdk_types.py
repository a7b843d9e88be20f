"""Check a request dict against the SDKs' own TypedDict parameter types, strictly.

The SDKs' TypedDicts describe exactly what each endpoint accepts; pydantic would ignore unknown
keys, so this small walker reports unknown keys, missing required keys and wrong literals.
"""

from __future__ import annotations

import collections.abc as cabc
import types
import typing
from typing import Any, Literal, Union

import typing_extensions
from typing_extensions import get_args, get_origin, get_type_hints, is_typeddict


def problems(value: Any, tp: Any, path: str = "$") -> list[str]:
    """Every way ``value`` does not fit ``tp`` (empty when it fits)."""
    tp = getattr(tp, "__value__", tp)  # PEP 695 type aliases
    origin = get_origin(tp)
    if tp is Any or tp is object:
        return []
    if origin in (typing.Annotated, typing_extensions.Annotated):
        return problems(value, get_args(tp)[0], path)
    if is_typeddict(tp):
        if not isinstance(value, dict):
            return [f"{path}: expected an object for {tp.__name__}"]
        hints = get_type_hints(tp)
        out = [f"{path}.{key}: not a parameter of {tp.__name__}" for key in value if key not in hints]
        out += [f"{path}.{key}: required by {tp.__name__}" for key in tp.__required_keys__ if key not in value]
        for key, item in value.items():
            if key in hints:
                out += problems(item, hints[key], f"{path}.{key}")
        return out
    if origin in (Union, types.UnionType):
        results = [problems(value, arm, path) for arm in get_args(tp)]
        return [] if any(not r for r in results) else min(results, key=len)
    if origin is Literal:
        return [] if value in get_args(tp) else [f"{path}: {value!r} is not one of {get_args(tp)}"]
    if tp is type(None) or tp is None:
        return [] if value is None else [f"{path}: expected null"]
    if origin in (list, cabc.Iterable, cabc.Sequence, typing.Iterable, typing.Sequence):
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        (arg,) = get_args(tp) or (Any,)
        return [p for i, item in enumerate(value) for p in problems(item, arg, f"{path}[{i}]")]
    if origin in (dict, cabc.Mapping, typing.Mapping):
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        args = get_args(tp)
        return [p for k, v in value.items() for p in problems(v, args[1] if args else Any, f"{path}.{k}")]
    if tp is float:
        return [] if isinstance(value, (int, float)) and not isinstance(value, bool) else [f"{path}: expected a number"]
    if tp in (str, int, bool):
        ok = isinstance(value, tp) and (tp is bool or not isinstance(value, bool))
        return [] if ok else [f"{path}: expected {tp.__name__}"]
    return []  # anything exotic (file types, objects) is not used in our requests
