"""Run a reader on a hostile file in a separate, short-lived worker process.

The worker is started with the "spawn" method (works the same on Linux, macOS
and Windows), gets an address-space limit where the ``resource`` module exists,
and is killed if it runs too long.  A crash, a timeout or running out of memory
becomes ``IsolationFailed`` with one plain line for a convener; an ordinary
exception raised by the function is re-raised in the caller as the same type.
"""

from __future__ import annotations

import multiprocessing
import signal
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, Iterator

try:
    import resource
except ImportError:   # Windows
    resource = None

__all__ = ["IsolationFailed", "run_isolated", "run_isolated_many"]


class IsolationFailed(Exception):
    """The worker died, ran out of memory or took too long; ``reason`` is one plain line."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def run_isolated(func: Callable[..., Any], *args: Any, timeout: float, memory_bytes: int) -> Any:
    """Return ``func(*args)`` computed in a fresh worker process.

    ``func`` and ``args`` must be picklable (``func`` a top-level function).
    The timeout includes starting the worker (a fraction of a second).
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_worker, args=(sender, memory_bytes, func, args), daemon=True)
    worker.start()
    sender.close()   # so the receiver sees end-of-file if the worker dies
    try:
        if not receiver.poll(timeout):
            worker.kill()
            raise IsolationFailed(f"reading this file took longer than {timeout:g} s")
        try:
            outcome, value = receiver.recv()
        except EOFError:   # the worker died without answering
            worker.join()
            raise IsolationFailed(_death_reason(worker.exitcode)) from None
        except Exception as problem:   # e.g. an exception type that cannot be rebuilt here
            raise RuntimeError(f"the reader's answer could not be read back ({problem})") from None
    finally:
        worker.join(1)   # a worker that answered exits promptly
        if worker.is_alive():
            worker.kill()
            worker.join()
        receiver.close()
    if outcome == "memory":
        raise IsolationFailed(f"reading this file used more memory than allowed ({memory_bytes / 2**20:.0f} MB)")
    if outcome == "error":
        raise value
    return value


def run_isolated_many(func: Callable[[Any], Any], items: Iterable[Any], timeout: float, memory_bytes: int,
                      workers: int = 2) -> Iterator[tuple[Any, Any]]:
    """Yield ``(item, result)`` in input order, running at most ``workers`` worker processes at once.

    Each item gets its own worker, so one item's crash or timeout never affects
    another.  When an item fails, ``result`` is the exception instead of a value:
    ``IsolationFailed`` for a crash, timeout or memory limit, otherwise whatever
    ``func`` raised.
    """
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        jobs = [(item, pool.submit(_run_one, func, item, timeout, memory_bytes)) for item in items]
        for item, job in jobs:
            yield item, job.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)   # if the caller stops early, start no more workers


def _run_one(func: Callable[[Any], Any], item: Any, timeout: float, memory_bytes: int) -> Any:
    try:
        return run_isolated(func, item, timeout=timeout, memory_bytes=memory_bytes)
    except Exception as exc:
        return exc


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


def _limit_memory(memory_bytes: int) -> None:
    if resource is None:
        return
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))   # no core dumps from crashes on hostile files
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):   # e.g. macOS does not support RLIMIT_AS
        pass


def _worker(sender, memory_bytes: int, func: Callable[..., Any], args: tuple) -> None:
    _limit_memory(memory_bytes)
    try:
        answer = ("ok", func(*args))
    except MemoryError:
        answer = ("memory", None)
    except Exception as exc:   # SystemExit etc. end the worker: the parent reports the exit
        exc.add_note("".join(traceback.format_exception(exc)).rstrip())   # the worker's traceback
        answer = ("error", exc)
    try:
        sender.send(answer)   # pickles first, so a failure here sends nothing
    except MemoryError:
        sender.send(("memory", None))
    except Exception as problem:
        what = "result" if answer[0] == "ok" else f"{type(answer[1]).__name__}: {answer[1]}"
        sender.send(("error", RuntimeError(f"the reader's {what} could not be sent back ({problem})")))
    sender.close()
