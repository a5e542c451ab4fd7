"""The worker pool (run_isolated_many); worker functions are top-level so "spawn" imports them."""

from __future__ import annotations

import os
import sys
import time

import pytest

from sheetflow.intake.isolation import IsolationFailed, run_isolated_many

MEMORY = 512 * 1024 * 1024

memory_limit_enforced = pytest.mark.skipif(
    sys.platform in ("win32", "darwin"), reason="RLIMIT_AS is only enforced on Linux and similar systems")


class PartnerFileError(Exception):
    pass


def allocate(size):
    return len(bytearray(size))


def sleep_for(seconds):
    time.sleep(seconds)
    return "woke"


def raise_partner_error(message):
    raise PartnerFileError(message)


def read_item(item):
    if item == "abort":
        os.abort()
    if item == "bad":
        raise ValueError("bad item")
    return item.upper()


def run_one(func, item, timeout=60, memory_bytes=MEMORY):
    """func(item) computed by the pool, as validation computes each file."""
    [(given, result)] = run_isolated_many(func, [item], timeout=timeout, memory_bytes=memory_bytes, workers=1)
    assert given == item
    return result


def test_returns_the_result():
    assert run_one(read_item, "north") == "NORTH"


@memory_limit_enforced
def test_too_much_memory_fails_that_item_and_the_pool_carries_on():
    results = list(run_isolated_many(allocate, [1000, 4 * MEMORY, 2000], timeout=60, memory_bytes=MEMORY,
                                     workers=1))
    assert [item for item, _ in results] == [1000, 4 * MEMORY, 2000]
    failed = results[1][1]
    assert isinstance(failed, IsolationFailed) and failed.code == "out-of-memory"
    assert failed.reason == "reading this file used more memory than allowed (512 MB)"
    assert results[0][1] == 1000 and results[2][1] == 2000


def test_timeout_kills_the_worker_and_the_next_item_is_read_by_a_new_one():
    started = time.monotonic()
    results = list(run_isolated_many(sleep_for, [60, 0], timeout=2, memory_bytes=MEMORY, workers=1))
    assert time.monotonic() - started < 30, "the sleeping worker was killed, not waited for"
    late = results[0][1]
    assert isinstance(late, IsolationFailed) and late.code == "timeout"
    assert late.reason == "reading this file took longer than 2 s"
    assert results[1] == (0, "woke")


@pytest.mark.skipif(sys.platform == "win32", reason="no POSIX signals on Windows")
def test_crash():
    crashed = run_one(read_item, "abort")
    assert isinstance(crashed, IsolationFailed) and crashed.code == "reader-crashed"
    assert crashed.reason == "the reader crashed on this file (signal SIGABRT)"


def test_an_exception_is_the_result_with_its_own_type():
    error = run_one(raise_partner_error, "no such sheet")
    assert isinstance(error, PartnerFileError) and str(error) == "no such sheet"
    assert isinstance(run_one(abs, "not a number"), TypeError)


def test_batch_survives_a_crash_in_the_middle():
    results = list(run_isolated_many(read_item, ["north", "abort", "bad", "south"], timeout=60,
                                     memory_bytes=MEMORY, workers=2))
    assert [item for item, _ in results] == ["north", "abort", "bad", "south"]
    assert results[0][1] == "NORTH" and results[3][1] == "SOUTH"
    assert isinstance(results[1][1], IsolationFailed) and "crashed" in results[1][1].reason
    assert isinstance(results[2][1], ValueError)


def test_batch_of_package_checks(tmp_path):
    from sheetflow.intake.package import Rejected, check_package
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    [(item, outcome)] = run_isolated_many(check_package, [empty], timeout=60, memory_bytes=MEMORY)
    assert isinstance(outcome, Rejected) and outcome.code == "empty" and "empty" in outcome.reason
