"""run_isolated / run_isolated_many.  Worker functions must be top-level so "spawn" can import them."""

from __future__ import annotations

import os
import sys
import time

import pytest

from sheetflow.intake.isolation import Helper, IsolationFailed, run_isolated, run_isolated_many

MEMORY = 512 * 1024 * 1024

memory_limit_enforced = pytest.mark.skipif(
    sys.platform in ("win32", "darwin"), reason="RLIMIT_AS is only enforced on Linux and similar systems")


class PartnerFileError(Exception):
    pass


def add(a, b):
    return a + b


def allocate(size):
    return len(bytearray(size))


def sleep_for(seconds):
    time.sleep(seconds)
    return "woke"


def abort():
    os.abort()


def raise_partner_error(message):
    raise PartnerFileError(message)


def read_item(item):
    if item == "abort":
        os.abort()
    if item == "bad":
        raise ValueError("bad item")
    return item.upper()


def test_returns_the_result():
    assert run_isolated(add, 2, 3, timeout=60, memory_bytes=MEMORY) == 5


@memory_limit_enforced
def test_too_much_memory():
    with pytest.raises(IsolationFailed) as caught:
        run_isolated(allocate, 4 * MEMORY, timeout=60, memory_bytes=MEMORY)
    assert caught.value.reason == "reading this file used more memory than allowed (512 MB)"


def test_timeout_kills_the_worker():
    with pytest.raises(IsolationFailed) as caught:
        run_isolated(sleep_for, 60, timeout=2, memory_bytes=MEMORY)
    assert caught.value.reason == "reading this file took longer than 2 s"


@pytest.mark.skipif(sys.platform == "win32", reason="no POSIX signals on Windows")
def test_crash():
    with pytest.raises(IsolationFailed) as caught:
        run_isolated(abort, timeout=60, memory_bytes=MEMORY)
    assert caught.value.reason == "the reader crashed on this file (signal SIGABRT)"


def test_exception_is_reraised_as_the_same_type():
    with pytest.raises(PartnerFileError, match="no such sheet"):
        run_isolated(raise_partner_error, "no such sheet", timeout=60, memory_bytes=MEMORY)
    with pytest.raises(ZeroDivisionError):
        run_isolated(divmod, 1, 0, timeout=60, memory_bytes=MEMORY)


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
    assert isinstance(outcome, Rejected) and "empty" in outcome.reason


def test_a_helper_started_early_computes_a_job_handed_to_it_later():
    with Helper(read_item) as helper:
        helper.submit("north")
        assert helper.result(timeout=60) == "NORTH"


def test_a_helper_reraises_an_error_and_reports_its_death():
    with Helper(read_item) as helper:
        helper.submit("bad")
        with pytest.raises(ValueError, match="bad item"):
            helper.result(timeout=60)
    with Helper(read_item) as helper:
        helper.submit("abort")
        with pytest.raises(IsolationFailed, match="crashed"):
            helper.result(timeout=60)
    with Helper(sleep_for) as helper:
        helper.submit(60)
        with pytest.raises(IsolationFailed, match="longer than 1 s"):
            helper.result(timeout=1)
