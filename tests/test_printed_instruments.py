"""The two instruments' workbooks as they print, blank and filled in (LibreOffice's PDF, read with pdftotext).

Each workbook is converted once for the module. The checks are what a convener would look for on
paper: every page on Letter with the header and its page number, each capability and component
printed whole, the column headings on every page a table reaches, no area heading alone at the
foot of a page, no page left with nothing but its title, and wording that ends where it should.
"""

import concurrent.futures
import re
import subprocess

import pytest

import libreoffice
import printed
from conftest import SAMPLES, complete_answers
from sheetflow.instruments.followup_block import PreviousPlan
from sheetflow.instruments.layout import bullets
from sheetflow.instruments.workbook import Request, generate
from sheetflow.planning.region_results import COLUMNS, assessment_results

pytestmark = pytest.mark.libreoffice
BOOKS = ("assessment", "assessment filled", "action plan", "action plan filled", "action plan with results")
LANDSCAPE = re.compile(r"^(Assessment|Element \d+|Summary|Self-assessment results( \(2\))?)$")


def action_rows(element: int, rows: int) -> list[list[str]]:
    """A full action table, each cell as long as a partner's note in it might be."""
    return [[f"Objective {r} of element {element}: agree on one shared way of working",
             f"Key actions {r}.{element}: convene the partners, write it down, review it quarterly",
             f"Q{r % 4 + 1} 2026", f"Lead {r}.{element} Prairie Workforce Board",
             f"Resources {r}.{element}: facilitator time", f"Outcome {r}.{element}: one agreed plan"]
            for r in range(1, rows + 1)]


def previous_plan(action_plan) -> PreviousPlan:
    """Last cycle's plan with every action row used, so the follow-up block is full."""
    actions = {e.number: [[f"Planned in 2025 as {e.number}.{r}: set up a shared calendar of partner meetings",
                           f"Steps {e.number}.{r}: ask each partner for dates", "During 2025",
                           f"Partner {e.number}.{r}"][:len(action_plan.shown_columns)] for r in range(1, 9)]
               for e in action_plan.elements}
    return PreviousPlan("00000000-0000-4000-8000-000000000099", "2025", "North Plains", {}, actions)


def region_results():
    """North Plains' results from the sample returns, as an action plan made with --assessments shows them."""
    return assessment_results([SAMPLES / "returns"], "2026").for_region("North Plains")


@pytest.fixture(scope="module")
def books(tmp_path_factory, assessment, action_plan):
    """{book: (its PDF, {sheet: [page text, ...]})} for a blank and a filled copy of each instrument."""
    folder = tmp_path_factory.mktemp("printed-instruments")
    sa, ap = folder / "assessment.xlsx", folder / "action plan.xlsx"
    generate(Request(assessment, response_id="00000000-0000-4000-8000-000000000011", cycle="2026"), sa)
    generate(Request(action_plan, response_id="00000000-0000-4000-8000-000000000012", cycle="2026",
                     previous=previous_plan(action_plan)), ap)
    results = folder / "action plan with results.xlsx"  # the region's self-assessment results come first
    generate(Request(action_plan, response_id="00000000-0000-4000-8000-000000000013", cycle="2026",
                     results=region_results()), results)
    long_comment = "We rate this as we do because the partners agree on it but have not yet written it down. " * 2
    sa_values = complete_answers(assessment, **{c.comment_name: long_comment for c in assessment.capabilities})
    ap_values = complete_answers(action_plan, **{e.actions_name: action_rows(e.number, 8)
                                                 for e in action_plan.elements})
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        filled = [pool.submit(libreoffice.fill_by_name, src, values, folder / "filled" / src.name)
                  for src, values in ((sa, sa_values), (ap, ap_values))]
        workbooks = dict(zip(BOOKS, (sa, filled[0].result(), ap, filled[1].result(), results)))
        headers = {name: (assessment if "assessment" in name else action_plan).text["labels"]["header"]
                   for name in BOOKS}
        jobs = {name: pool.submit(printed.pages_by_sheet, book, folder / "pdf" / name.replace(" ", "-"),
                                  headers[name]) for name, book in workbooks.items()}
        pages = {name: job.result() for name, job in jobs.items()}
    pdfs = {name: folder / "pdf" / name.replace(" ", "-") / f"{workbooks[name].stem}.pdf" for name in BOOKS}
    return {name: (pdfs[name], pages[name]) for name in BOOKS}


def without_header(text: str, header: str, sheet: str) -> str:
    """A page's text after its header and page number."""
    return re.sub(r"^Page \d+ of \d+ ?", "", text[len(f"{header} {sheet} "):])


@pytest.mark.parametrize("name", BOOKS)
def test_every_page_is_letter_with_the_header_and_its_number(books, name):
    pdf, pages = books[name]
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    sizes = re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+) pts \(letter\)", info)
    total = sum(len(texts) for texts in pages.values())
    assert len(sizes) == total  # every page is Letter
    numbers = [int(n) for texts in pages.values() for text in texts for n in re.findall(r"Page (\d+) of \d+", text)[:1]]
    assert numbers == list(range(1, total + 1))
    orientation = iter(float(w) > float(h) for w, h in sizes)
    for sheet, texts in pages.items():  # sheets print in workbook order
        for number, _ in enumerate(texts, start=1):
            assert next(orientation) == bool(LANDSCAPE.match(sheet)), f"{sheet}, page {number}"


@pytest.mark.parametrize("name", ["assessment", "assessment filled"])
def test_every_capability_prints_whole_on_one_page_under_the_column_headings(books, name, assessment):
    _, pages = books[name]
    table = assessment.data["table"]
    labels = assessment.text["labels"]
    headings = [table["capability_heading"], table["characteristics_heading"], labels["rating_heading"],
                table["comment_label"]]
    sheet = pages[assessment.text["sheets"]["assessment"]]
    assert len(sheet) > 1  # the headings' check means something
    for number, text in enumerate(sheet, start=1):
        assert [h for h in headings if not printed.whole(h, text)] == [], f"page {number} lacks column headings"
    for cap in assessment.capabilities:
        pieces = [cap.title, *bullets(cap.characteristics).split("\n")]
        assert any(all(printed.whole(p, text) for p in pieces) for text in sheet), f"capability {cap.number} is cut"


@pytest.mark.parametrize("name", ["assessment", "assessment filled"])
def test_no_area_heading_is_left_alone_at_the_foot_of_a_page(books, name, assessment):
    _, pages = books[name]
    sheet = pages[assessment.text["sheets"]["assessment"]]
    for area in assessment.areas:
        (page,) = [text for text in sheet if printed.whole(f"{area.heading}\n{area.question}", text)]
        assert printed.whole(area.capabilities[0].title, page), f"{area.heading} prints apart from its first capability"


@pytest.mark.parametrize("name", ["action plan", "action plan filled"])
def test_every_component_prints_whole_on_its_element_sheet(books, name, action_plan):
    _, pages = books[name]
    labels = action_plan.text["labels"]
    for element in action_plan.elements:
        sheet = pages[action_plan.text["sheets"]["element"].format(number=element.number)]
        for j, text in enumerate(element.components, start=1):
            page = next((p for p in sheet if printed.whole(f"{j}. {text}", p)), None)
            assert page is not None, f"element {element.number}, component {j} is cut"
            assert printed.whole(labels["component_heading"], page) and printed.whole(labels["status_heading"], page)


@pytest.mark.parametrize("name", ["action plan", "action plan filled"])
def test_every_page_an_action_table_reaches_carries_its_column_headings(books, name, action_plan):
    _, pages = books[name]
    previous = previous_plan(action_plan)
    columns = [c.label for c in action_plan.action_columns]
    follow_up = [c.label for c in action_plan.answer("e1_previous").columns + action_plan.answer("e1_progress").columns]
    for element in action_plan.elements:
        sheet = pages[action_plan.text["sheets"]["element"].format(number=element.number)]
        intro = action_plan.shown(element.table_intro)
        tables = [(columns, [r[0] for r in action_rows(element.number, 8)] if "filled" in name else [intro]),
                  (follow_up, [r[0] for r in previous.rows(element.number, 8)])]
        for headings, rows in tables:
            reached = [(number, text) for number, text in enumerate(sheet, start=1)
                       if any(printed.whole(r, text) for r in rows)]
            assert [r for r in rows if not any(printed.whole(r, text) for _, text in reached)] == []  # printed whole
            for number, text in reached:
                missing = [h for h in headings if not printed.whole(h, text)]
                assert missing == [], f"element {element.number}, page {number} lacks {missing}"


@pytest.mark.parametrize("name", BOOKS)
def test_no_page_holds_only_its_title(books, name, assessment, action_plan):
    _, pages = books[name]
    instrument = assessment if "assessment" in name else action_plan
    header = instrument.text["labels"]["header"]
    titles = {printed.flat(instrument.title)} | {printed.flat(e.heading) for e in instrument.elements}
    for sheet, texts in pages.items():
        for number, text in enumerate(texts, start=1):
            body = without_header(text, header, sheet)
            for title in titles:
                body = body.replace(title, "", 1) if body.startswith(title) else body
            assert len(body.split()) >= 12, f"{sheet}, page {number} holds only {body!r}"


@pytest.mark.parametrize("name", BOOKS)
def test_the_instructions_end_with_what_they_lead_to_and_list_without_double_bullets(books, name, assessment,
                                                                                     action_plan):
    _, pages = books[name]
    instrument = assessment if "assessment" in name else action_plan
    instructions = pages[instrument.text["sheets"]["instructions"]]
    assert not instructions[-1].rstrip().endswith(":")
    text = " ".join(instructions)
    assert not re.search(r"[•◦]\s*✓", text)
    if instrument.kind == "assessment":
        assert all(printed.whole(q["question"], text) for q in instrument.data["after"])
        about = " ".join(pages[instrument.text["sheets"]["details"]])
        assert "sections above" not in about and "on the Instructions sheet" in about


def test_every_page_a_results_table_reaches_carries_its_column_headings(books, action_plan):
    _, pages = books["action plan with results"]
    words = action_plan.text["results"]
    results = region_results()
    texts = {table: {v for row in rows for v in row if isinstance(v, str) and len(v) > 20}
             for table, (_, rows) in results.tables.items()}
    own = {table: {v for v in mine if all(v not in texts[other] for other in texts if other != table)}
           for table, mine in texts.items()}  # a table's own text: a capability, an answer; not an area's name
    found = {}
    for sheet in (words["sheet"], words["more_sheet"]):
        for number, text in enumerate(pages[sheet], start=1):
            for table, (columns, rows) in results.tables.items():
                cells = own[table]
                if any(printed.whole(v, text) for v in cells):
                    found.setdefault(table, set()).update(v for v in cells if printed.whole(v, text))
                    missing = [c for c in map(words["headings"].get, columns) if not printed.whole(c, text)]
                    assert missing == [], f"{sheet}, page {number}: {table} without {missing}"
    assert len(pages[words["sheet"]]) > 1 and len(pages[words["more_sheet"]]) > 1  # the tables do run on
    for table, mine in own.items():
        assert mine <= found.get(table, set()), f"{table}: {sorted(mine - found.get(table, set()))[:3]} cut"


def test_a_partners_results_pages_are_headed_in_words_across_the_page(books, action_plan):
    """The pre-filled plan's results sheets are what a partner reads: no column's name (region_average,
    highest_organization_average broken over two lines) heads a table, each heading is words."""
    _, pages = books["action plan with results"]
    words = action_plan.text["results"]
    text = " ".join(" ".join(pages[sheet]) for sheet in (words["sheet"], words["more_sheet"]))
    named = {c for columns in COLUMNS.values() for c in columns if "_" in c}
    squeezed = re.sub(r"\s+", "", text)  # a name broken over lines is still the name
    assert named and [c for c in named if c in squeezed] == []
    assert "Region average" in text and "Lowest organization average" in text
    assert len(pages[words["more_sheet"]]) <= 3  # the second sheet's tables across the page (4 pages at half width)


def test_a_first_cycle_plan_prints_no_page_of_last_cycles_actions(books, action_plan):
    """Without a previous plan the follow-up block is empty: it stays in the workbook (its names, locked) but
    prints no page. A plan that follows one up prints it on each element's sheet."""
    heading = action_plan.text["followup"]["heading"]
    _, pages = books["action plan with results"]  # the first cycle's plan
    assert [sheet for sheet, texts in pages.items() for text in texts if heading in text] == []
    _, pages = books["action plan"]  # made with last cycle's plan
    assert sum(heading in text for texts in pages.values() for text in texts) == len(action_plan.elements)
