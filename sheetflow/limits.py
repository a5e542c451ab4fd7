"""How much a returned file may hold: one set of limits, read by collect (zips in mail) and intake (workbooks)."""

from __future__ import annotations

from dataclasses import dataclass

RATIO_FLOOR = 1 << 20    # compression ratio is only judged once a part passes 1 MB


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 20 * 1024 * 1024
    max_members: int = 2000
    max_uncompressed_bytes: int = 200 * 1024 * 1024   # total, counted while decompressing
    max_member_bytes: int = 100 * 1024 * 1024
    max_ratio: float = 200.0                          # per part: uncompressed / compressed
    max_rows: int | None = None   # template area: cells, rows or <dimension> beyond it are refused
    max_cols: int | None = None
