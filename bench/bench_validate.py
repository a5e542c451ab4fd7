"""How fast does `validate` get through an inbox? (A benchmark, not a test.)

    .venv/bin/python bench/bench_validate.py [copies]

Copies the sample returns `copies` times (default 10, about 230 files) into a
temporary inbox, validates it twice (1 and 2 workers) and prints the time per file.
"""

import shutil
import sys
import tempfile
import time
from pathlib import Path

from sheetflow.validate import validate_paths

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "returns"


def main(copies: int = 10) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp)
        for k in range(copies):
            folder = inbox / f"batch{k:03d}"
            shutil.copytree(SAMPLES, folder)
        files = sum(1 for p in inbox.rglob("*") if p.is_file())
        for workers in (1, 2):
            start = time.perf_counter()
            report = validate_paths([inbox], workers=workers)
            elapsed = time.perf_counter() - start
            print(f"{files} files, {workers} worker(s): {elapsed:.1f} s, {1000 * elapsed / files:.0f} ms per file; "
                  f"{report.summary}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
