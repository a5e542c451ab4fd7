"""Every column of every roll-up table, once: its name, what it means, its type, its number format and width.

``tables`` makes its frames with these columns (and the About sheet lists their meanings as the data
dictionary), ``table_sheets`` writes each table's sheet with their number formats and print layout,
``trend_sheet`` the Trend table with its widths, and ``previous`` reads an earlier roll-up's rows back with
their types. A column's width is None where its sheet works it out from its values (``table_sheets.print_widths``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .. import style

# LibreOffice (7.4) shows a PivotTable's figures and its numeric headings in the one format of their source
# column (Excel uses the pivot's own number formats): the Ratings by area pivot averages the ratings, the Rating
# counts pivot is headed by them. RATING_FORMAT shows a whole number without decimals (the headings 1 to 5) and
# any other with one (the averages); Excel would show a whole number in it with a trailing point ("3."), so the
# ratings are shown as the whole numbers they are by a conditional format, which the pivot does not take
RATING_FORMAT = "0.#"
CHANGE_FORMAT = "[>=0.05]+0.0;[<=-0.05]-0.0;0.0"  # a change under 0.05 either way shows as 0.0, never -0.0


class ValueType(StrEnum):
    """What a column's values are."""

    TEXT = "text"
    WHOLE = "whole number"
    NUMBER = "number"
    DATE = "date and time"


@dataclass(frozen=True)
class Column:
    """One column of a roll-up table."""

    name: str
    meaning: str  # to a board member (the About sheet's data dictionary)
    value_type: ValueType = ValueType.TEXT
    number_format: str | None = None  # how its numbers show (None: General); a whole-number column with one
    # (the rating's RATING_FORMAT) is also shown without decimals by a conditional format
    width: float | None = None  # characters, where its sheet sets it; None: worked out from its values
    printed_on: str | None = None  # the sheet its texts print on, by the row's key, when it ends its table:
    # its table's printed pages leave it out
    required: bool = False  # every row has one (an earlier roll-up's row without it is refused)
    digits_as_text: bool = False  # text that often holds digits (a cycle): Excel is told not to flag it

    @property
    def shown_whole(self) -> bool:
        """Whether the table shows its numbers without decimals whatever its number format."""
        return self.value_type is ValueType.WHOLE and self.number_format is not None


_ACTION_PLAN = (  # the columns that begin both action-plan tables
    Column("response_id", "The reference stamped on the action plan that was sent.", required=True),
    Column("cycle", "The planning cycle.", required=True, digits_as_text=True),
    Column("region", "The region the action plan is for."),
    Column("lead_organization", "The organization that led the action plan."),
    Column("element", "The key element's number, 1 to {elements}.", ValueType.WHOLE, required=True),
    Column("element_name", "The key element of sector strategies."),
)

# Every column of every table, with what it means to a board member (the About sheet's data dictionary).
TABLES: dict[str, dict[str, Column]] = {name: {c.name: c for c in columns} for name, columns in {
    "Responses": (
        Column("response_id", "The reference stamped on the workbook that was sent.", required=True),
        Column("cycle", "The assessment cycle (usually a year).", required=True, digits_as_text=True),
        Column("region", "The respondent's region."),
        Column("organization", "The respondent's organization."),
        Column("respondent_name", "Who filled in the self-assessment."),
        Column("respondent_role", "The respondent's role or title."),
        Column("area", "The component area (one of {areas})."),
        Column("item", "The capability's number, 1 to {items}.", ValueType.WHOLE, required=True),
        Column("rating", "The rating: {scale}.",
               ValueType.WHOLE, number_format=RATING_FORMAT),
        Column("comment", "How the respondent described the rating."),
        Column("capability", "The capability, as worded in the self-assessment (printed on the Rating distribution "
                             "sheet, by item).", printed_on="Rating distribution"),
        Column("source_file", "The returned file the answer came from (printed on the Submissions sheet, by response "
                              "id).", printed_on="Submissions"),
    ),
    "Context": (
        Column("response_id", "The reference stamped on the workbook that was sent.", required=True),
        Column("cycle", "The assessment cycle.", required=True, digits_as_text=True),
        Column("region", "The respondent's region."),
        Column("organization", "The respondent's organization."),
        Column("respondent_name", "Who answered."),
        Column("stage", "Before: asked before the assessment. After: to consider after completing it."),
        Column("question", "The question, as worded in the self-assessment."),
        Column("answer", "Yes or No for the questions before the assessment; the text answer after it."),
        Column("detail", "The answer to the question's \"If Yes\" follow-up."),
        Column("source_file", "The returned file the answer came from (printed on the Submissions sheet, by response "
                              "id).", printed_on="Submissions"),
    ),
    "Components": (
        *_ACTION_PLAN,
        Column("component", "The component's number within its element.", ValueType.WHOLE),
        Column("component_text", "The component to have in place, as worded in the Action Planning Tool."),
        Column("status", "In place, Partly in place or Not yet in place."),
        Column("source_file", "The returned file the answer came from (printed on the Submissions sheet, by response "
                              "id).", printed_on="Submissions"),
    ),
    "Actions": (
        *_ACTION_PLAN,
        Column("row", "The row of the element's action table.", ValueType.WHOLE),
        Column("objective", "Strategic Objective."),
        Column("key_actions", "Key Actions."),
        Column("timeline", "Timeline."),
        Column("lead", "Lead Person/ Organization."),
        Column("resources_ta", "Resources/ TA Needed."),
        Column("desired_outcomes", "Desired Outcomes."),
        Column("source_file", "The returned file the answer came from (printed on the Submissions sheet, by response "
                              "id).", printed_on="Submissions"),
    ),
    "Progress": (
        Column("response_id", "The reference stamped on the action plan that gives the progress.", required=True),
        Column("cycle", "The planning cycle of that plan.", required=True, digits_as_text=True),
        Column("region", "The region the action plan is for."),
        Column("element", "The key element's number, 1 to {elements}.", ValueType.WHOLE, required=True),
        Column("element_name", "The key element of sector strategies."),
        Column("row", "The row of last cycle's action table (and of the follow-up block).", ValueType.WHOLE),
        Column("objective", "Last cycle's Strategic Objective in that row."),
        Column("progress", "What became of the action: Done, On track, Delayed or Dropped (blank: not given)."),
        Column("note", "The region's note on the action's progress."),
        Column("previous_response_id", "The reference of last cycle's plan the action came from."),
    ),
    "Submissions": (
        Column("source_file", "Every file considered, valid or not."),
        Column("sha256", "A fingerprint of the file's bytes (identical files have the same one)."),
        Column("status", "valid (in the roll-up), invalid, rejected or superseded (all left out), or skipped (not a "
                         "return: sheetflow's own file, a lock or hidden file)."),
        Column("instrument", "Which instrument the file is (when it could be read)."),
        Column("response_id", "The reference stamped on the workbook."),
        Column("organization", "The organization (or region, for an action plan)."),
        Column("respondent_name", "The respondent (or lead organization, for an action plan)."),
        Column("saved_at", "When the file was last saved by the partner's application (UTC).", ValueType.DATE),
        Column("errors", "How many things must be fixed before the file can be used.", ValueType.WHOLE),
        Column("warnings", "How many optional answers are missing or look odd.", ValueType.WHOLE),
        Column("reason", "Why the file was left out, in one line."),
    ),
    "Outstanding": (
        Column("response_id", "The reference stamped on the workbook that was sent."),
        Column("instrument", "Which workbook was sent."),
        Column("cycle", "The cycle it was sent for.", digits_as_text=True),
        Column("region", "The recipient's region."),
        Column("organization", "The recipient's organization."),
        Column("respondent_name", "Who it was sent to."),
        Column("email", "The recipient's email address."),
        Column("state", "outstanding (nothing came back), problems (what came back must be fixed) or superseded."),
        Column("file", "The workbook that was sent."),
    ),
    "ResponseRate": (
        Column("level", "Region or Organization."),
        Column("name", "The region or organization."),
        Column("instrument", "Self-Assessment or Action Plan."),
        Column("sent", "Workbooks sent.", ValueType.WHOLE),
        Column("returned", "Workbooks that came back, usable or not.", ValueType.WHOLE),
        Column("valid", "Returns included in this roll-up.", ValueType.WHOLE),
        Column("response_rate", "valid / sent.", ValueType.NUMBER, number_format=style.PERCENT_FORMAT),
    ),
    "Trend": (
        Column("level", "all (every respondent), region or organization.", width=12),
        Column("name", "The region or organization (blank for all).", width=36),
        Column("area", "The component area.", width=36),
        Column("cycle", "The assessment cycle.", width=8, digits_as_text=True),
        Column("respondents", "Respondents with ratings in this area, cycle, region or organization.",
               ValueType.WHOLE, width=12),
        Column("average", "Their average rating (1-{top}).", ValueType.NUMBER, number_format=style.AVERAGE_FORMAT, width=8),
        Column("change", "The average minus the same area's average in the most recent earlier cycle in which the same "
                         "region or organization has returns (blank where there is none).",
               ValueType.NUMBER, number_format=CHANGE_FORMAT, width=8),
    ),
    "Problems": (
        Column("source_file", "A file that was left out."),
        Column("status", "invalid, rejected or superseded."),
        Column("level", "error (must be fixed) or warning."),
        Column("name", "The answer's defined name in the workbook."),
        Column("cell", "The sheet and cell to look at."),
        Column("message", "What is wrong, in words a partner can act on."),
    ),
}.items()}


def spec(table: str, name: str) -> Column:
    """The column ``name`` of ``table``; in a table the roll-up does not write (a test's), the first roll-up
    column of that name, else a column of text."""
    if name in TABLES.get(table, {}):
        return TABLES[table][name]
    return next((columns[name] for columns in TABLES.values() if name in columns), Column(name, ""))
