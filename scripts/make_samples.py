"""Make samples/returns/: simulated partner returns, really filled and saved by LibreOffice.

    .venv/bin/python scripts/make_samples.py

Each respondent on samples/roster.csv gets a personalised workbook; most fill it in
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
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import libreoffice  # noqa: E402

from sheetflow import definitions  # noqa: E402
from sheetflow.generate import Request, generate  # noqa: E402

CYCLE = "2026"
NAMESPACE = uuid.UUID("6f1c5c2e-7f0a-4d47-9a43-5a8f3f9a2b10")
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


def assessment_values(instrument, person, rng):
    org_rng = random.Random(person["organization"])
    base = {area.name: org_rng.randint(2, 4) for area in instrument.areas}
    values = {}
    for area in instrument.areas:
        for cap in area.capabilities:
            rating = min(5, max(1, base[area.name] + rng.choice([-1, 0, 0, 0, 1])))
            values[cap.rating_name] = rating
            if rng.random() < 0.7:
                values[cap.comment_name] = rng.choice(COMMENTS[rating])
    values["pre_almost_yes"] = rng.choice(["Yes", "No"])
    if values["pre_almost_yes"] == "Yes":
        values["pre_almost_detail"] = "Our health care employer roundtable needs employer co-chairs and a work plan."
    values["pre_active_yes"] = "Yes"
    values["pre_active_detail"] = "Advanced manufacturing (since 2023); transportation and logistics."
    values["completed_on"] = {"date": (dt.date(2026, 3, 2) + dt.timedelta(days=rng.randint(0, 20))).isoformat()}
    values.update({k: v for k, v in REFLECTIONS.items() if rng.random() < 0.8})
    return values


def action_plan_values(instrument, region, rng):
    values = {"partners": "Workforce board, community college, economic development, industry association"}
    for element in instrument.elements:
        for j in range(1, len(element.components) + 1):
            values[element.status_name(j)] = rng.choice(instrument.data["status_choices"])
        values[element.obstacles_name] = "Employer time is scarce; partners use different data sources."
        rows = [["Agree on shared data", "Quarterly data review with employers", "Q2-Q4 2026",
                 f"{region} workforce board", "LMI analyst support", "One set of target occupations"]]
        if element.number % 2:
            rows.append(["Recruit employer champions", "Ask current chairs to invite two peers each",
                         "By June 2026", "Industry association", "", "Six active employer champions"])
        values[element.actions_name] = rows
    return values


def main():
    out = ROOT / "samples" / "returns"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*"):
        old.unlink()
    assessment = definitions.load("assessment")
    action_plan = definitions.load("action-plan")
    jobs = []  # (blank workbook, values, file name)
    resend = None
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for k, person in enumerate(roster()):
            if person["respondent_name"] in OUTSTANDING:
                continue
            rng = random.Random(person["email"])
            prefill = {"organization": person["organization"], "region": person["region"],
                       "respondent_name": person["respondent_name"], "respondent_role": person["role"],
                       "respondent_email": person["email"]}
            response_id = str(uuid.uuid5(NAMESPACE, f"{CYCLE}/assessment/{person['email']}"))
            blank = generate(Request(assessment, response_id=response_id, cycle=CYCLE, prefill=prefill),
                             tmp / f"{k}.xlsx")
            values = assessment_values(assessment, person, rng)
            name = f"{person['region']} - {person['organization']} - {person['respondent_name']} - Self-Assessment.xlsx"
            if person["respondent_name"] == "Ben Okafor":  # sent too early, then again with the gap filled
                jobs.append((blank, dict(values, rating_12=None, rating_13=None), name))
                resend = (name, {"rating_12": values["rating_12"], "rating_13": values["rating_13"]},
                          "Copy of Self-Assessment (2) FINAL.xlsx")
                continue
            if person["respondent_name"] == "Marcus Bell":  # ignored the dropdowns
                values.update(rating_07="four", rating_15=6, pre_almost_yes="Maybe")
            if person["respondent_name"] == "Priya Shah":  # stopped halfway
                for cap in assessment.capabilities[10:]:
                    values[cap.rating_name] = None
            jobs.append((blank, values, name))
        for region, lead in {p["region"]: p for p in roster() if p["action_plan_lead"] == "yes"}.items():
            rng = random.Random(region)
            prefill = {"region": region, "lead_organization": lead["organization"],
                       "contact_name": lead["respondent_name"], "contact_email": lead["email"]}
            response_id = str(uuid.uuid5(NAMESPACE, f"{CYCLE}/action-plan/{region}"))
            blank = generate(Request(action_plan, response_id=response_id, cycle=CYCLE, prefill=prefill),
                             tmp / f"{region}.xlsx")
            values = action_plan_values(action_plan, region, rng)
            if region == "Red River Valley":  # a row started but not finished
                values["e4_actions"] = [["Draft a partnership charter", None, None, None, None, None]]
            jobs.append((blank, values, f"{region} - Action Plan.xlsx"))
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            futures = []
            for k, (blank, values, name) in enumerate(jobs):
                own = tmp / f"job{k}.xlsx"
                own.write_bytes(blank.read_bytes())
                futures.append(pool.submit(libreoffice.fill_by_name, own, values, out / name))
            for future in futures:
                print(future.result().name)
        source, changes, name = resend  # the partner reopens the copy they sent, fixes it, sends it again
        own = tmp / "resend.xlsx"
        own.write_bytes((out / source).read_bytes())
        print(libreoffice.fill_by_name(own, changes, out / name).name)
    # Mistakes that happen on the way back: a file cut short, and answers pasted into a CSV.
    whole = (out / "Red River Valley - Pathways Community Action - Umar Farouk - Self-Assessment.xlsx").read_bytes()
    (out / "Red River Valley - Pathways Community Action - Umar Farouk - Self-Assessment.xlsx").write_bytes(
        whole[: len(whole) // 2])
    (out / "Hector Ramirez answers.csv").write_text("capability,rating\n1,4\n2,3\n", encoding="utf-8")


if __name__ == "__main__":
    main()
