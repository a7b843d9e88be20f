"""The read-ahead that lets Arrow parse the next chunk of a file while prepare builds from the last."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing

import pytest

from app.core.data.background import read_ahead


def _producer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "read-ahead"]


def test_items_come_in_order_and_the_producer_ends() -> None:
    assert list(read_ahead(iter(range(1000)), 2)) == list(range(1000))
    assert not _producer_threads()


def test_an_error_in_producing_is_raised_to_the_reader_after_the_items_before_it() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("bad block")

    taken = []
    with pytest.raises(ValueError, match="bad block"):
        for item in read_ahead(items(), 2):
            taken.append(item)
    assert taken == [1, 2]
    assert not _producer_threads()


def test_stopping_early_stops_the_producer() -> None:
    produced = []

    def items() -> Iterator[int]:
        for n in range(10_000):
            produced.append(n)
            yield n

    with closing(read_ahead(items(), 2)) as ahead:
        assert [next(ahead) for _ in range(3)] == [0, 1, 2]
    assert not _producer_threads()
    assert len(produced) <= 3 + 2 + 1  # what was taken, the queue's depth, and one in hand
