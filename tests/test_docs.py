"""The documentation: every command and option is documented, every link leads somewhere, the module map is
the code's, and the codes table is intake's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click

from sheetflow.cli import cli

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]


def docs_text() -> str:
    return "\n".join(page.read_text(encoding="utf-8") for page in PAGES)


def commands(group: click.Group, prefix: str = "sheetflow") -> dict[str, click.Command]:
    """Every command of the command line, by its full name, the groups' too."""
    found: dict[str, click.Command] = {prefix: group}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found.update(commands(command, f"{prefix} {name}"))
        else:
            found[f"{prefix} {name}"] = command
    return found


def undocumented(text: str) -> list[str]:
    missing = []
    for name, command in commands(cli).items():
        if name != "sheetflow" and not re.search(rf"{re.escape(name)}\b", text):
            missing.append(name)
        for param in command.params:
            if isinstance(param, click.Option):
                longest = max(param.opts + param.secondary_opts, key=len)
                if not re.search(rf"{re.escape(longest)}(?![\w-])", text):
                    missing.append(f"{name} {longest}")
    return missing


def test_every_command_and_option_is_in_the_docs():
    assert commands(cli).keys() >= {"sheetflow generate", "sheetflow rollup", "sheetflow collect"}
    assert undocumented(docs_text()) == []


def test_a_command_or_option_left_out_of_the_docs_is_found():
    text = docs_text()
    assert "sheetflow rollup --no-pivots" in undocumented(text.replace("--no-pivots", "--no-such-option"))
    assert "sheetflow status" in undocumented(re.sub(r"sheetflow status\b", "sheetflow st", text))


def test_every_link_in_the_docs_leads_to_a_file():
    broken = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            if not (page.parent / target.split("#")[0]).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []
    pictures = {p.name for p in (ROOT / "docs").glob("*.png")}
    shown = set(re.findall(r"docs/([\w-]+\.png)", (ROOT / "README.md").read_text(encoding="utf-8")))
    assert shown == pictures  # the README shows or links every picture


def test_the_architecture_page_is_the_code_s_module_map():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "architecture.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
