"""Make a large inbox of distinct filled returns for the scale benchmark.

    make_roster(path, people, regions)        a roster CSV: `people` people, one action-plan lead per region
    fill_folder(sent, returns, instruments)   fill every workbook sheetflow generated into `returns`

Most returns are filled by writing the answers straight into the sheet XML (as
inline strings, the way many tools other than Excel write), about one in ten
through openpyxl (shared strings), and a few are then re-saved by LibreOffice
when it is installed, so the reader meets every common way of writing a
workbook. About one in twenty has the mistakes partners make (a rating typed
as a word, a required answer left empty, a formula in a comment).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl

from sheetflow.instruments import definitions

WORDS = ("employers", "college", "pathways", "data", "training", "board", "funding", "apprenticeship",
         "manufacturing", "health care", "outreach", "dashboard", "retention", "credentials", "wages")
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def make_roster(path: Path, people: int, regions: int) -> Path:
    """A roster of `people` people in `regions` regions, ten to an organization, one lead per region."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["organization", "region", "respondent_name", "email", "role", "org_type", "action_plan_lead"])
        for n in range(people):
            region = f"Region {n % regions + 1:03d}"
            organization = f"Partner Organization {n // 10 + 1:04d}"
            out.writerow([organization, region, f"Person {n + 1:05d}", f"person{n + 1:05d}@example.org",
                          "Program Manager", "Workforce board", "yes" if n < regions else "no"])
    return path


def sentence(rng: random.Random, n: int) -> str:
    return f"Note {n}: " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))) + "."


def answers(instrument, rng: random.Random, n: int, mistakes: bool) -> dict:
    """Answers for every question a partner fills (identity answers come pre-filled)."""
    values = {}
    # last cycle's actions (locked) and their follow-up: a first cycle has none, so they stay empty
    followed_up = {name for e in instrument.elements for name in (e.previous_name, e.progress_name)}
    for answer in instrument.answers:
        if (answer.group == "identity" and answer.kind != "date") or answer.name in followed_up:
            continue
        if answer.kind == "rating":
            values[answer.name] = rng.randint(1, 5)
        elif answer.kind in ("yes_no", "status"):
            values[answer.name] = rng.choice(answer.choices)
        elif answer.kind == "date":
            values[answer.name] = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
        elif answer.kind == "table":
            rows = [[sentence(rng, n), sentence(rng, n), f"Q{rng.randint(1, 4)} 2027", f"Organization {n}",
                     rng.choice(["Facilitator", None, "Data analyst"]), sentence(rng, n)]
                    for _ in range(rng.randint(0, 3))]
            values[answer.name] = rows
        elif rng.random() < 0.8:
            values[answer.name] = sentence(rng, n)
    if mistakes:
        ratings = [a.name for a in instrument.answers if a.kind == "rating"]
        statuses = [a.name for a in instrument.answers if a.kind == "status"]
        for name in rng.sample(ratings or statuses, 2):
            values[name] = rng.choice(["four", None, 7]) if ratings else None
        texts = [a.name for a in instrument.answers if a.kind == "long_text"]
        values[rng.choice(texts)] = "=SUM(A1:A3)"
    return values


def _destinations(parts: dict) -> dict[str, tuple[str, int, int]]:
    """defined name -> (sheet part, first row, first column), for a workbook sheetflow wrote."""
    workbook = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    targets = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"', rels))
    sheets = {name: "xl/" + targets[rid] for name, rid in re.findall(r'<sheet name="([^"]+)"[^>]*? r:id="(rId\d+)"', workbook)}
    out = {}
    for name, sheet, col, row in re.findall(r"<definedName name=\"([^\"]+)\">'?(.*?)'?!\$([A-Z]+)\$(\d+)", workbook):
        number = 0
        for letter in col:
            number = number * 26 + ord(letter) - 64
        out[name] = (sheets[sheet.replace("&apos;", "'")], int(row), number)
    return out


def _ref(row: int, col: int) -> str:
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def _cell_xml(ref: str, style: str, value) -> str:
    if value is None:
        return f'<c r="{ref}"{style}/>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}"{style}><v>{(value - dt.date(1899, 12, 30)).days}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    if str(value).startswith("="):
        return f'<c r="{ref}"{style}><f>{escape(str(value)[1:])}</f><v>0</v></c>'
    return f'<c r="{ref}"{style} t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def fill_xml(src: Path, dst: Path, instrument, values: dict) -> None:
    """Write the answers into the sheet XML of a generated workbook (no spreadsheet library)."""
    with zipfile.ZipFile(src) as zf:
        infos = zf.infolist()
        parts = {info.filename: zf.read(info) for info in infos}
    where = _destinations(parts)
    cells: dict[str, dict[str, object]] = {}
    for name, value in values.items():
        part, row, col = where[name]
        if isinstance(value, list):
            for r, line in enumerate(value):
                for c, item in enumerate(line):
                    cells.setdefault(part, {})[_ref(row + r, col + c)] = item
        else:
            cells.setdefault(part, {})[_ref(row, col)] = value
    for part, changes in cells.items():
        text = parts[part].decode()

        def put(match, changes=changes):
            ref, style = match.group(1), match.group(2)
            return _cell_xml(ref, style, changes[ref]) if ref in changes else match.group(0)

        parts[part] = re.sub(r'<c r="([A-Z]+\d+)"( s="\d+")?/>', put, text).encode()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for info in infos:
            out.writestr(info, parts[info.filename])


def fill_openpyxl(src: Path, dst: Path, instrument, values: dict) -> None:
    """Fill through openpyxl, which writes shared strings and its own styles."""
    wb = openpyxl.load_workbook(src)
    for name, value in values.items():
        (sheet, ref), = wb.defined_names[name].destinations
        ws = wb[sheet]
        top = ws[ref.replace("$", "").split(":")[0]]
        if isinstance(value, list):
            for r, line in enumerate(value):
                for c, item in enumerate(line):
                    ws.cell(top.row + r, top.column + c, item)
        else:
            top.value = value
    wb.save(dst)


def resave_libreoffice(files: list[Path], folder: Path) -> list[Path]:
    """Open and save each file in LibreOffice (one soffice run); [] if LibreOffice is not installed."""
    if not files or not shutil.which("soffice"):
        return []
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-lo-") as profile:
        subprocess.run(["soffice", "--headless", "--norestore", "-env:UserInstallation=" + Path(profile).as_uri(),
                        "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(folder),
                        *map(str, files)], capture_output=True, timeout=1800, check=False)
    return [folder / f.name for f in files if (folder / f.name).exists()]


def fill_folder(sent: Path, returns: Path, libreoffice: int = 20, seed: int = 7) -> dict[str, int]:
    """Fill every workbook in `sent` into `returns` (same file names); how many were filled each way."""
    rng = random.Random(seed)
    instruments = definitions.load_all()
    by_file = {}
    with open(sent / "manifest.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_file[row["file"]] = instruments[row["instrument"]]
    returns.mkdir(parents=True, exist_ok=True)
    counts = {"xml": 0, "openpyxl": 0, "libreoffice": 0}
    through_openpyxl = []
    for n, (name, instrument) in enumerate(sorted(by_file.items())):
        values = answers(instrument, rng, n, mistakes=rng.random() < 0.05)
        if n % 10 == 3:
            fill_openpyxl(sent / name, returns / name, instrument, values)
            through_openpyxl.append(returns / name)
            counts["openpyxl"] += 1
        else:
            fill_xml(sent / name, returns / name, instrument, values)
            counts["xml"] += 1
    with tempfile.TemporaryDirectory(prefix="bench-resaved-") as tmp:
        for path in resave_libreoffice(through_openpyxl[:libreoffice], Path(tmp)):
            shutil.move(path, returns / path.name)
            counts["libreoffice"] += 1
            counts["openpyxl"] -= 1
    return counts
