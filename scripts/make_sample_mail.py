"""Make samples/mail/: the replies that carried samples/returns back, as .eml files (the same bytes every run).

    .venv/bin/python scripts/make_sample_mail.py

Each return comes from its respondent's address on samples/roster.csv, on its own day, as a
mail export would hold it. As in a real inbox: one college sends its three returns zipped from
one address, one partner sends the same workbook twice, one sends a second copy under another
name, the file cut short in transit arrives renamed, one message carries only a logo and a
promise, and the CSV comes from the person who typed it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RETURNS, OUT = ROOT / "samples" / "returns", ROOT / "samples" / "mail"
CONVENER = "Sector Partnership Convener <convener@statewide-sectors.example.org>"
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=-6)))
LOGO = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")  # the start of a PNG
ZIPPED = ("David Whitehorse", "Elena Petrova", "Farid Haddad")  # one college, one zip, from David


def people() -> dict[str, dict]:
    with open(ROOT / "samples" / "roster.csv", newline="", encoding="utf-8") as handle:
        return {row["respondent_name"]: row for row in csv.DictReader(handle)}


def message(number: int, person: dict, subject: str, text: str, attachments=()) -> tuple[str, bytes]:
    when = START + timedelta(days=number // 3, hours=number % 3 * 2, minutes=number * 7 % 60)
    msg = EmailMessage()
    msg["Received"] = (f"from mx.{person['email'].split('@')[1]} by mail.statewide-sectors.example.org; "
                       f"{format_datetime(when)}")
    msg["From"] = f"{person['respondent_name']} <{person['email']}>"
    msg["To"], msg["Subject"], msg["Date"] = CONVENER, subject, format_datetime(when - timedelta(minutes=1))
    msg["Message-ID"] = f"<sample-{number:02d}@{person['email'].split('@')[1]}>"
    msg.set_content(f"Hello,\n\n{text}\n\n{person['respondent_name']}\n{person['organization']}\n")
    for name, data, kind in attachments:
        maintype, subtype = kind.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    if msg.is_multipart():
        msg.set_boundary(f"sample-boundary-{number:02d}")
    file = f"{number:02d} {person['respondent_name']} - {subject}.eml".replace("/", "-")
    return file, msg.as_bytes()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def zipped(paths: list[Path]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            info = zipfile.ZipInfo(f"Self-assessments/{path.name}", date_time=(2026, 3, 5, 16, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def main(out: Path = OUT) -> None:
    roster = people()
    returns = sorted(p for p in RETURNS.iterdir() if p.suffix == ".xlsx" and " - " in p.name)
    mails: list[tuple[str, bytes]] = []

    def send(person: str, subject: str, text: str, attachments=()):
        mails.append(message(len(mails) + 1, roster[person], subject, text, attachments))

    by_person = {}
    for path in returns:
        for name in roster:
            if f" - {name} - " in path.name:
                by_person[name] = path
    plans = {p.name.split(" - ")[0]: p for p in returns if p.name.endswith("Action Plan.xlsx")}
    leads = {row["region"]: name for name, row in roster.items() if row["action_plan_lead"] == "yes"}
    for name, path in sorted(by_person.items(), key=lambda item: item[1].name):
        if name in ZIPPED:
            continue
        if name == "Umar Farouk":  # the copy that was cut short on the way, renamed by his mail program
            send(name, "Self-assessment", "Here is my self-assessment.",
                 [("Self-Assessment Umar.xlsx", path.read_bytes(), XLSX)])
            continue
        extra = [("logo.png", LOGO, "image/png")] if name == "Grace Lindqvist" else []
        send(name, "Self-assessment", "Please find my completed self-assessment attached.",
             [(path.name, path.read_bytes(), XLSX)] + extra)
        if name == "Grace Lindqvist":  # the same file again: "did you get it?"
            send(name, "Re: Self-assessment", "Sending it again in case the first did not arrive.",
                 [(path.name, path.read_bytes(), XLSX)])
    send("David Whitehorse", "NPCC self-assessments", "Attached are the three self-assessments from our college.",
         [("NPCC self-assessments.zip", zipped([by_person[n] for n in ZIPPED]), "application/zip")])
    for region, path in sorted(plans.items()):
        send(leads[region], f"{region} action plan", "Our region's action plan is attached.",
             [(path.name, path.read_bytes(), XLSX)])
    resend = RETURNS / "Copy of Self-Assessment (2) FINAL.xlsx"
    send("Ben Okafor", "Self-assessment (final)", "I filled in the two ratings I had missed; this is the final one.",
         [(resend.name, resend.read_bytes(), XLSX)])
    answers = RETURNS / "Hector Ramirez answers.csv"
    send("Hector Ramirez", "My answers", "I could not open the workbook, so here are my ratings.",
         [(answers.name, answers.read_bytes(), "text/csv")])
    send("Kim Soo-jin", "Self-assessment", "I will send mine next week.")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.eml"):
        old.unlink()
    for file, raw in mails:
        (out / file).write_bytes(raw)
        print(file)


if __name__ == "__main__":
    main()
