"""How a long step reports its progress to whoever shows it (the command line's progress bar), or to nobody."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol


class Progress(Protocol):
    """What reading (or sending) many items reports to: how many there are, then how many more are done."""

    def start(self, total: int) -> None: ...

    def update(self, count: int) -> None: ...


# A step's label ("Reading returns") and the fewest items worth showing a bar for -> a progress to report to.
Showing = Callable[[str, int], AbstractContextManager[Progress]]


class Silent:
    """A progress nobody sees."""

    def __init__(self, _label: str = "", _threshold: int = 0) -> None:
        pass

    def __enter__(self) -> Silent:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def start(self, total: int) -> None:
        return None

    def update(self, count: int) -> None:
        return None
