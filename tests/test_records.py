"""quick_init: a frozen dataclass made with its fields set at once behaves as the dataclass made it."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pytest

from sitrep.answer.candidates import _Candidate, _Read
from sitrep.answer.reader import Phrase
from sitrep.records import quick_init
from sitrep.retrieval.readings import Reading
from sitrep.retrieval.rerank import Matchable
from sitrep.retrieval.types import Citation, Hit


def _record(name: str) -> type:
    """The same frozen dataclass, made twice: once as the dataclass makes it, once for quick_init."""

    @dataclass(frozen=True)
    class Record:
        a: int
        b: str = "b"
        c: tuple[int, ...] = ()
        d: dict[str, int] = field(default_factory=dict)
        e: int | None = None

        @cached_property
        def twice(self) -> int:
            return 2 * self.a

    Record.__name__ = Record.__qualname__ = name  # found by pickle as this module's attribute
    return Record


Plain: Any = _record("Plain")
Quick: Any = quick_init(_record("Quick"))


CALLS = [((1,), {}), ((1, "x"), {}), ((1,), {"e": 5}), ((), {"a": 2, "d": {"k": 1}}), ((3, "y", (1, 2), {"z": 2}, 4), {})]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_made_as_the_dataclass_makes_it(args: tuple, kwargs: dict) -> None:
    plain, quick = Plain(*args, **kwargs), Quick(*args, **kwargs)
    assert vars(quick) == vars(plain)
    assert list(vars(quick)) == [f.name for f in dataclasses.fields(Quick)]  # in field order, as the dataclass sets them
    assert repr(quick) == repr(plain).replace("Plain", "Quick")
    assert quick == Quick(*args, **kwargs)
    assert dataclasses.astuple(quick) == dataclasses.astuple(plain)
    assert quick.twice == plain.twice == 2 * quick.a  # cached_property still has the instance's __dict__


def test_still_frozen_and_every_default_factory_value_new() -> None:
    q = Quick(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.a = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del q.b  # type: ignore[misc]
    assert Quick(1).d is not Quick(1).d
    given = {"k": 1}
    assert Quick(1, d=given).d is given


def test_replace_copy_and_pickle_go_through_it() -> None:
    q = Quick(1, "x", (1,), {"k": 1}, 7)
    assert dataclasses.replace(q, b="y") == Quick(1, "y", (1,), {"k": 1}, 7)
    assert copy.deepcopy(q) == q and pickle.loads(pickle.dumps(q)) == q


def test_wrong_calls_fail_as_the_dataclass_does() -> None:
    for cls in (Plain, Quick):
        with pytest.raises(TypeError):
            cls()  # type: ignore[call-arg]
        with pytest.raises(TypeError):
            cls(1, nope=2)  # type: ignore[call-arg]
        with pytest.raises(TypeError):
            cls(1, "b", (), {}, None, 6)  # type: ignore[call-arg]
        with pytest.raises(TypeError):
            cls(1, a=1)  # type: ignore[misc]


def test_refuses_what_it_could_not_make_the_same() -> None:
    @dataclass
    class Mutable:
        a: int

    @dataclass(frozen=True)
    class Post:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclass(frozen=True, slots=True)
    class Slots:
        a: int

    @dataclass(frozen=True)
    class NotInit:
        a: int
        b: int = field(default=0, init=False)

    @dataclass(frozen=True, kw_only=True)
    class KeywordOnly:
        a: int

    for cls in (Mutable, Post, Slots, NotInit, KeywordOnly, int):
        with pytest.raises(TypeError, match="quick_init"):
            quick_init(cls)


@pytest.mark.parametrize("cls", [Hit, Citation, Phrase, _Read, _Candidate, Reading, Matchable])
def test_the_records_on_the_answers_path_take_every_field(cls: type) -> None:
    values = [object() for _ in dataclasses.fields(cls)]
    made = cls(*values)
    assert [getattr(made, f.name) for f in dataclasses.fields(cls)] == values
    again = cls(**{f.name: v for f, v in zip(dataclasses.fields(cls), values)})
    assert made == again and hash(made) == hash(again)
    assert "__set" in cls.__init__.__code__.co_names  # made by quick_init
