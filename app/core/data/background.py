"""Work handed to another thread while this one goes on: for work that lets go of Python's lock
(hashing, reading, Arrow's parsing, numpy), which then runs beside the Python work that needs it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from queue import Full, Queue
from typing import Any, TypeVar

T = TypeVar("T")


def meanwhile(function: Callable[..., T], *args: Any) -> Callable[[], T]:
    """Start ``function(*args)`` on another thread; the returned function waits for its result
    (or raises its error). Worth it for work that lets go of the GIL: hashing, reading, numpy."""
    pool = ThreadPoolExecutor(1, thread_name_prefix=function.__name__)
    result = pool.submit(function, *args)
    pool.shutdown(wait=False)
    return result.result


def read_ahead(items: Iterable[T], depth: int) -> Iterator[T]:
    """The items of ``items``, produced on another thread up to ``depth`` ahead of the one taken.

    For work that lets go of the GIL while it produces: Arrow parses a CSV chunk in the thread that
    asks for it, so this thread can build requests from one chunk while the next is parsed. An
    error in producing is raised here; stopping early stops the producer before returning.
    """
    queue: Queue[tuple[bool, Any]] = Queue(depth)
    stop = threading.Event()

    def put(entry: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                queue.put(entry, timeout=0.05)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((False, item)):
                    return
            put((True, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            put((True, exc))

    producer = threading.Thread(target=produce, name="read-ahead", daemon=True)
    producer.start()
    try:
        while True:
            finished, value = queue.get()
            if finished:
                if value is not None:
                    raise value
                return
            yield value
    finally:
        stop.set()
        producer.join()
