"""Collecting returns from mail: every workbook once, under safe names, with a ledger; reruns add only what is new."""

import csv
import hashlib
import io
import os
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest

import dovecot
from sheetflow.cli import main
from sheetflow.ledger import COLUMNS, Received, ledger_of, read_ledger
from sheetflow.outreach.collect import collect
from sheetflow.intake.validate import collect as validate_files

HERE = Path(__file__).parent
SAMPLES = HERE.parent / "samples"
RETURNS = SAMPLES / "returns"
MANIFEST = SAMPLES / "sent" / "manifest.csv"
ANA = RETURNS / "North Plains - Prairie Workforce Board - Ana Lopez - Self-Assessment.xlsx"
BEN = RETURNS / "North Plains - Prairie Workforce Board - Ben Okafor - Self-Assessment.xlsx"
RENAMED = RETURNS / "Copy of Self-Assessment (2) FINAL.xlsx"
ANA_ID = "c3708ce4-f686-40e0-8760-22d801d7eee9"
BEN_ID = "1d9df523-d3b9-45dc-8fd3-240a56825784"
ANA_PLAN_ID = next(line.split(",")[0] for line in MANIFEST.read_text(encoding="utf-8-sig").splitlines()
                   if "sector-action-plan" in line and "ana.lopez@" in line)


def eml(folder: Path, name: str, attachments=(), sender="Ana Lopez <ana.lopez@prairiewb.example.org>",
        subject="Self-assessment", day=3, message_id=None) -> Path:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "convener@example.org", subject
    msg["Date"] = f"Tue, {day:02d} Mar 2026 09:15:00 -0600"
    msg["Message-ID"] = message_id or f"<{name}@example.org>"
    msg.set_content("Attached.")
    for attachment_name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=attachment_name)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.eml"
    path.write_bytes(msg.as_bytes())
    return path


def ledger_rows(inbox: Path) -> list[dict]:
    with open(inbox / "collected.csv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_each_workbook_is_saved_once_under_a_readable_name_with_a_ledger(tmp_path):
    mail = tmp_path / "mail"
    eml(mail, "ana", [(ANA.name, ANA.read_bytes()), ("logo.png", b"\x89PNG...")])
    eml(mail, "ben", [(BEN.name, BEN.read_bytes())], sender="ben.okafor@prairiewb.example.org", day=4)
    eml(mail, "ana2", [(ANA.name, ANA.read_bytes())], day=5)  # the same workbook sent twice
    eml(mail, "thanks", [], sender="grace@plainsedc.example.org")  # no attachment
    before = {p: p.read_bytes() for p in mail.iterdir()}
    report = collect([mail], tmp_path / "inbox")

    inbox = tmp_path / "inbox"
    ana_file = f"2026-03-03 - ana.lopez@prairiewb.example.org - {ANA.name}"
    assert sorted(p.name for p in inbox.iterdir()) == sorted(
        ["collected.csv", ana_file, f"2026-03-04 - ben.okafor@prairiewb.example.org - {BEN.name}"])
    assert (inbox / ana_file).read_bytes() == ANA.read_bytes()
    rows = ledger_rows(inbox)
    assert list(rows[0]) == list(COLUMNS)
    by = {(r["message_id"], r["attachment"]): r for r in rows}
    assert len(rows) == 4  # three workbooks and the logo; the message without attachment has no row
    first = by[("<ana@example.org>", ANA.name)]
    assert first == {"message_id": "<ana@example.org>", "received_at": "2026-03-03T09:15:00-06:00",
                     "from": "ana.lopez@prairiewb.example.org", "subject": "Self-assessment",
                     "attachment": ANA.name, "file": ana_file, "sha256": sha(ANA.read_bytes()), "status": "saved",
                     "response_id": ""}
    again = by[("<ana2@example.org>", ANA.name)]
    assert again["status"] == "duplicate" and again["file"] == ana_file
    assert by[("<ana@example.org>", "logo.png")]["status"] == "refused: an image (.png), not a workbook"
    assert (len(report.new), len(report.saved), len(report.duplicates), len(report.refused)) == (4, 2, 1, 1)
    assert [m.sender for m in report.without_attachment] == ["grace@plainsedc.example.org"]
    assert {p: p.read_bytes() for p in mail.iterdir()} == before  # the mail is never changed


def test_a_rerun_saves_nothing_twice_and_counts_only_what_is_new(tmp_path):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    eml(mail, "ana", [(ANA.name, ANA.read_bytes())])
    collect([mail], inbox)
    files = {p.name: p.read_bytes() for p in inbox.iterdir()}
    again = collect([mail], inbox)
    assert again.new == [] and {p.name: p.read_bytes() for p in inbox.iterdir()} == files
    eml(mail, "ben", [(BEN.name, BEN.read_bytes())], sender="ben.okafor@prairiewb.example.org")
    third = collect([mail], inbox)
    assert [r.attachment for r in third.new] == [BEN.name] and len(ledger_rows(inbox)) == 2
    assert "1 new attachment: 1 saved" in third.to_text()  # "1 new attachments" before
    saved = inbox / third.saved[0].file
    saved.unlink()  # the convener deleted it; the same bytes sent again are saved again
    eml(mail, "ben-again", [(BEN.name, BEN.read_bytes())], sender="ben.okafor@prairiewb.example.org", day=6)
    (row,) = collect([mail], inbox).new
    assert row.status == "saved" and (inbox / row.file).read_bytes() == BEN.read_bytes()


def test_other_spreadsheets_and_unknown_kinds_are_saved_for_validate_to_judge(tmp_path):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    csv_return = RETURNS / "Hector Ramirez answers.csv"
    eml(mail, "kinds", [(csv_return.name, csv_return.read_bytes()), ("old.xls", b"\xd0\xcf\x11\xe0old"),
                        ("plan.ods", b"PK\x03\x04ods"), ("answers", b"no extension"), ("scan.pdf", b"%PDF-1.4"),
                        ("empty.xlsx", b"")])
    report = collect([mail], inbox)
    assert sorted(r.attachment for r in report.saved) == sorted([csv_return.name, "old.xls", "plan.ods", "answers"])
    assert {r.attachment: r.status for r in report.refused} == {
        "scan.pdf": "refused: a document (.pdf), not a workbook",
        "empty.xlsx": "refused: the attachment is empty (0 bytes)"}


@pytest.mark.parametrize("hostile", ["../../x.xlsx", "..\\..\\windows\\x.xlsx", "/etc/passwd.xlsx", "CON.xlsx",
                                     "nul", "tab\tand\x01control\x7f.xlsx", "a" * 300 + ".xlsx",
                                     "é" * 200 + ".xlsx", 'what: "is" <this>?|*.xlsx', " . ", ".xlsx"])
def test_hostile_attachment_names_are_made_safe_inside_the_inbox(tmp_path, hostile):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    eml(mail, "hostile", [(hostile, ANA.read_bytes())])
    (row,) = collect([mail], inbox).saved
    saved = inbox / row.file
    assert saved.parent == inbox and saved.read_bytes() == ANA.read_bytes()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file() and p.parent != mail) == sorted(
        ["collected.csv", row.file])
    name = row.file
    assert name.startswith("2026-03-03 - ana.lopez@prairiewb.example.org - ")
    assert len(name) <= 150 and len(name.encode()) <= 255
    assert not any(c in name for c in '/\\:*?"<>|') and all(ord(c) >= 32 and c != "\x7f" for c in name)
    assert not name.endswith((" ", "."))
    assert row.attachment == " ".join(hostile.split()) or row.attachment == hostile


def test_an_existing_file_of_the_same_name_is_never_overwritten(tmp_path):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    inbox.mkdir()
    taken = inbox / f"2026-03-03 - ana.lopez@prairiewb.example.org - {ANA.name}"
    taken.write_bytes(b"the convener's own file")
    eml(mail, "ana", [(ANA.name, ANA.read_bytes())])
    (row,) = collect([mail], inbox).saved
    assert taken.read_bytes() == b"the convener's own file"
    assert row.file == taken.name.replace(".xlsx", " (2).xlsx")


def zipped(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_members_are_taken_out_and_paths_bombs_and_junk_refused(tmp_path):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    archive = zipped({f"Returns/{ANA.name}": ANA.read_bytes(), BEN.name: BEN.read_bytes(),
                      "../../evil.xlsx": b"escape", "__MACOSX/._x.xlsx": b"junk",
                      "bomb.xlsx": b"\0" * (50 << 20), "inner.zip": zipped({"x.xlsx": b"x"})})
    eml(mail, "zip", [("returns.zip", archive)])
    report = collect([mail], inbox)
    saved = {r.attachment: r.file for r in report.saved}
    assert saved == {f"returns.zip / Returns/{ANA.name}": f"2026-03-03 - ana.lopez@prairiewb.example.org - {ANA.name}",
                     f"returns.zip / {BEN.name}": f"2026-03-03 - ana.lopez@prairiewb.example.org - {BEN.name}"}
    refused = {r.attachment: r.status for r in report.refused}
    assert "path leading out of the folder" in refused["returns.zip / ../../evil.xlsx"]
    assert "as zip bombs do" in refused["returns.zip / bomb.xlsx"]
    assert "Mac or Windows folder data" in refused["returns.zip / __MACOSX/._x.xlsx"]
    assert "archive inside the zip" in refused["returns.zip / inner.zip"]
    assert not (tmp_path / "evil.xlsx").exists() and not list(tmp_path.rglob("evil*"))


def test_a_zip_with_too_many_members_or_damaged_is_refused_whole(tmp_path):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    eml(mail, "many", [("many.zip", zipped({f"{i}.csv": b"x" for i in range(2001)})),
                       ("cut.zip", zipped({"a.xlsx": ANA.read_bytes()})[:5000])])
    report = collect([mail], inbox)
    assert report.saved == []
    refused = {r.attachment: r.status for r in report.refused}
    assert "more than 2000 files" in refused["many.zip"] and "damaged" in refused["cut.zip"]


def test_an_unreadable_mail_file_is_a_ledger_row_with_its_reason(tmp_path):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    mail.mkdir()
    (mail / "broken.msg").write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x01" * 600)
    eml(mail, "ana", [(ANA.name, ANA.read_bytes())])
    report = collect([mail], inbox)
    assert len(report.saved) == 1
    (row,) = report.refused
    assert row.status.startswith("refused: this Outlook message cannot be read")


def test_the_ledger_keeps_typed_text_as_text(tmp_path):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    eml(mail, "formula", [(ANA.name, ANA.read_bytes())], subject="=HYPERLINK(\"http://x\",\"click\")")
    collect([mail], inbox)
    text = (inbox / "collected.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text
    assert read_ledger(inbox)[0].subject == "=HYPERLINK(\"http://x\",\"click\")"


def test_with_the_manifest_each_file_is_tied_by_stamp_name_or_sender(tmp_path):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    eml(mail, "stamped", [(RENAMED.name, RENAMED.read_bytes())], sender="someone@elsewhere.example.org")
    eml(mail, "named", [(BEN.name, b"PK\x03\x04 cut short")], sender="assistant@prairiewb.example.org")
    eml(mail, "by-address", [("my answers.xlsx", b"garbage")], sender="Ana Lopez <ana.lopez@prairiewb.example.org>")
    eml(mail, "lead", [("Action Plan v2.xlsx", b"damaged")], sender="ana.lopez@prairiewb.example.org")
    eml(mail, "stranger", [("x.xlsx", b"other")], sender="nobody@example.org")
    report = collect([mail], inbox, manifest=MANIFEST)
    tied = {r.attachment: r.response_id for r in report.saved}
    # Ana leads her region's action plan too: a damaged file from her address is hers, and the one
    # whose name says "Action Plan" is her action plan; "my answers" could be either, so it is left.
    assert tied["Action Plan v2.xlsx"] == ANA_PLAN_ID
    assert tied["my answers.xlsx"] == ""
    assert tied[BEN.name] == BEN_ID  # the name of the workbook sent to Ben
    assert tied["x.xlsx"] == ""
    assert tied[RENAMED.name] == BEN_ID  # Ben's second copy, renamed: the stamp inside, whoever sent it
    ledger = ledger_of(inbox)
    damaged = next(r for r in report.saved if r.attachment == BEN.name)
    assert ledger[os.path.realpath(inbox / damaged.file)] == Received("2026-03-03T15:15:00+00:00",
                                                                      "assistant@prairiewb.example.org", BEN_ID)


def test_the_command_collects_and_reports(tmp_path, capsys):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    eml(mail, "ana", [(ANA.name, ANA.read_bytes())])
    assert main(["collect", str(mail), "-o", str(inbox)]) == 0
    assert "1 new attachment: 1 saved" in capsys.readouterr().out
    assert main(["collect", str(mail), "-o", str(inbox)]) == 0
    assert "0 new attachments" in capsys.readouterr().out
    assert main(["collect", "-o", str(inbox)]) == 2
    assert main(["collect", str(tmp_path / "missing"), "-o", str(inbox)]) == 2
    assert "no such file or folder" in capsys.readouterr().err


needs_dovecot = pytest.mark.skipif(not dovecot.available(), reason="Dovecot is installed by scripts/install-system-deps")


@needs_dovecot
def test_the_command_collects_from_a_real_imap_server_without_changing_it(tmp_path, monkeypatch, capsys):
    with dovecot.Dovecot(tmp_path / "dovecot") as server:
        for path in (ANA, BEN, RENAMED):  # workbooks filled in and saved by LibreOffice
            mail = tmp_path / "out"
            server.append(eml(mail, path.stem[-30:], [(path.name, path.read_bytes())],
                              sender="convener.colleague@example.org").read_bytes())
        server.append(eml(tmp_path / "out", "hello", []).read_bytes())
        before = server.flags()
        inbox = tmp_path / "inbox"
        args = ["collect", "--imap", f"127.0.0.1:{server.port}", "--user", dovecot.USER, "--no-tls",
                "-o", str(inbox), "--manifest", str(MANIFEST)]
        monkeypatch.delenv("SHEETFLOW_IMAP_PASSWORD", raising=False)
        assert main(args) == 2
        assert "SHEETFLOW_IMAP_PASSWORD" in capsys.readouterr().err
        monkeypatch.setenv("SHEETFLOW_IMAP_PASSWORD", dovecot.PASSWORD)
        assert main(args) == 0
        assert "4 messages read (1 without attachment); 3 new attachments: 3 saved" in capsys.readouterr().out
        assert main(args) == 0
        assert "0 new attachments" in capsys.readouterr().out
        after = server.flags()
        assert after == before and not any("\\Seen" in f for f in after.values()) and server.count() == 4
    rows = read_ledger(inbox)
    assert {(inbox / r.file).read_bytes() for r in rows} == {p.read_bytes() for p in (ANA, BEN, RENAMED)}
    assert {r.response_id for r in rows} >= {ANA_ID, BEN_ID}


def test_the_sample_mail_is_what_its_script_makes_and_collects_into_the_sample_returns(tmp_path):
    import runpy

    script = runpy.run_path(str(HERE.parent / "scripts" / "make_sample_mail.py"))
    script["main"](tmp_path / "mail")
    committed = SAMPLES / "mail"
    assert {p.name: p.read_bytes() for p in (tmp_path / "mail").iterdir()} == {
        p.name: p.read_bytes() for p in committed.iterdir()}
    report = collect([committed], tmp_path / "inbox", manifest=MANIFEST)
    returns = {p.read_bytes() for p in RETURNS.iterdir()}
    assert {(tmp_path / "inbox" / r.file).read_bytes() for r in report.saved} == returns
    files, skipped = validate_files([tmp_path / "inbox"])
    assert len(files) == len(returns) and (str(tmp_path / "inbox" / "collected.csv"),
                                           "sheetflow's ledger of collected mail") in skipped


def test_validate_counts_the_newest_received_copy_of_a_response(tmp_path):
    """Ben sent his final copy, then by mistake his first, unfinished one again: the one received last counts."""
    from sheetflow.intake.validate import validate_paths

    first = BEN.read_bytes()  # saved first, two ratings missing
    final = RENAMED.read_bytes()  # saved later, complete
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    eml(mail, "final", [(RENAMED.name, final)], sender="ben.okafor@prairiewb.example.org", day=3)
    eml(mail, "first-again", [(BEN.name, first)], sender="ben.okafor@prairiewb.example.org", day=9)
    collect([mail], inbox)
    by_name = {Path(f.path).name: f for f in validate_paths([inbox], workers=1).files}
    (final_file,) = [f for n, f in by_name.items() if RENAMED.name in n]
    (first_file,) = [f for n, f in by_name.items() if BEN.name in n]
    assert (final_file.status, first_file.status) == ("superseded", "invalid")
    assert "received 2026-03-09T15:15:00+00:00" in final_file.warnings[-1].message
    # Without the ledger, the newest saved copy counts, as before.
    (inbox / "collected.csv").unlink()
    by_name = {Path(f.path).name: f.status for f in validate_paths([inbox], workers=1).files}
    assert sorted(by_name.values()) == ["superseded", "valid"]


def test_status_counts_a_damaged_renamed_file_as_its_senders_return(tmp_path):
    """Umar's workbook was cut short on the way and renamed by his mail program: without the ledger it
    matches nobody; collected, it came from his address, so he has a return with problems."""
    from sheetflow.outreach.status import status

    inbox = tmp_path / "inbox"
    collect([SAMPLES / "mail"], inbox)  # without --manifest: the sender's address ties it
    umar = next(r for r in read_ledger(inbox) if "Umar" in r.attachment)
    report = status([inbox], MANIFEST, workers=1)
    state = {r.respondent_name: r for r in report.recipients if r.instrument == "sector-self-assessment"}
    assert state["Umar Farouk"].state == "problems" and report.unexpected == []
    assert Path(state["Umar Farouk"].report.path).name == umar.file
    assert any("came from ufarouk@pathwayscap.example.org" in n for n in state["Umar Farouk"].notes)
    assert state["Kim Soo-jin"].state == "outstanding"  # wrote without attaching anything
    (inbox / "collected.csv").unlink()
    report = status([inbox], MANIFEST, workers=1)
    umar_now = next(r for r in report.recipients if r.respondent_name == "Umar Farouk")
    assert umar_now.state == "outstanding" and [Path(u.report.path).name for u in report.unexpected
                                                if "Umar" in u.report.path] == [umar.file]


def test_rollup_uses_the_ledger_too(tmp_path, capsys):
    inbox = tmp_path / "inbox"
    collect([SAMPLES / "mail"], inbox)
    out = tmp_path / "rollup.xlsx"
    assert main(["rollup", str(inbox), "--manifest", str(MANIFEST), "-o", str(out), "--workers", "1"]) == 0
    from openpyxl import load_workbook

    outstanding = load_workbook(out, read_only=True)["Outstanding"]
    names = {row[5] for row in outstanding.iter_rows(min_row=2, values_only=True)}
    assert "Umar Farouk" in names  # still not in the roll-up: his file cannot be read
    states = {row[5]: row[7] for row in outstanding.iter_rows(min_row=2, values_only=True)}
    assert states["Umar Farouk"] == "problems" and states["Kim Soo-jin"] == "outstanding"


def test_outlook_messages_are_collected_and_their_pictures_listed(tmp_path):
    report = collect([HERE / "fixtures" / "outlook"], tmp_path / "inbox")
    assert report.messages == 2 and report.saved == []
    assert [(r.sender, r.attachment, r.status) for r in report.refused] == [
        ("brizhou@gmail.com", "import OleFileIO.tif", "refused: an image (.tif), not a workbook"),
        ("brizhou@gmail.com", "raised value error.tif", "refused: an image (.tif), not a workbook")]
    assert [m.subject for m in report.without_attachment] == ["MSG Test File"]


@pytest.mark.parametrize("sender", ['"Evil" <../../etc@example.org>', "CON", "<>", "a@b@c", "x\u202e@example.org"])
def test_a_sender_that_is_no_plain_address_is_an_unknown_sender(tmp_path, sender):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    eml(mail, "odd", [(ANA.name, ANA.read_bytes())], sender=sender)
    (row,) = collect([mail], inbox).saved
    assert row.sender == "" and row.file == f"2026-03-03 - unknown sender - {ANA.name}"
