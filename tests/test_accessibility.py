"""Every workbook sheetflow writes, checked as Excel's Accessibility Checker and WCAG 2.1 AA would check it.

The workbooks: both instruments blank, both as personalised for a roster (copies of a generated
workbook with three parts rewritten), and the roll-up of the sample returns. The rules are read
straight from the files' XML (drawings, data validations, styles), independently of sheetflow.
"""

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter, range_boundaries

from sheetflow.cli import main

HERE = Path(__file__).parent
SAMPLES = HERE.parent / "samples"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
DRAWING = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
THEME = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
TITLE_LIMIT, MESSAGE_LIMIT = 32, 255
INSTRUMENTS = ("sector-self-assessment", "sector-action-plan")
# Built-in table styles used by the roll-up: (theme colour of the header fill, of its text), as Excel draws them.
TABLE_HEADERS = {"TableStyleMedium2": ("accent1", "lt1"), "TableStyleMedium9": ("accent1", "lt1"),
                 "TableStyleLight9": ("accent1", "lt1"), "TableStyleMedium1": ("dk1", "lt1"),
                 "TableStyleMedium15": ("dk1", "lt1"), "TableStyleLight1": (None, "dk1"),
                 "TableStyleLight15": (None, "dk1")}


def excel_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.fixture(scope="module")
def sent(tmp_path_factory):
    """Personalised workbooks for the sample roster, both instruments, as `generate --roster` writes them."""
    folder = tmp_path_factory.mktemp("sent")
    for instrument in ("assessment", "action-plan"):
        assert main(["generate", instrument, "--roster", str(SAMPLES / "roster.csv"), "-o", str(folder),
                     "--cycle", "2026"]) == 0
    return folder


@pytest.fixture(scope="module")
def personalised(sent):
    """instrument id -> one personalised workbook of each instrument."""
    return {"sector-self-assessment": next(sent.glob("*Ana Lopez - Self-Assessment.xlsx")),
            "sector-action-plan": next(sent.glob("North Plains - Action Plan.xlsx"))}


@pytest.fixture(scope="module")
def rollup(tmp_path_factory):
    out = tmp_path_factory.mktemp("rollup") / "rollup.xlsx"
    assert main(["rollup", str(SAMPLES / "returns"), "-o", str(out),
                 "--manifest", str(SAMPLES / "sent" / "manifest.csv")]) == 0
    return out


@pytest.fixture(scope="module")
def every_workbook(blank_workbooks, personalised, rollup):
    """label -> path of every kind of workbook sheetflow writes."""
    out = {f"blank {k}": v for k, v in blank_workbooks.items()}
    out.update({f"personalised {k}": v for k, v in personalised.items()})
    out["roll-up"] = rollup
    return out


def parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def sheet_parts(files: dict) -> dict[str, str]:
    """Sheet name -> its part name, from the workbook and its relationships."""
    book = ET.fromstring(files["xl/workbook.xml"])
    rels = ET.fromstring(files["xl/_rels/workbook.xml.rels"])
    targets = {r.get("Id"): r.get("Target") for r in rels}
    rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    return {s.get("name"): "xl/" + targets[s.get(rid)].lstrip("/").removeprefix("xl/")
            for s in book.iter(MAIN + "sheet")}


# -- the rules, as functions returning what breaks them (so a test can also show they catch a break) ----------
def missing_alt_text(files: dict) -> list[str]:
    """Every drawn object (chart, picture, shape) without a description."""
    problems = []
    for name, data in files.items():
        if re.fullmatch(r"xl/drawings/drawing\d+\.xml", name):
            for props in ET.fromstring(data).iter(DRAWING + "cNvPr"):
                if not (props.get("descr") or "").strip():
                    problems.append(f"{name}: {props.get('name')} has no alternative text")
    return problems


def chart_descriptions(files: dict) -> list[str]:
    return [props.get("descr") for name, data in sorted(files.items())
            if re.fullmatch(r"xl/drawings/drawing\d+\.xml", name)
            for props in ET.fromstring(data).iter(DRAWING + "cNvPr")]


def announcements(ws) -> dict[str, tuple[str, str]]:
    """Cell -> (input title, input message) of every data validation that shows an input message."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        if not dv.showInputMessage:
            continue
        for rng in dv.sqref.ranges:
            for row in range(rng.min_row, rng.max_row + 1):
                for col in range(rng.min_col, rng.max_col + 1):
                    out[ws.cell(row, col).coordinate] = (dv.promptTitle or "", dv.prompt or "")
    return out


def question_of(answer) -> str:
    """The question an answer cell answers, as the definition words it (inside the quotes of a label)."""
    quoted = re.fullmatch(r"[^\"“]*[\"“](.+)[\"”]", answer.label)  # Item 7 "…", Element 1, component 2 "…"
    return quoted.group(1) if quoted else answer.label


def unannounced(path, instrument) -> list[str]:
    """Every named answer cell whose input message is missing, too long, or does not say its question."""
    wb = openpyxl.load_workbook(path)
    problems = []
    for answer in instrument.answers:
        if answer.given:  # written by sheetflow for the partner to read, locked: Tab never reaches it
            continue
        (sheet, ref), = list(wb.defined_names[answer.name].destinations)
        ws = wb[sheet]
        said = announcements(ws)
        min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
        for row in range(min_row, max_row + 1):
            for col in range(min_col, max_col + 1):
                if ws.protection.sheet and ws.cell(row, col).protection.locked:
                    continue  # Tab reaches only unlocked cells (a follow-up row with no action is locked)
                where = f"{answer.name} ({sheet}!{ws.cell(row, col).coordinate})"
                title, message = said.get(ws.cell(row, col).coordinate, ("", ""))
                if not title.strip() or not message.strip():
                    problems.append(f"{where} has no input message")
                    continue
                if excel_length(title) > TITLE_LIMIT or excel_length(message) > MESSAGE_LIMIT:
                    problems.append(f"{where}: input title or message longer than Excel allows")
                heard = f"{title}\n{message}"
                if answer.kind == "table":
                    column = answer.columns[col - min_col].label
                    if column not in heard or str(row - min_row + 1) not in title:
                        problems.append(f"{where} does not say its row and column ({column})")
                else:
                    opening = " ".join(question_of(answer).split()[:4])
                    if opening not in heard:
                        problems.append(f"{where} does not say its question ({opening}…)")
                if answer.kind != "table" and answer.required != ("required" in heard.lower()):
                    problems.append(f"{where}: says it is required: {'required' in heard.lower()}, "
                                    f"is: {answer.required}")
    return problems


# -- alternative text ----------------------------------------------------------------------------------
@pytest.mark.parametrize("label", ["blank sector-self-assessment", "blank sector-action-plan",
                                   "personalised sector-self-assessment", "personalised sector-action-plan",
                                   "roll-up"])
def test_every_chart_has_alternative_text(every_workbook, label):
    files = parts(every_workbook[label])
    descriptions = chart_descriptions(files)
    charts = [n for n in files if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
    assert charts and len(descriptions) >= len(charts), "every chart sits in a drawing"
    assert missing_alt_text(files) == []


def test_chart_descriptions_say_what_the_chart_shows(every_workbook, assessment, action_plan):
    text, = chart_descriptions(parts(every_workbook["blank sector-self-assessment"]))
    assert text.lower().startswith("column chart") and all(a.name in text for a in assessment.areas)
    text, = chart_descriptions(parts(every_workbook["personalised sector-action-plan"]))
    assert text.lower().startswith("stacked bar chart")
    assert all(e.name in text for e in action_plan.elements)
    assert all(s in text for s in action_plan.data["status_choices"])
    rollup = chart_descriptions(parts(every_workbook["roll-up"]))
    assert len(rollup) == 5 and len(set(rollup)) == 5  # the fifth: last cycle's actions by progress
    assert any(d.startswith("Stacked bar chart") and "progress" in d for d in rollup)
    by_region = [d for d in rollup if "one bar per region" in d]
    assert len(by_region) == 2
    assert "North Plains, Red River Valley" in by_region[0]  # both regions' assessments are in
    assert by_region[1].endswith("per region: North Plains. The figures are in the table above the chart.")


def test_removing_a_description_is_caught(every_workbook):
    files = parts(every_workbook["blank sector-self-assessment"])
    drawing = next(n for n in files if n.startswith("xl/drawings/drawing"))
    files[drawing] = re.sub(rb' descr="[^"]*"', b"", files[drawing])
    assert missing_alt_text(files) == [f"{drawing}: Chart 1 has no alternative text"]


# -- input messages ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["blank", "personalised"])
@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_every_answer_cell_announces_its_question(every_workbook, kind, instrument_id, request):
    instrument = request.getfixturevalue("assessment" if "assessment" in instrument_id else "action_plan")
    assert unannounced(every_workbook[f"{kind} {instrument_id}"], instrument) == []


def test_removing_an_input_message_is_caught(tmp_path, blank_workbooks, assessment):
    files = parts(blank_workbooks["sector-self-assessment"])
    sheet = sheet_parts(files)["Assessment"]
    xml = files[sheet].decode("utf-8")
    one = re.search(r'<dataValidation [^>]*sqref="E12"[^>]*/>|<dataValidation [^>]*sqref="E12"[^>]*>.*?'
                    r'</dataValidation>', xml, re.S)
    assert one, "comment_07 (E12) has its own validation"
    files[sheet] = xml.replace(one.group(0), "").replace('count="40"', 'count="39"').encode("utf-8")
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    assert unannounced(broken, assessment) == ["comment_07 (Assessment!E12) has no input message"]


def test_input_messages_are_cut_at_a_word_with_an_ellipsis(blank_workbooks):
    wb = openpyxl.load_workbook(blank_workbooks["sector-self-assessment"])
    said = announcements(wb["Assessment"])
    cut = [message for _, message in said.values() if "…" in message]
    assert cut, "the longest capabilities do not fit beside the scale"
    capabilities = "\n".join(str(c.value) for c in wb["Assessment"]["B"] if c.value)
    for message in cut:
        shown = message.split("…")[0].split(": ", 1)[1]
        assert shown in capabilities and not capabilities[capabilities.index(shown) + len(shown)].isalnum(), shown


def test_dropdowns_keep_their_alerts_with_their_messages(blank_workbooks):
    wb = openpyxl.load_workbook(blank_workbooks["sector-action-plan"])
    lists = [dv for dv in wb["Element 1"].data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 5
    assert all(dv.showErrorMessage and dv.error and dv.showInputMessage and dv.prompt for dv in lists)


# -- keyboard order ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_tab_reaches_each_question_before_its_answer(blank_workbooks, instrument_id, request):
    """Tab visits unlocked cells row by row: each answer's question is on its row to the left, or just above."""
    instrument = request.getfixturevalue("assessment" if "assessment" in instrument_id else "action_plan")
    wb = openpyxl.load_workbook(blank_workbooks[instrument_id])

    def question_cell(ws, row, col) -> bool:
        cell = ws.cell(row, col)
        return cell.protection.locked and isinstance(cell.value, str) and bool(cell.value.strip())

    for answer in instrument.answers:
        if answer.given:  # written by sheetflow for the partner to read, locked: Tab never reaches it
            continue
        (sheet, ref), = list(wb.defined_names[answer.name].destinations)
        ws = wb[sheet]
        min_col, min_row, max_col, _ = range_boundaries(ref.replace("$", ""))
        left = any(question_cell(ws, min_row, c) for c in range(1, min_col))
        above = all(question_cell(ws, min_row - 1, c) for c in range(min_col, max_col + 1))
        above = above or (min_col == 1 and question_cell(ws, min_row - 1, 1))  # a merged question row
        assert left or above, f"{answer.name} ({sheet}!{ref}) comes before its question"


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_instructions_and_identity_block_say_how_to_move_with_the_keyboard(blank_workbooks, instrument_id):
    wb = openpyxl.load_workbook(blank_workbooks[instrument_id])
    instructions, details = wb.worksheets[0], wb.worksheets[1]
    for ws in (instructions, details):
        text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
        assert "Shift+Tab" in text and "Tab " in text, ws.title
    first_answer = min(int(dn.attr_text.split("$")[-1]) for dn in wb.defined_names.values()
                       if details.title in dn.attr_text and "sheetflow_" not in dn.name)
    note = next(r for r in range(1, first_answer) if "Shift+Tab" in str(details.cell(r, 1).value))
    assert note < first_answer, "the keyboard note comes before the first answer"


# -- headings ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("label", ["blank sector-self-assessment", "blank sector-action-plan",
                                   "personalised sector-self-assessment", "personalised sector-action-plan",
                                   "roll-up"])
def test_title_and_each_sheets_first_cell(every_workbook, label):
    wb = openpyxl.load_workbook(every_workbook[label])
    assert wb.properties.title and wb.properties.subject
    assert wb.properties.language == "en-US", "a screen reader picks its voice from the document's language"
    assert wb.properties.creator == "sheetflow" and wb.properties.created.year >= 2000
    for ws in wb.worksheets:
        assert isinstance(ws["A1"].value, str) and ws["A1"].value.strip(), f"{ws.title}!A1 is empty"
        assert not re.fullmatch(r"Sheet\d+", ws.title), "sheets have names, not Excel's defaults"


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_question_tables_have_title_names_that_the_contract_does_not_see(blank_workbooks, instrument_id):
    wb = openpyxl.load_workbook(blank_workbooks[instrument_id])
    assert not any(re.match(r"(Column|Row)?Title", name) for name in wb.defined_names), "workbook-level"
    named = 0
    for ws in wb.worksheets:
        for name, dn in ws.defined_names.items():
            if not re.fullmatch(r"(ColumnTitle|RowTitle|Title)\d*", name):
                continue
            (sheet, ref), = list(dn.destinations)
            assert sheet == ws.title
            min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
            titles = ([ws.cell(min_row, c) for c in range(min_col, max_col + 1)] if name.startswith("Column")
                      else [ws.cell(r, min_col) for r in range(min_row, max_row + 1)])
            assert all(c.value or type(c).__name__ == "MergedCell" for c in titles), f"{ws.title}!{name}"
            named += 1
    sheets = {ws.title for ws in wb.worksheets if any(n.endswith("Title1") for n in ws.defined_names)}
    expected = {"About you", "Assessment", "Reflection", "Summary"} if "assessment" in instrument_id else \
        {"Region details", "Summary", *(f"Element {k}" for k in range(1, 7))}
    assert sheets == expected and named >= len(expected)


# -- colour is not the only sign ---------------------------------------------------------------------------------
def still_needed(path) -> tuple:
    """(label, count, words) on the Summary sheet, as cached in the file."""
    ws = openpyxl.load_workbook(path, data_only=True)["Summary"]
    row = next(r for r in range(1, 20) if "still needed" in str(ws.cell(r, 1).value))
    return ws.cell(row, 1).value, ws.cell(row, 2).value, ws.cell(row, 3).value


def test_summary_counts_the_answers_still_needed(blank_workbooks, personalised, assessment, action_plan):
    for instrument in (assessment, action_plan):
        required = [a for a in instrument.answers if a.required]
        _, count, words = still_needed(blank_workbooks[instrument.id])
        assert count == len(required) and "orange" in words
        prefilled = sum(a.group == "identity" for a in required)  # the roster fills every required identity field
        _, count, _ = still_needed(personalised[instrument.id])
        assert count == len(required) - prefilled


@pytest.mark.libreoffice
def test_libreoffice_recounts_the_answers_still_needed(lo_inbox):
    _, count, words = still_needed(lo_inbox["valid assessment.xlsx"])
    assert count == 0 and words.startswith("None")
    _, count, _ = still_needed(lo_inbox["Copy of assessment (2) FINAL.xlsx"])
    assert count == 1  # rating_10 left blank; the wrong answers are answers, the checks report them
    _, count, _ = still_needed(lo_inbox["action plan with problems.xlsx"])
    assert count == 1  # the lead organization


def test_rollup_colour_scales_are_over_figures(rollup):
    wb = openpyxl.load_workbook(rollup, data_only=True)
    scaled = 0
    for ws in wb.worksheets:
        for cf in ws.conditional_formatting:
            if not any(rule.type == "colorScale" for rule in cf.rules):
                continue
            for cells in cf.sqref.ranges:
                for row in ws.iter_rows(min_row=cells.min_row, max_row=cells.max_row, min_col=cells.min_col,
                                        max_col=cells.max_col):
                    for cell in row:
                        assert cell.value in (None, "") or isinstance(cell.value, (int, float)), cell.coordinate
                        scaled += isinstance(cell.value, (int, float))
    assert scaled > 0


# -- contrast -----------------------------------------------------------------------------------------------------------
def luminance(rgb: str) -> float:
    def channel(hex2):
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(rgb[i:i + 2]) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, two: str) -> float:
    a, b = sorted((luminance(one), luminance(two)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def theme_colours(files: dict) -> dict:
    scheme = ET.fromstring(files["xl/theme/theme1.xml"]).find(f".//{THEME}clrScheme")
    out = {}
    for child in scheme:
        colour = child[0]
        out[child.tag.removeprefix(THEME)] = colour.get("lastClr") or colour.get("val")
    return out


def colour(element, theme: dict, default: str) -> str:
    if element is None:
        return default
    if element.get("rgb"):
        return element.get("rgb")[-6:]
    if element.get("theme") is not None:  # 0 light 1, 1 dark 1, 2 light 2, 3 dark 2, then the accents
        order = ["lt1", "dk1", "lt2", "dk2", "accent1", "accent2", "accent3", "accent4", "accent5", "accent6"]
        return theme[order[int(element.get("theme"))]]
    if element.get("indexed") in ("8", "64"):
        return "000000"
    if element.get("indexed") == "9":
        return "FFFFFF"
    if element.get("auto"):
        return default
    raise AssertionError(f"a colour this test cannot read: {element.attrib}")


def text_pairs(path):
    """(where, font colour, background colour, large) of every style used on a sheet, every conditional fill
    and colour-scale colour over it, and every table header."""
    files = parts(path)
    theme = theme_colours(files)
    styles = ET.fromstring(files["xl/styles.xml"])
    fonts = []
    for font in styles.find(MAIN + "fonts"):
        size = float(font.find(MAIN + "sz").get("val")) if font.find(MAIN + "sz") is not None else 11
        fonts.append((colour(font.find(MAIN + "color"), theme, "000000"),
                      size >= 18 or (size >= 14 and font.find(MAIN + "b") is not None)))
    fills = []
    for fill in styles.find(MAIN + "fills"):
        pattern = fill.find(MAIN + "patternFill")
        solid = pattern is not None and pattern.get("patternType") == "solid"
        fills.append(colour(pattern.find(MAIN + "fgColor"), theme, "FFFFFF") if solid else "FFFFFF")
    xfs = [(int(xf.get("fontId", 0)), int(xf.get("fillId", 0))) for xf in styles.find(MAIN + "cellXfs")]
    dxfs = []
    for dxf in styles.find(MAIN + "dxfs") if styles.find(MAIN + "dxfs") is not None else []:
        fill = dxf.find(f"{MAIN}fill/{MAIN}patternFill")
        dxfs.append(None if fill is None else colour(fill.find(MAIN + "bgColor"), theme, "FFFFFF"))
    for sheet, part in sheet_parts(files).items():
        if part not in files or b"<worksheet" not in files[part][:600]:
            continue
        root = ET.fromstring(files[part])
        cells = cell_styles(root)
        for s in set(cells.values()) | {0}:
            font, large = fonts[xfs[s][0]]
            yield f"{sheet} style {s}", font, fills[xfs[s][1]], large
        for cf in root.iter(MAIN + "conditionalFormatting"):
            within = {s for ref in cf.get("sqref").split() for s in styles_in(cells, ref)} or {0}
            for rule in cf.iter(MAIN + "cfRule"):
                backgrounds = [colour(c, theme, "FFFFFF") for c in rule.iter(MAIN + "color")]
                if rule.get("dxfId") is not None and dxfs[int(rule.get("dxfId"))]:
                    backgrounds.append(dxfs[int(rule.get("dxfId"))])
                for background in backgrounds:
                    for s in within:
                        font, large = fonts[xfs[s][0]]
                        yield f"{sheet} {cf.get('sqref')} {rule.get('type')}", font, background, large
        rels = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
        for rel in ET.fromstring(files[rels]) if rels in files else []:
            if rel.get("Type", "").endswith("/table"):
                table = ET.fromstring(files["xl/" + rel.get("Target").removeprefix("../")])
                style = table.find(MAIN + "tableStyleInfo").get("name")
                min_col, min_row, max_col, _ = range_boundaries(table.get("ref"))
                header = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{min_row}"
                own = [fills[xfs[s][1]] != "FFFFFF" for s in styles_in(cells, header)]
                if own and all(own):  # the header cells' own fill is drawn over the table style's
                    for s in set(styles_in(cells, header)):
                        font, large = fonts[xfs[s][0]]
                        yield f"{sheet} table header (its cells' own format)", font, fills[xfs[s][1]], large
                    continue
                assert style in TABLE_HEADERS, f"{sheet}: a table style this test does not know: {style}"
                fill, text = TABLE_HEADERS[style]
                yield f"{sheet} table header ({style})", theme[text], theme[fill] if fill else "FFFFFF", False


def position(ref: str) -> tuple[int, int]:
    column, row = coordinate_from_string(ref)
    return row, column_index_from_string(column)


def cell_styles(sheet) -> dict[tuple[int, int], int]:
    """(row, column) -> style of every written cell of a sheet; a row or cell without its optional ``r``
    comes right after the one before it (as the roll-up's table sheets write them)."""
    cells, row = {}, 0
    for line in sheet.iter(MAIN + "row"):
        row, column = int(line.get("r", row + 1)), 0
        for c in line.iter(MAIN + "c"):
            row_column = position(c.get("r")) if c.get("r") else (row, column + 1)
            column = row_column[1]
            cells[row_column] = int(c.get("s", 0))
    return cells


def styles_in(cells: dict, ref: str) -> list[int]:
    """The style of every written cell in ``ref`` (A1 or A1:C9)."""
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    return [s for (row, col), s in cells.items() if min_row <= row <= max_row and min_col <= col <= max_col]


@pytest.mark.parametrize("label", ["blank sector-self-assessment", "blank sector-action-plan",
                                   "personalised sector-self-assessment", "personalised sector-action-plan",
                                   "roll-up"])
def test_text_contrast_meets_wcag_aa(every_workbook, label):
    pairs = [pair for pair in text_pairs(every_workbook[label]) if "table header" not in pair[0]]
    assert pairs and too_low(pairs) == []


def too_low(pairs) -> list[str]:
    return [f"{where}: #{font} on #{background} is {contrast(font, background):.2f}:1"
            for where, font, background, large in pairs if contrast(font, background) < (3.0 if large else 4.5)]


def test_the_about_sheets_table_header_is_drawn_in_navy(rollup):
    about = [pair for pair in text_pairs(rollup) if pair[0].startswith("About table header")]
    assert about and all("own format" in where and background == "1F3864" for where, _, background, _ in about)


def test_rollup_table_headers_contrast(rollup):
    """Every table's header, whether drawn by its table style or by its cells' own format, is legible."""
    headers = [pair for pair in text_pairs(rollup) if "table header" in pair[0]]
    assert {"Responses", "Actions", "Components", "Submissions", "Problems"} <= {
        where.split(" table header")[0] for where, *_ in headers}
    assert too_low(headers) == []


def test_the_contrast_formula():
    assert round(contrast("000000", "FFFFFF"), 1) == 21.0
    assert round(contrast("767676", "FFFFFF"), 2) == 4.54  # the lightest grey that passes on white
    assert contrast("FFFFFF", "777777") < 4.5


# -- the files open cleanly ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("label", ["blank sector-self-assessment", "blank sector-action-plan",
                                   "personalised sector-self-assessment", "personalised sector-action-plan",
                                   "roll-up"])
def test_openxml_audit_finds_nothing(every_workbook, label):
    from openxml_audit import OpenXmlValidator

    result = OpenXmlValidator().validate(every_workbook[label])
    assert result.is_valid, [e.description for e in result.errors[:10]]
