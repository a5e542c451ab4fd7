"""The module map in docs/architecture.md, derived from the code: each module's first docstring line and
the sheetflow modules it imports. `python scripts/architecture.py` rewrites the map in place;
`--check` exits 1 when the page is out of date (tests/test_docs.py runs the check)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sheetflow"
PAGE = ROOT / "docs" / "architecture.md"
START, END = "<!-- module map: made by scripts/architecture.py -->", "<!-- end of module map -->"
# The folders in the order a returned file goes through them (tests/test_flow.py): a module may import the shared
# modules at the top of the package, its own stage and earlier stages, never a later one; the front door
# (``sheetflow/__init__.py``, ``cli``, ``__main__``) comes after them all.
STAGES = ("instruments", "arrival", "intake", "tracking", "outreach", "rollup", "planning")
FRONT = ("sheetflow", "sheetflow.cli", "sheetflow.__main__")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The sheetflow modules ``path`` imports (``from .x import y`` resolved to the module or package)."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if not base.startswith("sheetflow"):
                continue
            for alias in node.names:  # `from . import x` may name a module
                candidate = f"{base}.{alias.name}"
                found.add(candidate if _exists(candidate) else base)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("sheetflow"))
    return found - {here}


def stage_of(module: str) -> str:
    """The stage folder a module belongs to; "shared" for the package's top-level modules, "front" for the front door."""
    if module in FRONT:
        return "front"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else "shared"


def stage_rank(module: str) -> int:
    stage = stage_of(module)
    if stage in STAGES:
        return STAGES.index(stage) + 1
    return 0 if stage == "shared" else len(STAGES) + 1


def _exists(module: str) -> bool:
    relative = Path(*module.split("."))
    return (ROOT / relative).with_suffix(".py").is_file() or (ROOT / relative / "__init__.py").is_file()


def summary(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return " ".join(doc.split("\n\n")[0].split()).replace("|", "\\|")


def module_map() -> str:
    """The markdown table: one row per module, by folder, with what it is and what it uses."""
    rows = ["| module | what it is | uses (sheetflow modules) |", "|---|---|---|"]
    paths = sorted(PACKAGE.rglob("*.py"), key=lambda p: (len(p.relative_to(PACKAGE).parts), str(p)))
    for path in paths:
        if path.name == "__init__.py" and not summary(path):
            continue
        name = module_name(path)
        short = name.removeprefix("sheetflow.")
        uses = ", ".join(f"`{u.removeprefix('sheetflow.') or 'sheetflow'}`" for u in sorted(imports(path)))
        rows.append(f"| `{short}` | {summary(path)} | {uses} |")
    return "\n".join(rows) + "\n"


def rewritten(page: str) -> str:
    before, rest = page.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{module_map()}{END}{after}"


def main(argv: list[str]) -> int:
    page = PAGE.read_text(encoding="utf-8")
    new = rewritten(page)
    if "--check" in argv:
        if new != page:
            print(f"{PAGE.relative_to(ROOT)} is out of date: run python scripts/architecture.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
