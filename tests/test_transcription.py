"""Word-for-word checks of the workbook templates against their paper seeds.

The seeds under tests/fixtures/seeds are plain-text dumps of the paper
instruments.  The TOML templates in workbook_templates/ must carry every line
of them verbatim (minus bullet glyphs, surrounding whitespace and, for the
self-assessment capabilities, the "N. " numbering) and nothing else, apart
from a short, explicit list of identifiers/labels that the paper does not
contain.

Only the stdlib (``tomllib``) is used; no sheetflow module is imported.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parent
SEEDS = HERE / "fixtures" / "seeds"
TEMPLATES = ROOT / "workbook_templates"

ASSESSMENT_SEED = SEEDS / "002_2cb7edf0f61f2d97.txt"
ACTION_PLAN_SEED = SEEDS / "000_9304317f97ee151a.txt"
ASSESSMENT_TOML = TEMPLATES / "sector-self-assessment.toml"
ACTION_PLAN_TOML = TEMPLATES / "sector-action-plan.toml"

# Leading bullet glyphs used by the seeds, longest first.
BULLETS = ("- ✓ ", "· ", "- ")

RATING_ROW = re.compile(r"^1\s+2\s+3\s+4\s+5$")
SCALE_LINE = re.compile(r"^([1-5])=(.+)$")
NUMBERED = re.compile(r"^(\d+)\. (.*)$")
ELEMENT_HEADING = re.compile(r"^Element #(\d+): ")

# Keys whose (string) values are identifiers rather than seed text.
ID_KEYS = {"id", "version", "kind", "key", "short_title", "short_name", "level"}
# sheetflow's own wording for the workbook (identity block, sheet names,
# instructions): not part of the paper instrument, so not compared with the seed.
WORKBOOK_KEYS = {"workbook", "identity", "yes_no_choices", "followup", "language", "short_name", "level"}  # sheetflow's, not the paper's

# The run-together paragraph in the self-assessment seed, and where it splits.
RUN_TOGETHER = "sustainabilityWhile not all successful sector strategies"
RUN_TOGETHER_SPLIT = "sustainability"  # step 5 ends here; the rest is a paragraph

# Capability titles that wrap onto a second line in the self-assessment seed.
WRAPPED_TITLES = {14, 15}

# Elements whose reflection questions and table intro share one seed paragraph.
JOINED_PROMPT_ELEMENTS = {1, 2, 6}


# --------------------------------------------------------------------------- helpers


def clean(line: str) -> str:
    """Strip surrounding whitespace and one leading bullet glyph."""
    line = line.strip()
    for glyph in BULLETS:
        if line.startswith(glyph):
            return line[len(glyph):].strip()
    return line


def seed_lines(path: Path) -> list[str]:
    """Non-empty, cleaned lines of a seed, in order."""
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = clean(raw)
        if line:
            out.append(line)
    return out


def norm_ws(text: str) -> str:
    return " ".join(text.split())


def leaves(obj, path=()):
    """Yield (path, value) for every string in a parsed TOML document."""
    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from leaves(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from leaves(v, path + (i,))


def last_key(path) -> str | None:
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return None


def flatten(items):
    for item in items:
        if isinstance(item, list):
            yield from flatten(item)
        else:
            yield item


def load(path: Path) -> dict:
    with path.open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def sa() -> dict:
    return load(ASSESSMENT_TOML)


@pytest.fixture(scope="module")
def ap() -> dict:
    return load(ACTION_PLAN_TOML)


def text_leaves(doc: dict, extra_exempt=()) -> list[tuple[tuple, str]]:
    """String leaves that must come from the seed (identifiers excluded)."""
    out = []
    for path, value in leaves(doc):
        if last_key(path) in ID_KEYS:
            continue
        if path and path[0] in extra_exempt:
            continue
        out.append((path, value))
    return out


def assert_in_order(haystack: str, needles: list[str], what: str) -> None:
    pos = 0
    for needle in needles:
        found = haystack.find(norm_ws(needle), pos)
        assert found >= 0, f"{what}: {needle!r} not found in seed order"
        pos = found + 1


# --------------------------------------------------------------------------- general hygiene


@pytest.mark.parametrize("path", [ASSESSMENT_TOML, ACTION_PLAN_TOML], ids=lambda p: p.name)
def test_strings_are_clean(path):
    doc = load(path)
    for where, value in leaves(doc):
        assert value == value.strip(), f"{where}: surrounding whitespace in {value!r}"
        assert "\t" not in value and "\n" not in value, f"{where}: tab/newline in {value!r}"
        assert "  " not in value, f"{where}: double space in {value!r}"
        assert value, f"{where}: empty string"
        for glyph in ("·", "✓", "- "):
            assert not value.startswith(glyph), f"{where}: bullet glyph kept in {value!r}"


# --------------------------------------------------------------------------- self-assessment


def test_assessment_header(sa):
    assert sa["id"] == "sector-self-assessment"
    assert sa["version"] == "1.2"
    assert sa["kind"] == "assessment"
    assert sa["title"] == "Sector Strategies Organizational Self-Assessment"
    assert sa["short_title"] == "Self-Assessment"


def test_assessment_keys(sa):
    """Exact key sets, so a misplaced key (e.g. swallowed by a table) fails."""
    assert set(sa) - WORKBOOK_KEYS == {
        "id", "version", "kind", "title", "short_title", "intro", "before_intro",
        "before", "after", "scale", "table", "areas",
    }
    assert sa["before_intro"] == "Before taking the assessment please answer the following questions:"
    for section in sa["intro"]:
        assert set(section) == {"heading", "blocks"}
    for b in sa["before"]:
        assert set(b) == {"key", "question", "follow_up"}
    for a in sa["after"]:
        assert set(a) == {"key", "question"}
    assert set(sa["scale"]) == {"heading", "levels"}
    for lvl in sa["scale"]["levels"]:
        assert set(lvl) == {"value", "label"}
    assert set(sa["table"]) == {"capability_heading", "characteristics_heading", "comment_label"}
    for area in sa["areas"]:
        assert set(area) == {"name", "heading", "question", "capabilities"}
        for cap in area["capabilities"]:
            assert set(cap) == {"number", "title", "characteristics"}


def test_assessment_structure(sa):
    assert [s["heading"] for s in sa["intro"]] == [
        "OVERVIEW",
        "WHY SECTOR PARTNERSHIPS?",
        "INTRODUCTION TO THE HIGH-PERFORMING SECTOR-FOCUSED WORKFORCE ORGANIZATION",
        "SELF-ASSESSMENT (ARE YOU READY TO BE A HIGH-PERFORMING SECTOR-FOCUSED ORGANIZATION?)",
    ]
    for section in sa["intro"]:
        assert section["blocks"], section["heading"]
        for block in section["blocks"]:
            assert isinstance(block, (str, list))
            if isinstance(block, list):
                assert block and all(isinstance(b, str) for b in block)

    assert [b["key"] for b in sa["before"]] == ["almost", "active"]
    for b in sa["before"]:
        assert b["follow_up"].startswith("If Yes: ")
    assert [a["key"] for a in sa["after"]] == [
        "strengths",
        "opportunities",
        "missing",
        "disagreements",
        "priorities",
    ]

    assert sa["scale"]["heading"] == "RATING (circle one)"
    assert [lvl["value"] for lvl in sa["scale"]["levels"]] == [1, 2, 3, 4, 5]

    assert len(sa["areas"]) == 5
    numbers = [c["number"] for area in sa["areas"] for c in area["capabilities"]]
    assert numbers == list(range(1, 21))
    for area in sa["areas"]:
        assert area["heading"] == area["name"].upper()
        for cap in area["capabilities"]:
            assert not re.match(r"^\d", cap["title"]), cap["title"]
            assert cap["characteristics"]
            # a nested list must directly follow the string it belongs to
            for i, item in enumerate(cap["characteristics"]):
                if isinstance(item, list):
                    assert i > 0 and isinstance(cap["characteristics"][i - 1], str)
                    assert all(isinstance(x, str) for x in item)


def test_assessment_area_names_match_intro_list(sa):
    """Area names/questions are those of the intro's list of five areas
    (the table's Data-Informed question says "based on LMI" instead)."""
    section = sa["intro"][3]
    lists = [b for b in section["blocks"] if isinstance(b, list)]
    assert len(lists) == 1
    assert len(lists[0]) == 5
    for item, area in zip(lists[0], sa["areas"]):
        name, _, question = item.partition(": ")
        assert name == area["name"]
        if area["name"] == "Data-Informed Decision Making":
            assert question.replace("Labor Market Information (LMI)", "LMI") == area["question"]
        else:
            assert question == area["question"]


def test_assessment_every_seed_line_present(sa):
    lines = seed_lines(ASSESSMENT_SEED)
    all_leaves = [v for _, v in leaves(sa)]
    leaf_set = set(all_leaves)
    concatenated = "\n".join(all_leaves)
    caps = {c["number"]: c for area in sa["areas"] for c in area["capabilities"]}
    levels = {lvl["value"]: lvl["label"] for lvl in sa["scale"]["levels"]}

    table_start = lines.index(sa["table"]["capability_heading"])
    rating_rows = 0
    run_together = 0
    wrapped_seen = set()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if RATING_ROW.match(line):
            rating_rows += 1  # represented by [scale]
            continue
        m = SCALE_LINE.match(line)
        if m:
            assert levels[int(m.group(1))] == m.group(2).strip(), line
            continue
        if RUN_TOGETHER in line:
            run_together += 1
            head, tail = line.split("While not all", 1)
            assert head.endswith(RUN_TOGETHER_SPLIT)
            assert head in leaf_set, head
            assert "While not all" + tail in leaf_set, tail
            continue
        m = NUMBERED.match(line)
        if m and i - 1 > table_start:
            number, rest = int(m.group(1)), m.group(2).strip()
            title = caps[number]["title"]
            if title != rest:
                assert number in WRAPPED_TITLES, f"title {number} differs: {rest!r}"
                continuation = lines[i]
                i += 1
                assert title == f"{rest} {continuation}", title
                wrapped_seen.add(number)
            continue
        assert line in leaf_set, f"seed line missing from TOML: {line!r}"
        assert line in concatenated

    assert rating_rows == 20
    assert run_together == 1
    assert wrapped_seen == WRAPPED_TITLES
    assert lines.count(sa["table"]["comment_label"]) == 20


def test_assessment_capabilities_match_seed_blocks(sa):
    """Each capability's characteristics are exactly the seed bullets under it,
    in order; each area holds exactly the capabilities listed under its heading."""
    lines = seed_lines(ASSESSMENT_SEED)
    table_start = lines.index(sa["table"]["capability_heading"])
    seed_caps: dict[int, list[str]] = {}
    seed_areas: list[tuple[str, str, list[int]]] = []
    current = None
    raw = [l.strip() for l in ASSESSMENT_SEED.read_text(encoding="utf-8").splitlines()]
    raw = [l for l in raw if l]
    raw = raw[raw.index(sa["table"]["capability_heading"]):]
    for idx, line in enumerate(raw):
        cleaned = clean(line)
        if re.fullmatch(r"[A-Z][A-Z&\- ]+", cleaned) and idx > 2:
            seed_areas.append((cleaned, clean(raw[idx + 1]), []))
            continue
        m = NUMBERED.match(cleaned)
        if m:
            current = int(m.group(1))
            seed_caps[current] = []
            seed_areas[-1][2].append(current)
            continue
        if RATING_ROW.match(cleaned):
            current = None
            continue
        if current is not None and line.startswith("·"):
            seed_caps[current].append(cleaned)

    assert len(lines) > table_start
    assert sorted(seed_caps) == list(range(1, 21))
    assert [(a["heading"], a["question"], [c["number"] for c in a["capabilities"]]) for a in sa["areas"]] == seed_areas
    for area in sa["areas"]:
        for cap in area["capabilities"]:
            assert list(flatten(cap["characteristics"])) == seed_caps[cap["number"]], cap["number"]
    nested = [c for a in sa["areas"] for c in a["capabilities"] if any(isinstance(x, list) for x in c["characteristics"])]
    assert [c["number"] for c in nested] == [11]
    assert nested[0]["characteristics"] == [
        "Ability to build or experience building models such as:",
        [
            "On-the-job training",
            "Cooperative education",
            "Paid internships",
            "Pre-apprenticeship or apprenticeship programs",
        ],
    ]


def test_assessment_nothing_added(sa):
    seed_text = ASSESSMENT_SEED.read_text(encoding="utf-8")
    seed_norm = norm_ws(seed_text)
    seed_line_set = set(seed_lines(ASSESSMENT_SEED))
    for path, value in text_leaves(sa, extra_exempt=tuple(WORKBOOK_KEYS)):
        assert norm_ws(value) in seed_norm, f"{path}: not in seed: {value!r}"
    # list items and bullets must be whole seed lines
    bullet_items = []
    for area in sa["areas"]:
        for cap in area["capabilities"]:
            bullet_items += list(flatten(cap["characteristics"]))
    for section in sa["intro"]:
        for block in section["blocks"]:
            if isinstance(block, list):
                bullet_items += block
            else:
                assert block in seed_line_set or block.startswith("While not all"), block
    bullet_items += [b["question"] for b in sa["before"]] + [b["follow_up"] for b in sa["before"]]
    bullet_items += [a["question"] for a in sa["after"]]
    for item in bullet_items:
        if item.startswith("5. Evaluation"):
            assert item.endswith(RUN_TOGETHER_SPLIT)
            continue
        assert item in seed_line_set, f"not a seed line: {item!r}"


def test_assessment_seed_order(sa):
    seed_norm = norm_ws(ASSESSMENT_SEED.read_text(encoding="utf-8"))
    intro = []
    for section in sa["intro"]:
        intro.append(section["heading"])
        intro += list(flatten(section["blocks"]))
    assert_in_order(seed_norm, intro, "intro")
    assert_in_order(seed_norm, [a["question"] for a in sa["after"]], "after")
    before = [sa["before_intro"]]
    for b in sa["before"]:
        before += [b["question"], b["follow_up"]]
    assert_in_order(seed_norm, before, "before")
    table = [sa["table"]["capability_heading"], sa["table"]["characteristics_heading"], sa["scale"]["heading"]]
    table += [lvl["label"] for lvl in sa["scale"]["levels"]]
    for area in sa["areas"]:
        table += [area["heading"], area["question"]]
        for cap in area["capabilities"]:
            table += [cap["title"]] + list(flatten(cap["characteristics"]))
    assert_in_order(seed_norm, table, "table")


# --------------------------------------------------------------------------- action plan


def test_action_plan_header(ap):
    assert ap["id"] == "sector-action-plan"
    assert ap["version"] == "1.2"  # 1.0 and 1.1 ship too, in workbook_templates/versions/
    assert ap["kind"] == "action-plan"
    assert ap["title"] == "Sector Strategies Action Planning Tool"
    assert ap["short_title"] == "Action Plan"
    assert ap["status_choices"] == ["In place", "Partly in place", "Not yet in place"]
    assert ap["action_rows"] == 8
    assert len(ap["intro"]) == 2


def test_action_plan_keys(ap):
    """Exact key sets, so a misplaced key (e.g. swallowed by a table) fails."""
    assert set(ap) - WORKBOOK_KEYS == {
        "id", "version", "kind", "title", "short_title", "intro", "elements_heading",
        "action_planning_heading", "status_choices", "action_rows", "action_columns",
        "elements", "additional_resources_heading", "additional_resources",
    }
    for c in ap["action_columns"]:
        assert set(c) == {"key", "label", "required"}
    for e in ap["elements"]:
        assert set(e) == {
            "number", "name", "heading", "definition", "components_intro",
            "components", "prompts", "table_intro",
        }


def test_action_plan_structure(ap):
    cols = ap["action_columns"]
    assert [(c["key"], c["label"], c["required"]) for c in cols] == [
        ("objective", "Strategic Objective", True),
        ("key_actions", "Key Actions", True),
        ("timeline", "Timeline", True),
        ("lead", "Lead Person/ Organization", True),
        ("resources_ta", "Resources/ TA Needed", False),
        ("desired_outcomes", "Desired Outcomes", False),
    ]
    assert [e["number"] for e in ap["elements"]] == [1, 2, 3, 4, 5, 6]
    for e in ap["elements"]:
        assert e["components"], e["number"]
        assert e["heading"].startswith(f"Element #{e['number']}: ")
        assert e["definition"].startswith("i.e. ")
        assert e["prompts"]
        assert e["table_intro"].startswith("In the table below")
        assert e["table_intro"].endswith(f"Element #{e['number']}.")
    assert len(ap["additional_resources"]) == 4


def test_action_plan_every_seed_line_present(ap):
    lines = seed_lines(ACTION_PLAN_SEED)
    raw = ACTION_PLAN_SEED.read_text(encoding="utf-8").splitlines()
    all_leaves = [v for _, v in leaves(ap)]
    leaf_set = set(all_leaves)
    concatenated = "\n".join(all_leaves)
    elements = {e["number"]: e for e in ap["elements"]}
    labels = [c["label"] for c in ap["action_columns"]]

    checkmarks = [clean(l) for l in raw if l.strip().startswith("- ✓ ")]
    assert checkmarks == [e["name"] for e in ap["elements"]]

    header_rows = 0
    joined = set()
    for line in lines:
        if line in checkmarks:
            continue
        m = ELEMENT_HEADING.match(line)
        if m:
            e = elements[int(m.group(1))]
            assert line == f"{e['heading']} ({e['definition']})", line
            continue
        if "\t" in line:
            assert [c.strip() for c in line.split("\t")] == labels, line
            header_rows += 1
            continue
        if " In the table below, identify" in line:
            matches = [n for n, e in elements.items() if line == f"{e['prompts']} {e['table_intro']}"]
            assert len(matches) == 1, f"joined prompt/table paragraph not matched: {line!r}"
            joined.add(matches[0])
            continue
        assert line in leaf_set, f"seed line missing from TOML: {line!r}"
        assert line in concatenated

    assert header_rows == 6
    assert joined == JOINED_PROMPT_ELEMENTS


def test_action_plan_components_match_seed(ap):
    raw = [l.rstrip() for l in ACTION_PLAN_SEED.read_text(encoding="utf-8").splitlines()]
    groups: list[tuple[str, list[str]]] = []
    current = None
    for line in raw:
        s = line.strip()
        if not s:
            continue
        if s.startswith("- ✓ "):
            continue
        if s.startswith("- "):
            current[1].append(clean(s))
        else:
            current = (s, [])
            groups.append(current)
    groups = [g for g in groups if g[1]]
    expected = [(e["components_intro"], e["components"]) for e in ap["elements"]]
    expected.append((ap["additional_resources_heading"], ap["additional_resources"]))
    assert groups == expected


def test_action_plan_nothing_added(ap):
    seed_norm = norm_ws(ACTION_PLAN_SEED.read_text(encoding="utf-8"))
    seed_line_set = set(seed_lines(ACTION_PLAN_SEED))
    # `title` and `status_choices` are the only added texts in this template.
    for path, value in text_leaves(ap, extra_exempt=("title", "status_choices", *WORKBOOK_KEYS)):
        assert norm_ws(value) in seed_norm, f"{path}: not in seed: {value!r}"
    for e in ap["elements"]:
        for item in e["components"]:
            assert item in seed_line_set, item
        assert e["components_intro"] in seed_line_set
        assert e["name"] in seed_line_set
        if e["number"] not in JOINED_PROMPT_ELEMENTS:
            assert e["prompts"] in seed_line_set
            assert e["table_intro"] in seed_line_set
    for item in ap["additional_resources"] + ap["intro"]:
        assert item in seed_line_set, item


def test_action_plan_seed_order(ap):
    seed_norm = norm_ws(ACTION_PLAN_SEED.read_text(encoding="utf-8"))
    seq = list(ap["intro"]) + [ap["elements_heading"]]
    seq += [e["name"] for e in ap["elements"]] + [ap["action_planning_heading"]]
    for e in ap["elements"]:
        seq += [e["heading"], e["definition"], e["components_intro"], *e["components"], e["prompts"], e["table_intro"]]
    seq += [ap["additional_resources_heading"], *ap["additional_resources"]]
    assert_in_order(seed_norm, seq, "action plan")
