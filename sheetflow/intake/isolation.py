"""Worker processes with memory and time limits, so a reader crashing on a hostile file fails that file only.

The worker is started with the "spawn" method (works the same on Linux, macOS
and Windows), gets an address-space limit where the ``resource`` module exists,
and is killed if it runs too long. ``run_isolated_many`` keeps a few workers
for a whole batch and hands them one item at a time. A crash, a timeout or
running out of memory becomes ``IsolationFailed`` with one plain line for a
convener and its code; an ordinary exception raised by the function is that
item's result.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from multiprocessing import connection
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext
from typing import Generic, Literal, TypeVar

from .codes import Code

if sys.platform != "win32":   # Windows has no resource module (and no address-space limit)
    import resource

__all__ = ["IsolationFailed", "run_isolated_many"]


class IsolationFailed(Exception):
    """The worker died, ran out of memory or took too long; ``reason`` is one plain line, ``code`` which of
    the three: ``Code.READER_CRASHED``, ``Code.OUT_OF_MEMORY`` or ``Code.TIMEOUT``."""

    def __init__(self, reason: str, code: Code):
        super().__init__(reason)
        self.reason, self.code = reason, code

    def __reduce__(self) -> tuple[type[IsolationFailed], tuple[str, Code], dict[str, object]]:
        return type(self), (self.reason, self.code), self.__dict__


Item = TypeVar("Item")
Result = TypeVar("Result")
# What a worker is sent: an item and its place in the batch, or None (stop); what it answers, for that place:
# func(item), the exception func raised, or None when it ran out of memory.
_Task = tuple[int, Item] | None
_Answer = (tuple[Literal["ok"], int, Result] | tuple[Literal["error"], int, Exception]
           | tuple[Literal["memory"], int, None])


def run_isolated_many(func: Callable[[Item], Result], items: Iterable[Item], timeout: float, memory_bytes: int,
                      workers: int = 2) -> Iterator[tuple[Item, Result | Exception]]:
    """Yield ``(item, func(item))`` for every item, in input order, computed by ``workers`` worker processes.

    Each worker is started once and handed one item at a time (with one more
    queued, so it never waits), and answers for each item separately; ``timeout``
    applies to each item. When a worker crashes, runs out of memory or takes too
    long, only the item it was on fails (``result`` is ``IsolationFailed``); the
    worker is replaced and the items it had queued go to the next one. An
    ordinary exception raised by ``func`` is the result for that item, and the
    worker carries on.
    """
    pool = _Pool(func, list(items), timeout, memory_bytes, max(1, workers))
    try:
        yield from pool.results()
    finally:
        pool.close()


class _Worker(Generic[Item, Result]):
    """One worker process and the items it has been handed, oldest first."""

    def __init__(self, context: SpawnContext, func: Callable[[Item], Result], memory_bytes: int | None):
        self.connection: Connection[_Task[Item], _Answer[Result]]
        self.connection, child = context.Pipe(duplex=True)
        self.process = context.Process(target=_serve, args=(child, memory_bytes, func), daemon=True)
        self.process.start()
        child.close()
        self.queued: list[int] = []
        self.since = time.monotonic()  # when it last answered (or started)
        self.told = False  # to stop

    def tell_to_stop(self) -> None:
        try:
            self.connection.send(None)
            self.told = True
        except (OSError, ValueError):
            pass

    def stop(self, kill: bool = False) -> None:
        try:
            if not kill and not self.told:
                self.connection.send(None)
        except (OSError, ValueError):
            kill = True
        if kill:
            self.process.kill()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()


class _Pool(Generic[Item, Result]):
    QUEUE = 4  # items handed to a worker at once (so it keeps busy while the parent is slow to answer)

    def __init__(self, func: Callable[[Item], Result], items: list[Item], timeout: float, memory_bytes: int,
                 workers: int):
        self.func, self.items, self.timeout, self.memory_bytes = func, items, timeout, memory_bytes
        self.size = min(workers, len(items)) or 1
        self.context = multiprocessing.get_context("spawn")
        self.todo = list(range(len(items)))[::-1]  # a stack: the next item is at the end
        self.done: dict[int, Result | Exception] = {}
        self.workers: list[_Worker[Item, Result]] = []

    def results(self) -> Iterator[tuple[Item, Result | Exception]]:
        for index, item in enumerate(self.items):
            while index not in self.done:
                self._step()
            yield item, self.done.pop(index)

    def _step(self) -> None:
        while len(self.workers) < self.size and self.todo:
            self.workers.append(_Worker(self.context, self.func, self.memory_bytes))
        for worker in list(self.workers):
            self._feed(worker)
        busy = [w for w in self.workers if w.queued]
        if not busy:
            return
        now = time.monotonic()
        wait = max(0.0, min(w.since + self.timeout for w in busy) - now)
        ready = connection.wait([w.connection for w in busy], timeout=wait)
        for worker in busy:
            if worker.connection in ready:
                self._receive(worker)
                while worker in self.workers and worker.queued and worker.connection.poll():
                    self._receive(worker)  # take every answer waiting, so a busy parent never holds a worker up
            elif time.monotonic() > worker.since + self.timeout:
                late = IsolationFailed(f"reading this file took longer than {self.timeout:g} s", Code.TIMEOUT)
                self._fail(worker, late, kill=True)

    def _feed(self, worker: _Worker[Item, Result]) -> None:
        while len(worker.queued) < self.QUEUE and self.todo and worker in self.workers:
            index = self.todo.pop()
            worker.queued.append(index)
            try:
                worker.connection.send((index, self.items[index]))
            except OSError:  # the worker is gone: the oldest item it holds fails, so every loop makes progress
                worker.process.join(1)
                self._fail(worker, IsolationFailed(_death_reason(worker.process.exitcode), Code.READER_CRASHED))

    def _receive(self, worker: _Worker[Item, Result]) -> None:
        answer: _Answer[Result]
        try:
            answer = worker.connection.recv()
        except (EOFError, OSError):  # the worker died without answering
            worker.process.join()
            self._fail(worker, IsolationFailed(_death_reason(worker.process.exitcode), Code.READER_CRASHED))
            return
        except Exception as problem:  # e.g. an exception type that cannot be rebuilt here
            answer = ("error", worker.queued[0],
                      RuntimeError(f"the reader's answer could not be read back ({problem})"))
        index = answer[1]
        worker.queued.remove(index)
        worker.since = time.monotonic()
        if answer[0] == "memory":
            self.done[index] = IsolationFailed(f"reading this file used more memory than allowed "
                                               f"({self.memory_bytes / 2**20:.0f} MB)", Code.OUT_OF_MEMORY)
        else:
            self.done[index] = answer[2]

    def _fail(self, worker: _Worker[Item, Result], error: IsolationFailed, kill: bool = False) -> None:
        """The worker's current item fails; the items queued behind it go back to the others."""
        current, *rest = worker.queued
        self.done[current] = error
        self.todo.extend(reversed(rest))
        self.workers.remove(worker)
        worker.stop(kill=True)

    def close(self) -> None:
        for worker in self.workers:  # all are told first, so that they exit together
            worker.tell_to_stop()
        for worker in self.workers:
            worker.stop()
        self.workers = []


def _serve(connection: Connection[_Answer[Result], _Task[Item]], memory_bytes: int | None,
           func: Callable[[Item], Result]) -> None:
    """A worker's life: answer (index, item) messages with func(item) until told to stop."""
    _limit_memory(memory_bytes)
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            break
        if message is None:
            break
        index, item = message
        answer: _Answer[Result]
        try:
            answer = ("ok", index, func(item))
        except MemoryError:
            answer = ("memory", index, None)
        except Exception as exc:
            exc.add_note("".join(traceback.format_exception(exc)).rstrip())  # the worker's traceback
            answer = ("error", index, exc)
        try:
            connection.send(answer)  # pickles first, so a failure here sends nothing
        except MemoryError:
            connection.send(("memory", index, None))
        except Exception as problem:
            what = "result" if answer[0] == "ok" else f"{type(answer[2]).__name__}: {answer[2]}"
            connection.send(("error", index, RuntimeError(f"the reader's {what} could not be sent back ({problem})")))
    connection.close()


def _death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = str(-exitcode)
        return f"the reader crashed on this file (signal {name})"
    if exitcode:
        return f"the reader crashed on this file (exit code {exitcode})"
    return "the reader stopped on this file without giving a result"


def _limit_memory(memory_bytes: int | None) -> None:
    if sys.platform == "win32" or memory_bytes is None:
        return
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))   # no core dumps from crashes on hostile files
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):   # e.g. macOS does not support RLIMIT_AS
        pass
