"""Make samples/returns/: simulated partner returns, really filled and saved by LibreOffice.

    .venv/bin/python scripts/make_samples.py [--plans-only]
    .venv/bin/python scripts/make_samples.py --cycle 2025

With ``--cycle 2025``, only the cycle before (samples/sent-2025/manifest.csv and
samples/returns-2025/): the same roster a year earlier, every return valid, ratings
somewhat lower; samples/returns is left alone.

Each respondent on samples/roster.csv gets a personalised workbook (recorded in
samples/sent/manifest.csv, which is kept); most fill it in
(ratings drawn around an organization-level profile, so several respondents of
one organization mostly agree and sometimes do not), a few make the mistakes
partners make, a few never answer. The files are committed so that the demo and
the tests run without LibreOffice; tests/test_samples.py checks they still match
the definitions.
"""

import concurrent.futures
import csv
import datetime as dt
import random
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import libreoffice  # noqa: E402

from sheetflow.instruments import definitions  # noqa: E402
from sheetflow.instruments.roster import generate_for_roster  # noqa: E402
from sheetflow.planning import previous_plans  # noqa: E402

CYCLE = "2026"
EARLIER = "2025"  # the cycle before: for change over time
EARLIER_OUTSTANDING = {"Farid Haddad", "Quinn Harlow", "Vera Kowalski"}
OUTSTANDING = {"Kim Soo-jin", "Samuel Eriksen", "Vera Kowalski"}
COMMENTS = {
    1: ["We have not started on this yet.", "No one owns this today."],
    2: ["Early conversations only; nothing formal.", "Some pieces exist but they are not connected."],
    3: ["In place for manufacturing, not yet for health care.", "Happens when a grant requires it."],
    4: ["Part of our strategic plan and reviewed each quarter.", "Working well with the college and EDC."],
    5: ["A model for the state; employers lead the work.", "Sustained for three years with employer funding."],
}
REFLECTIONS = {
    "reflect_strengths": "Employer engagement in manufacturing; shared labor market data with the college.",
    "reflect_opportunities": "Measuring outcomes and telling our story; career pathways in health care.",
    "reflect_missing": "We are not yet working with the building trades on pre-apprenticeship.",
    "reflect_disagreements": "Staff rated partnerships higher than leadership did; we will discuss at the retreat.",
    "reflect_priorities": "Launch the health care partnership and agree on a shared dashboard.",
}


def roster():
    with open(ROOT / "samples" / "roster.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def assessment_values(instrument, person, rng, lower=0.0):
    """``lower``: the chance that a rating is one less (a year earlier, most partnerships had further to go),
    or in the fourth area one more."""
    org_rng = random.Random(person["organization"])
    base = {area.name: org_rng.randint(2, 4) for area in instrument.areas}
    values = {}
    for area in instrument.areas:
        for cap in area.capabilities:
            rating = min(5, max(1, base[area.name] + rng.choice([-1, 0, 0, 0, 1])))
            if lower and area is instrument.areas[3]:  # one area slipped since: a key employer left
                rating = min(5, rating + 1) if rng.random() < lower else rating
            elif lower and rng.random() < lower:
                rating = max(1, rating - 1)
            values[cap.rating_name] = rating
            if rng.random() < 0.7:
                values[cap.comment_name] = rng.choice(COMMENTS[rating])
    values["pre_almost_yes"] = rng.choice(["Yes", "No"])
    if values["pre_almost_yes"] == "Yes":
        values["pre_almost_detail"] = "Our health care employer roundtable needs employer co-chairs and a work plan."
    values["pre_active_yes"] = "Yes"
    values["pre_active_detail"] = "Advanced manufacturing (since 2023); transportation and logistics."
    year = 2026 - (1 if lower else 0)
    values["completed_on"] = {"date": (dt.date(year, 3, 2) + dt.timedelta(days=rng.randint(0, 20))).isoformat()}
    values.update({k: v for k, v in REFLECTIONS.items() if rng.random() < 0.8})
    return values


# What each region's lead wrote per key element: (objective, key actions, timeline, lead, resources/TA, outcomes).
# {region} and {lead} are filled in; the rows differ by element and by region, as real plans do.
PLAN_ROWS = {
    1: [("Agree on one set of labor market data", "Quarterly data review with employers and the college's IR office",
         "Q2-Q4 2026", "{lead}", "LMI analyst support", "One list of target occupations for {region}"),
        ("Validate the data with employers", "Two employer focus groups per target sector",
         "By September 2026", "Industry association", "Facilitator", "Employer-checked skill gaps")],
    2: [("Write a shared regional vision", "Two partner retreats; a one-page vision signed by every partner",
         "By August 2026", "{lead}", "Retreat facilitation", "A vision every partner board adopts")],
    3: [("Recruit employer co-chairs", "Ask current employer members to invite two peers each",
         "By June 2026", "Industry association", "", "Two employer co-chairs per sector partnership"),
        ("Let employers set the agenda", "Employers chair the quarterly meetings and choose the topics",
         "From Q3 2026", "Employer co-chairs", "Meeting space", "Agendas written by employers")],
    4: [("Align partners' funding with the vision", "Map each partner's grants against the target sectors",
         "Q3 2026", "{lead}", "Budget analyst time", "A shared funding map")],
    5: [("Build a career pathway in health care", "Stackable credentials from CNA to LPN with the college",
         "2026-2027 academic year", "Community college", "Curriculum design TA", "40 students enrolled"),
        ("Refer job seekers to sector training", "Train front-line staff at the job centers on the pathways",
         "By December 2026", "{lead}", "Staff training time", "Referrals tracked monthly")],
    6: [("Publish a shared dashboard", "Five measures agreed by partners, updated each quarter",
         "Q4 2026", "{lead}", "Data visualisation TA", "A public dashboard for {region}")],
}


def action_plan_values(instrument, region, rng, lead, earlier=False):
    """``earlier``: the plan a year before (its timelines a year earlier)."""
    values = {"partners": "Workforce board, community college, economic development, industry association"}
    for element in instrument.elements:
        for j in range(1, len(element.components) + 1):
            values[element.status_name(j)] = rng.choice(instrument.data["status_choices"])
        values[element.obstacles_name] = "Employer time is scarce; partners use different data sources."
        rows = [[cell.format(region=region, lead=lead) for cell in row] for row in PLAN_ROWS[element.number]]
        if earlier:
            rows = [[cell.replace("2026", "2025").replace("2027", "2026") for cell in row] for row in rows]
        values[element.actions_name] = rows
    return values


PROGRESS_NOTES = {"Done": "Finished on time.", "On track": "Half done; the rest is scheduled.",
                  "Delayed": "Waiting for employer partners to confirm.", "Dropped": "Replaced by a state initiative."}


def follow_up_values(instrument, plan, rng) -> dict:
    """What a lead answers about last cycle's actions: a progress and a note for each action it had."""
    values = {}
    if plan is None:
        return values
    choices = list(PROGRESS_NOTES)
    for element in instrument.elements:
        answers = []
        for row in plan.rows(element.number, instrument.answer(element.progress_name).rows):
            if any(v not in (None, "") for v in row):
                progress = rng.choice(choices)
                answers.append([progress, PROGRESS_NOTES[progress]])
            else:
                answers.append([None, None])
        if any(a[0] for a in answers):
            values[element.progress_name] = answers
    return values


def main(plans_only: bool = False):
    """Make every sample return, or with ``plans_only`` only the regions' action plans (the rest kept)."""
    sent, out = ROOT / "samples" / "sent", ROOT / "samples" / "returns"
    ledger = sent / "manifest.csv"  # kept, so that every workbook is remade with the response id it was sent with
    issued_before = ledger.read_bytes() if ledger.exists() else None
    shutil.rmtree(sent, ignore_errors=True)
    if not plans_only:
        shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    if plans_only and issued_before is None:
        raise SystemExit("--plans-only needs samples/sent/manifest.csv (run without it first)")
    if issued_before is not None:
        sent.mkdir(parents=True)
        ledger.write_bytes(issued_before)
    assessment = definitions.load("assessment")
    action_plan = definitions.load("action-plan")
    # What the convener sent: one workbook per person, one action plan per region (samples/sent/manifest.csv).
    issued = generate_for_roster(assessment, ROOT / "samples" / "roster.csv", sent, cycle=CYCLE)
    # The plans follow up each region's 2025 plan (samples/returns-2025): last cycle's actions, with progress to give.
    previous = previous_plans.previous_plans([ROOT / "samples" / "returns-2025"], CYCLE)
    plans = generate_for_roster(action_plan, ROOT / "samples" / "roster.csv", sent, cycle=CYCLE, previous=previous)
    people = {p["email"]: p for p in roster()}
    jobs, resend = [], None  # (workbook sent, values, file name of the return)
    for row in [] if plans_only else issued:
        person = people[row.email]
        if person["respondent_name"] in OUTSTANDING:
            continue
        values = assessment_values(assessment, person, random.Random(person["email"]))
        name = row.file
        if person["respondent_name"] == "Ben Okafor":  # sent too early, then again with the gap filled
            jobs.append((sent / row.file, dict(values, rating_12=None, rating_13=None), name))
            resend = (name, {"rating_12": values["rating_12"], "rating_13": values["rating_13"]},
                      "Copy of Self-Assessment (2) FINAL.xlsx")
            continue
        if person["respondent_name"] == "Marcus Bell":  # ignored the dropdowns
            values.update(rating_07="four", rating_15=6, pre_almost_yes="Maybe")
        if person["respondent_name"] == "Priya Shah":  # stopped halfway
            for cap in assessment.capabilities[10:]:
                values[cap.rating_name] = None
        jobs.append((sent / row.file, values, name))
    for row in plans:
        values = action_plan_values(action_plan, row.region, random.Random(row.region), row.organization)
        if row.region == "Red River Valley":  # a row started but not finished
            values["e4_actions"].append(["Draft a partnership charter", None, None, None, None, None])
        values.update(follow_up_values(action_plan, previous.for_region(row.region), random.Random(row.region)))
        jobs.append((sent / row.file, values, row.file))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _fill(jobs, out, tmp)
        if plans_only:
            ledger.write_bytes(issued_before)  # the same workbooks, remade: the ledger of what was sent stands
            return _remove_sent(sent)
        source, changes, name = resend  # the partner reopens the copy they sent, fixes it, sends it again
        own = tmp / "resend.xlsx"
        own.write_bytes((out / source).read_bytes())
        print(libreoffice.fill_by_name(own, changes, out / name).name)
    # Mistakes that happen on the way back: a file cut short, and answers pasted into a CSV.
    cut = next(out.glob("*Umar Farouk*"))
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])
    (out / "Hector Ramirez answers.csv").write_text("capability,rating\n1,4\n2,3\n", encoding="utf-8")
    _remove_sent(sent)


def _fill(jobs, out: Path, tmp: Path) -> None:
    """Fill each (workbook sent, values, file name) in LibreOffice, two at a time, into ``out``."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = []
        for k, (blank, values, name) in enumerate(jobs):
            own = tmp / f"job{k}.xlsx"  # LibreOffice locks what it opens: one copy per fill
            own.write_bytes(blank.read_bytes())
            futures.append(pool.submit(libreoffice.fill_by_name, own, values, out / name))
        for future in futures:
            print(future.result().name)


def earlier_cycle():
    """Make samples/sent-2025/manifest.csv and samples/returns-2025/: the cycle before, every return valid."""
    sent, out = ROOT / "samples" / f"sent-{EARLIER}", ROOT / "samples" / f"returns-{EARLIER}"
    ledger = sent / "manifest.csv"
    issued_before = ledger.read_bytes() if ledger.exists() else None
    shutil.rmtree(sent, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    sent.mkdir(parents=True)
    out.mkdir(parents=True)
    if issued_before is not None:
        ledger.write_bytes(issued_before)
    assessment = definitions.load("assessment")
    action_plan = definitions.load("action-plan")
    issued = generate_for_roster(assessment, ROOT / "samples" / "roster.csv", sent, cycle=EARLIER)
    plans = generate_for_roster(action_plan, ROOT / "samples" / "roster.csv", sent, cycle=EARLIER)
    people = {p["email"]: p for p in roster()}
    jobs = []
    for row in issued:
        person = people[row.email]
        if person["respondent_name"] not in EARLIER_OUTSTANDING:
            values = assessment_values(assessment, person, random.Random(person["email"] + EARLIER), lower=0.45)
            jobs.append((sent / row.file, values, row.file))
    for row in plans:
        values = action_plan_values(action_plan, row.region, random.Random(row.region + EARLIER), row.organization,
                                    earlier=True)
        jobs.append((sent / row.file, values, row.file))
    with tempfile.TemporaryDirectory() as tmp:
        _fill(jobs, out, Path(tmp))
    _remove_sent(sent)


def _remove_sent(sent: Path) -> None:
    for workbook in sent.glob("*.xlsx"):  # only the manifest is kept: `generate --roster` remakes the rest
        workbook.unlink()


if __name__ == "__main__":
    if sys.argv[1:] == ["--cycle", EARLIER]:
        earlier_cycle()
    else:
        main(plans_only="--plans-only" in sys.argv[1:])
