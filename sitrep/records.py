"""Frozen dataclasses made at the speed of plain ones, for the records a question makes by the hundred.

A frozen dataclass's generated `__init__` sets each field through `object.__setattr__`, one call a field
(its own `__setattr__` refuses). A question makes 50 `Hit`s, a few dozen `Phrase`s and a `_Read` and a
`_Candidate` per sentence it reads: measured here, 50 `Hit`s took 214 µs that way and 69 µs with the
fields set at once; made so, the seven record types on the answer's path take 0.7 ms off a
bare-shape `ask` (docs/evaluation.md, "Fewer steps a question").

`quick_init` gives such a class an `__init__` with the same signature (the same defaults, and a new
value from each `default_factory`) that sets the instance's `__dict__` in one call. Everything else is
the dataclass's own: equality, hashing, `repr`, `replace`, `fields`, the refusal to assign. It refuses
a class it could not make the same way (slots, `__post_init__`, fields left out of `__init__`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Give frozen dataclass `cls` an `__init__` that sets all its fields at once (see the module)."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen:
        raise TypeError(f"{cls.__name__}: quick_init is for frozen dataclasses")
    if hasattr(cls, "__post_init__") or "__slots__" in cls.__dict__ or not params.init:
        raise TypeError(f"{cls.__name__}: quick_init cannot keep __post_init__, slots or init=False")
    names: dict[str, Any] = {"__set": object.__setattr__, "__missing": dataclasses.MISSING}
    args, items = [], []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not f.init or f.kw_only:
            raise TypeError(f"{cls.__name__}.{f.name}: quick_init takes positional init fields only")
        if f.default is not dataclasses.MISSING:
            names[f"__default_{f.name}"] = f.default
            args.append(f"{f.name}=__default_{f.name}")
            value = f.name
        elif f.default_factory is not dataclasses.MISSING:
            names[f"__factory_{f.name}"] = f.default_factory
            args.append(f"{f.name}=__missing")
            value = f"__factory_{f.name}() if {f.name} is __missing else {f.name}"
        else:
            args.append(f.name)
            value = f.name
        items.append(f"{f.name!r}: {value}")
    source = f"def __init__(self, {', '.join(args)}):\n    __set(self, '__dict__', {{{', '.join(items)}}})\n"
    made: dict[str, Any] = {}
    exec(source, names, made)  # noqa: S102 (the source is built from the class's own field names)
    init = made["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
