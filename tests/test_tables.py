"""The roll-up's summary lists (rollup/summaries.py) against oracles written here in plain Python, without pandas.

The oracles state the rules as a convener would: the three highest and three lowest average
ratings, overall and per organization (ties by item number), and the capabilities on which people
of one organization differ by two points or more.
"""

from collections import defaultdict
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetflow.intake.validate import validate_paths
from sheetflow.rollup.summaries import disagreements, strengths_and_opportunities
from sheetflow.rollup.tables import build

SAMPLES = Path(__file__).parent.parent / "samples" / "returns"
ORGANIZATIONS = ["Acme Tool & Die", "Bluestem College", "North Plains WDB"]
PEOPLE = ["Ana", "Ben", "Chloe", "Dev"]


def oracle_strengths(rows, top=3):
    """[(organization, kind, item, capability, average)] from response dicts."""
    groups = {"All organizations": rows}
    for organization in sorted({r["organization"] for r in rows}):
        groups[organization] = [r for r in rows if r["organization"] == organization]
    out = []
    for organization, chosen in groups.items():
        ratings = defaultdict(list)
        for r in chosen:
            if r["rating"] is not None:
                ratings[(r["item"], r["capability"])].append(r["rating"])
        means = [(item, capability, sum(v) / len(v)) for (item, capability), v in ratings.items()]
        highest = sorted(means, key=lambda m: (-m[2], m[0]))[:top]
        lowest = sorted(means, key=lambda m: (m[2], m[0]))[:top]
        out += [(organization, "Strength", i, c, a) for i, c, a in highest]
        out += [(organization, "Learning opportunity", i, c, a) for i, c, a in lowest]
    return out


def oracle_disagreements(rows, spread=2):
    """[(organization, item, capability, lowest, highest, "Name: rating, ...")] from response dicts."""
    groups = defaultdict(list)
    for r in rows:
        if r["rating"] is not None:
            groups[(r["organization"], r["item"], r["capability"])].append(r)
    out = []
    for key in sorted(groups):
        chosen = groups[key]
        ratings = [r["rating"] for r in chosen]
        if len({r["respondent_name"] for r in chosen}) >= 2 and max(ratings) - min(ratings) >= spread:
            listed = ", ".join(f"{r['respondent_name']}: {r['rating']}" for r in chosen)
            out.append((*key, min(ratings), max(ratings), listed))
    return out


def as_tuples(frame):
    return [tuple(row) for row in frame.itertuples(index=False)]


def close(ours, theirs):
    """Rows equal, averages to 9 decimals (a mean may be summed in another order)."""
    def rounded(rows):
        return [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows]
    return rounded(ours) == rounded(theirs)


RESPONSE = st.fixed_dictionaries({
    "organization": st.sampled_from(ORGANIZATIONS), "respondent_name": st.sampled_from(PEOPLE),
    "item": st.integers(1, 6), "rating": st.integers(1, 5),
})


@settings(max_examples=150, deadline=None)
@given(st.lists(RESPONSE, max_size=40))
def test_summaries_agree_with_the_oracles_for_any_ratings(rows):
    for r in rows:
        r["capability"] = f"Capability {r['item']}"
    responses = pd.DataFrame(rows, columns=["organization", "respondent_name", "item", "capability", "rating"])
    assert close(as_tuples(strengths_and_opportunities(responses)), oracle_strengths(rows))
    assert as_tuples(disagreements(responses)) == oracle_disagreements(rows)


def test_summaries_of_the_samples_agree_with_the_oracles():
    """On the bundled returns: the Responses table the roll-up is built from."""
    responses = build(validate_paths([SAMPLES])).tables["Responses"]
    rows = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in responses.to_dict("records")]
    assert len(rows) > 100
    strengths = oracle_strengths(rows)
    assert close(as_tuples(strengths_and_opportunities(responses)), strengths)
    assert strengths[0][0] == "All organizations" and {s[1] for s in strengths} == {"Strength", "Learning opportunity"}
    assert as_tuples(disagreements(responses)) == oracle_disagreements(rows)


def test_a_hand_worked_example():
    """Two people of one organization 2 points apart on item 1; a third organization alone."""
    rows = [
        {"organization": "Acme", "respondent_name": "Ana", "item": 1, "capability": "Data", "rating": 5},
        {"organization": "Acme", "respondent_name": "Ben", "item": 1, "capability": "Data", "rating": 3},
        {"organization": "Acme", "respondent_name": "Ana", "item": 2, "capability": "Goals", "rating": 2},
        {"organization": "Acme", "respondent_name": "Ben", "item": 2, "capability": "Goals", "rating": 3},
        {"organization": "Bluestem", "respondent_name": "Chloe", "item": 1, "capability": "Data", "rating": 1},
        {"organization": "Bluestem", "respondent_name": "Chloe", "item": 2, "capability": "Goals", "rating": 5},
    ]
    responses = pd.DataFrame(rows)
    assert as_tuples(disagreements(responses)) == [("Acme", 1, "Data", 3, 5, "Ana: 5, Ben: 3")]
    listed = as_tuples(strengths_and_opportunities(responses, top=1))
    assert listed == [
        ("All organizations", "Strength", 2, "Goals", 10 / 3), ("All organizations", "Learning opportunity", 1, "Data", 3.0),
        ("Acme", "Strength", 1, "Data", 4.0), ("Acme", "Learning opportunity", 2, "Goals", 2.5),
        ("Bluestem", "Strength", 2, "Goals", 5.0), ("Bluestem", "Learning opportunity", 1, "Data", 1.0),
    ]
