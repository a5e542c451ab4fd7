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
from sheetflow.arrival.ledger import COLUMNS, Received, ledger_of, read_ledger
from sheetflow.arrival.collect import collect_mail
from sheetflow.arrival.imap import Imap
from sheetflow.intake.validate import find_files as validate_files

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
    report = collect_mail([mail], tmp_path / "inbox")

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
                     "response_id": "", "sender_check": "", "authentication": "", "reason": ""}
    again = by[("<ana2@example.org>", ANA.name)]
    assert again["status"] == "duplicate" and again["file"] == ana_file
    logo = by[("<ana@example.org>", "logo.png")]
    assert (logo["status"], logo["reason"]) == ("refused", "an image (.png), not a workbook")  # the reason apart
    assert (len(report.new), len(report.saved), len(report.duplicates), len(report.refused)) == (4, 2, 1, 1)
    assert [m.sender for m in report.without_attachment] == ["grace@plainsedc.example.org"]
    assert {p: p.read_bytes() for p in mail.iterdir()} == before  # the mail is never changed


def test_a_rerun_saves_nothing_twice_and_counts_only_what_is_new(tmp_path):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    eml(mail, "ana", [(ANA.name, ANA.read_bytes())])
    collect_mail([mail], inbox)
    files = {p.name: p.read_bytes() for p in inbox.iterdir()}
    again = collect_mail([mail], inbox)
    assert again.new == [] and {p.name: p.read_bytes() for p in inbox.iterdir()} == files
    eml(mail, "ben", [(BEN.name, BEN.read_bytes())], sender="ben.okafor@prairiewb.example.org")
    third = collect_mail([mail], inbox)
    assert [r.attachment for r in third.new] == [BEN.name] and len(ledger_rows(inbox)) == 2
    assert "1 new attachment: 1 saved" in third.to_text()  # "1 new attachments" before
    saved = inbox / third.saved[0].file
    saved.unlink()  # the convener deleted it; the same bytes sent again are saved again
    eml(mail, "ben-again", [(BEN.name, BEN.read_bytes())], sender="ben.okafor@prairiewb.example.org", day=6)
    (row,) = collect_mail([mail], inbox).new
    assert row.status == "saved" and (inbox / row.file).read_bytes() == BEN.read_bytes()


def test_other_spreadsheets_and_unknown_kinds_are_saved_for_validate_to_judge(tmp_path):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    csv_return = RETURNS / "Hector Ramirez answers.csv"
    eml(mail, "kinds", [(csv_return.name, csv_return.read_bytes()), ("old.xls", b"\xd0\xcf\x11\xe0old"),
                        ("plan.ods", b"PK\x03\x04ods"), ("answers", b"no extension"), ("scan.pdf", b"%PDF-1.4"),
                        ("empty.xlsx", b"")])
    report = collect_mail([mail], inbox)
    assert sorted(r.attachment for r in report.saved) == sorted([csv_return.name, "old.xls", "plan.ods", "answers"])
    assert {r.attachment: (r.status, r.reason) for r in report.refused} == {
        "scan.pdf": ("refused", "a document (.pdf), not a workbook"),
        "empty.xlsx": ("refused", "the attachment is empty (0 bytes)")}
    assert "refused: a document (.pdf), not a workbook: scan.pdf from" in report.to_text()


@pytest.mark.parametrize("hostile", ["../../x.xlsx", "..\\..\\windows\\x.xlsx", "/etc/passwd.xlsx", "CON.xlsx",
                                     "nul", "tab\tand\x01control\x7f.xlsx", "a" * 300 + ".xlsx",
                                     "é" * 200 + ".xlsx", 'what: "is" <this>?|*.xlsx', " . ", ".xlsx"])
def test_hostile_attachment_names_are_made_safe_inside_the_inbox(tmp_path, hostile):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    eml(mail, "hostile", [(hostile, ANA.read_bytes())])
    (row,) = collect_mail([mail], inbox).saved
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
    (row,) = collect_mail([mail], inbox).saved
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
    report = collect_mail([mail], inbox)
    saved = {r.attachment: r.file for r in report.saved}
    assert saved == {f"returns.zip / Returns/{ANA.name}": f"2026-03-03 - ana.lopez@prairiewb.example.org - {ANA.name}",
                     f"returns.zip / {BEN.name}": f"2026-03-03 - ana.lopez@prairiewb.example.org - {BEN.name}"}
    refused = {r.attachment: r.reason for r in report.refused}
    assert "path leading out of the folder" in refused["returns.zip / ../../evil.xlsx"]
    assert "as zip bombs do" in refused["returns.zip / bomb.xlsx"]
    assert "Mac or Windows folder data" in refused["returns.zip / __MACOSX/._x.xlsx"]
    assert "archive inside the zip" in refused["returns.zip / inner.zip"]
    assert not (tmp_path / "evil.xlsx").exists() and not list(tmp_path.rglob("evil*"))


def test_a_zip_with_too_many_members_or_damaged_is_refused_whole(tmp_path):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    eml(mail, "many", [("many.zip", zipped({f"{i}.csv": b"x" for i in range(2001)})),
                       ("cut.zip", zipped({"a.xlsx": ANA.read_bytes()})[:5000])])
    report = collect_mail([mail], inbox)
    assert report.saved == []
    refused = {r.attachment: r.reason for r in report.refused}
    assert "more than 2000 files" in refused["many.zip"] and "damaged" in refused["cut.zip"]


def test_an_unreadable_mail_file_is_a_ledger_row_with_its_reason(tmp_path):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    mail.mkdir()
    (mail / "broken.msg").write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x01" * 600)
    eml(mail, "ana", [(ANA.name, ANA.read_bytes())])
    report = collect_mail([mail], inbox)
    assert len(report.saved) == 1 and report.refused == [] and report.messages == 1
    (unread,) = report.unread
    assert unread.problem.startswith("this Outlook message cannot be read")
    (row,) = [r for r in read_ledger(inbox) if not r.attachment]
    assert row.status == "refused" and row.reason.startswith("this Outlook message cannot be read")
    assert report.exit_code == 1 and "1 message read (0 without attachment); 1 not read (1 unreadable)" in report.to_text()


def test_the_ledger_keeps_typed_text_as_text(tmp_path):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    eml(mail, "formula", [(ANA.name, ANA.read_bytes())], subject="=HYPERLINK(\"http://x\",\"click\")")
    collect_mail([mail], inbox)
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
    report = collect_mail([mail], inbox, manifest=MANIFEST)
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
    assert ledger[os.path.realpath(inbox / damaged.file)] == Received(
        "2026-03-03T15:15:00+00:00", "assistant@prairiewb.example.org", BEN_ID, "same organization")


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
    report = collect_mail([committed], tmp_path / "inbox", manifest=MANIFEST)
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
    collect_mail([mail], inbox)
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
    from sheetflow.tracking.status import status

    inbox = tmp_path / "inbox"
    collect_mail([SAMPLES / "mail"], inbox)  # without --manifest: the sender's address ties it
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
    collect_mail([SAMPLES / "mail"], inbox)
    out = tmp_path / "rollup.xlsx"
    assert main(["rollup", str(inbox), "--manifest", str(MANIFEST), "-o", str(out), "--workers", "1"]) == 0
    from openpyxl import load_workbook

    outstanding = load_workbook(out, read_only=True)["Outstanding"]
    names = {row[5] for row in outstanding.iter_rows(min_row=2, values_only=True)}
    assert "Umar Farouk" in names  # still not in the roll-up: his file cannot be read
    states = {row[5]: row[7] for row in outstanding.iter_rows(min_row=2, values_only=True)}
    assert states["Umar Farouk"] == "problems" and states["Kim Soo-jin"] == "outstanding"


def test_outlook_messages_are_collected_and_their_pictures_listed(tmp_path):
    report = collect_mail([HERE / "fixtures" / "outlook"], tmp_path / "inbox")
    assert report.messages == 2 and report.saved == []
    assert [(r.sender, r.attachment, r.status) for r in report.refused] == [
        ("brizhou@gmail.com", "import OleFileIO.tif", "refused"),
        ("brizhou@gmail.com", "raised value error.tif", "refused")]
    assert {r.reason for r in report.refused} == {"an image (.tif), not a workbook"}
    assert [m.subject for m in report.without_attachment] == ["MSG Test File"]


@pytest.mark.parametrize("sender", ['"Evil" <../../etc@example.org>', "CON", "<>", "a@b@c", "x\u202e@example.org"])
def test_a_sender_that_is_no_plain_address_is_an_unknown_sender(tmp_path, sender):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    eml(mail, "odd", [(ANA.name, ANA.read_bytes())], sender=sender)
    (row,) = collect_mail([mail], inbox).saved
    assert row.sender == "" and row.file == f"2026-03-03 - unknown sender - {ANA.name}"


# -- forged senders ---------------------------------------------------------------------------------------

def restamped_copy(path: Path) -> bytes:
    """The same workbook (same stamp) with other bytes, as a copy edited and sent by someone else would be."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "docProps/core.xml":
                data = data.replace(b"</cp:coreProperties>", b"<!-- edited --></cp:coreProperties>")
            target.writestr(info, data)
    return buffer.getvalue()


def forged_mail(mail: Path, accepted=None) -> None:
    eml(mail, "ana-own", [(ANA.name, ANA.read_bytes())], day=3)
    forged = EmailMessage()
    forged["From"], forged["To"], forged["Subject"] = "Ana Lopez <mallory@evil.example.com>", "c@example.org", "fix"
    forged["Date"], forged["Message-ID"] = "Mon, 09 Mar 2026 09:15:00 -0600", "<forged@evil.example.com>"
    forged["Authentication-Results"] = "mx.example.org; spf=fail smtp.mailfrom=evil.example.com; dkim=none; dmarc=fail"
    forged.set_content("Updated.")
    forged.add_attachment(restamped_copy(ANA), maintype="application", subtype="octet-stream", filename=ANA.name)
    (mail / "forged.eml").write_bytes(forged.as_bytes())


def test_a_copy_with_a_recipients_stamp_from_another_address_needs_the_conveners_look(tmp_path, capsys):
    from sheetflow.intake.validate import validate_paths
    from sheetflow.tracking.status import status

    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    forged_mail(mail)
    report = collect_mail([mail], inbox, manifest=MANIFEST)
    (flagged,) = report.needs_look
    assert (flagged.sender, flagged.response_id, flagged.sender_check, flagged.authentication) == (
        "mallory@evil.example.com", ANA_ID, "another address", "spf=fail dmarc=fail")
    own = next(r for r in report.saved if r.sender.startswith("ana.lopez@"))
    assert own.sender_check == "own address"
    text = report.to_text()
    assert f"needs your look: {flagged.file} carries the stamp of Ana Lopez's workbook but came from " \
           "mallory@evil.example.com, not their address (the receiving server recorded spf=fail dmarc=fail)" in text
    assert "1 need your look" in text

    by_file = {Path(f.path).name: f for f in validate_paths([inbox], workers=1).files}
    assert by_file[own.file].status == "valid"  # her own copy is not superseded by the later, forged one
    forged = by_file[flagged.file]
    assert forged.status == "invalid" and [e.code for e in forged.errors] == ["other-sender"]
    assert "came from mallory@evil.example.com" in forged.errors[0].message
    assert "dmarc=fail" in forged.errors[0].message

    ana = next(r for r in status([inbox], MANIFEST, workers=1).recipients if r.response_id == ANA_ID)
    assert ana.state == "returned" and Path(ana.report.path).name == own.file
    assert any("came from mallory@evil.example.com" in n for n in ana.notes)

    out = tmp_path / "rollup.xlsx"
    assert main(["rollup", str(inbox), "--manifest", str(MANIFEST), "-o", str(out), "--workers", "1"]) == 0
    assert "1 left out (1 invalid)" in capsys.readouterr().out


def test_status_judges_the_sender_from_the_manifest_when_collect_had_none(tmp_path):
    from sheetflow.tracking.status import status

    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    forged_mail(mail)
    (mail / "ana-own.eml").unlink()  # only the forged copy came back
    collect_mail([mail], inbox)  # without --manifest: the ledger cannot judge
    ana = next(r for r in status([inbox], MANIFEST, workers=1).recipients if r.response_id == ANA_ID)
    assert ana.state == "problems" and ana.errors and "mallory@evil.example.com" in ana.errors[0]


def test_an_accepted_sender_or_a_colleague_at_the_same_organization_counts(tmp_path):
    from sheetflow.intake.validate import validate_paths
    from sheetflow.senders import is_recipients_address

    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    forged_mail(mail)
    collect_mail([mail], inbox, manifest=MANIFEST)
    (inbox / "accepted-senders.txt").write_text("# she wrote from home\nMallory@Evil.example.com\n")
    statuses = sorted(f.status for f in validate_paths([inbox], workers=1).files)
    assert statuses == ["superseded", "valid"]  # accepted: the later copy counts, as any later copy would
    assert is_recipients_address("ana@prairiewb.example.org", "Assistant <assistant@PrairieWB.example.org>")
    assert not is_recipients_address("ana@gmail.com", "mallory@gmail.com")
    assert not is_recipients_address("ana@prairiewb.example.org", "ana@prairiewb.example.org.evil.com")
    assert is_recipients_address("ana@gmail.com", "ana.home@example.net", accepted={"ana.home@example.net"})


# -- stopped runs, one run at a time, nothing created on failure ------------------------------------------

def many_returns(mail: Path, count: int) -> dict[str, bytes]:
    """``count`` messages, each with its own attachment (distinct bytes): the run takes a while."""
    sent = {}
    for i in range(count):
        data = os.urandom(64 << 10)
        sent[f"{i:04d}.xlsx"] = data
        eml(mail, f"m{i:04d}", [(f"{i:04d}.xlsx", data)], day=1 + i % 28)
    return sent


def saved_names(inbox: Path) -> list[str]:
    return [p.name for p in inbox.iterdir() if p.name != "collected.csv" and not p.name.startswith(".")]


def inbox_files(inbox: Path) -> dict[str, bytes]:
    return {name: (inbox / name).read_bytes() for name in saved_names(inbox)}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="SIGKILL and SIGTERM as POSIX sends them")
@pytest.mark.parametrize("stop", ["SIGTERM", "SIGKILL"])
def test_a_run_stopped_at_any_moment_leaves_a_ledger_and_the_rerun_saves_nothing_twice(tmp_path, stop):
    import signal
    import subprocess
    import sys
    import time

    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    sent = many_returns(mail, 150)  # stopped after 40: the run is far from its end
    run = subprocess.Popen([sys.executable, "-m", "sheetflow", "collect", str(mail), "-o", str(inbox)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(saved_names(inbox) if inbox.is_dir() else []) < 40:
        time.sleep(0.01)  # counting names, not reading the files, so the run is not slowed down
    run.send_signal(getattr(signal, stop))
    assert run.wait(30) != 0, "the run ended before it could be stopped"
    files = inbox_files(inbox)
    assert 40 <= len(files) < len(sent)
    listed = {r.file: r for r in read_ledger(inbox) if r.status == "saved"}
    assert len(set(files) - set(listed)) <= 1  # at most the one file saved as the stop came
    assert all(sha(files[name]) == row.sha256 for name, row in listed.items())  # every listed file is whole
    report = collect_mail([mail], inbox)  # the rerun
    files = inbox_files(inbox)
    assert sorted(files.values()) == sorted(sent.values())  # each attachment exactly once: no " (2)" copies
    rows = read_ledger(inbox)
    assert sorted(r.file for r in rows) == sorted(files) and len(rows) == len(sent)
    assert len(report.new) == len(sent) - len(listed)


def test_a_file_saved_before_its_ledger_row_is_recognised_by_its_bytes(tmp_path):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    eml(mail, "ana", [(ANA.name, ANA.read_bytes())])
    inbox.mkdir()
    (inbox / f"2026-03-03 - ana.lopez@prairiewb.example.org - {ANA.name}").write_bytes(ANA.read_bytes())
    (inbox / ".sheetflow-half-written.part").write_bytes(b"half")  # a stopped run's unfinished file
    (row,) = collect_mail([mail], inbox).saved
    assert row.file == f"2026-03-03 - ana.lopez@prairiewb.example.org - {ANA.name}"
    assert sorted(p.name for p in inbox.iterdir()) == sorted(["collected.csv", row.file])


def test_a_second_collect_into_the_same_inbox_is_refused_with_a_true_message(tmp_path, capsys):
    import subprocess
    import sys

    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    eml(mail, "ana", [(ANA.name, ANA.read_bytes())])
    inbox.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from sheetflow.lock import folder_lock\n"
                               f"with folder_lock({str(inbox)!r}, 'collect'):\n print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["collect", str(mail), "-o", str(inbox)]) == 2
        err = capsys.readouterr().err
        assert f"Another collect is writing into {inbox} (sheetflow collect, process {holder.pid}" in err
        assert "--force" not in err and inbox_files(inbox) == {}
    finally:
        holder.kill()
        holder.wait()
    assert main(["collect", str(mail), "-o", str(inbox)]) == 0  # the lock died with its process
    assert len(inbox_files(inbox)) == 1 and not (inbox / ".sheetflow.lock").exists()


def test_a_collect_that_fails_before_reading_creates_nothing(tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    assert main(["collect", str(tmp_path / "missing"), "-o", str(inbox)]) == 2
    monkeypatch.delenv("SHEETFLOW_IMAP_PASSWORD", raising=False)
    assert main(["collect", "--imap", "127.0.0.1:1", "--user", "x", "--no-tls", "-o", str(inbox)]) == 2
    monkeypatch.setenv("SHEETFLOW_IMAP_PASSWORD", "secret")
    assert main(["collect", "--imap", "127.0.0.1:1", "--user", "x", "--no-tls", "-o", str(inbox)]) == 2  # no server
    assert not inbox.exists()


@needs_dovecot
def test_a_refused_imap_login_creates_nothing(tmp_path, monkeypatch, capsys):
    with dovecot.Dovecot(tmp_path / "dovecot") as server:
        monkeypatch.setenv("SHEETFLOW_IMAP_PASSWORD", "wrong")
        inbox = tmp_path / "inbox"
        assert main(["collect", "--imap", f"127.0.0.1:{server.port}", "--user", dovecot.USER, "--no-tls",
                     "-o", str(inbox)]) == 2
        assert "refused the login" in capsys.readouterr().err and not inbox.exists()


# -- bounded memory ----------------------------------------------------------------------------------------

@pytest.fixture
def small_cap(monkeypatch):
    from sheetflow.arrival import mailbox as mailbox_module

    monkeypatch.setattr(mailbox_module, "MAX_MESSAGE_BYTES", 1 << 20)  # 1 MB, so that the tests stay small
    return 1 << 20


def big_message(tmp_path: Path) -> bytes:
    return eml(tmp_path / "big", "big", [("big.xlsx", os.urandom(1 << 20))], message_id="<big@example.org>",
               subject="Huge").read_bytes()


def test_one_size_cap_for_a_message_from_every_source(tmp_path, small_cap):
    import mailbox

    raw = big_message(tmp_path)
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "big.eml").write_bytes(raw)
    box = mailbox.mbox(sources / "box.mbox")
    box.add(raw)
    box.add(eml(tmp_path / "small", "small", [(ANA.name, ANA.read_bytes())]).read_bytes())
    box.close()
    maildir = mailbox.Maildir(sources / "Maildir")
    maildir.add(raw)
    maildir.close()
    report = collect_mail([sources], tmp_path / "inbox")
    assert len(report.unread) == 3 and report.messages == 1 and len(report.saved) == 1
    for message in report.unread:
        assert message.problem.startswith("the message is larger than 1 MB (1 MB), so it was not read")
        assert message.subject == "Huge" and message.sender == "ana.lopez@prairiewb.example.org"
    rows = [r for r in read_ledger(tmp_path / "inbox")
            if r.status == "refused" and r.reason.startswith("the message is larger")]
    assert [r.message_id for r in rows] == ["<big@example.org>"]  # one message (in three places), one row
    assert report.to_text().count("not read: ") == 3 and report.exit_code == 1


@needs_dovecot
def test_an_imap_message_over_the_cap_is_never_fetched(tmp_path, small_cap, monkeypatch):
    import imaplib

    fetched = []
    real = imaplib.IMAP4.uid

    def watched(self, command, *args):
        fetched.append(" ".join(str(a) for a in (command, *args)))
        return real(self, command, *args)

    with dovecot.Dovecot(tmp_path / "dovecot") as server:
        server.append(big_message(tmp_path))
        server.append(eml(tmp_path / "small", "small", [(ANA.name, ANA.read_bytes())]).read_bytes())
        monkeypatch.setattr(imaplib.IMAP4, "uid", watched)
        report = collect_mail([Imap(f"127.0.0.1:{server.port}", dovecot.USER, dovecot.PASSWORD, tls=False)],
                         tmp_path / "inbox")
    (big,) = report.unread
    assert big.problem.startswith("the message is larger than 1 MB") and big.subject == "Huge"
    assert len(report.saved) == 1
    assert [f for f in fetched if "BODY.PEEK[]" in f] == ["FETCH 2 (UID INTERNALDATE BODY.PEEK[])"]


def test_a_messages_attachments_and_zips_are_limited_in_all_not_only_per_zip(tmp_path):
    """Three zips each under the limit, over it together (a limit of 200 rather than the 2000 by default, so
    that the test writes hundreds of files, not thousands)."""
    from sheetflow.intake.package import Limits

    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    zips = [(f"part{n}.zip", zipped({f"{n}-{i}.csv": f"{n},{i}".encode() for i in range(90)})) for n in range(3)]
    eml(mail, "many", zips)
    report = collect_mail([mail], inbox, limits=Limits(max_members=200))
    assert len(report.saved) == 200
    refused = [r for r in report.refused if "the message holds more than 200 files" in r.reason]
    assert len(refused) == 70 and len(inbox_files(inbox)) == 200


def compressible(size: int) -> bytes:
    """Bytes that deflate about 60 times: a zip of them is small, but no zip bomb (200 times)."""
    return b"".join(os.urandom(64) + bytes(8128) for _ in range(size // 8192 + 1))[:size]


def test_zip_members_are_streamed_to_disk_not_held_in_memory(tmp_path):
    import tracemalloc

    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    members = {f"{i}.xlsx": compressible(10 << 20)[:-1] + bytes([i]) for i in range(16)}  # 160 MB unpacked
    eml(mail, "zips", [("returns.zip", zipped(members))])
    tracemalloc.start()
    try:
        report = collect_mail([mail], inbox)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(report.saved) == 16 and sorted(inbox_files(inbox).values()) == sorted(members.values())
    assert peak < 60 << 20, f"{peak / 2**20:.0f} MB"


def test_a_header_of_thousands_of_encoded_words_is_cut_before_it_is_decoded(tmp_path):
    import base64
    import tracemalloc

    from sheetflow.arrival.mailbox import from_bytes

    word = "=?utf-8?b?" + base64.b64encode("ü".encode()).decode() + "?="
    raw = (b"From: ana@example.org\r\nSubject: " + " ".join([word] * 8000).encode()
           + b"\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\""
           + " ".join([word] * 8000).encode() + b".xlsx\"\r\n\r\nx")
    tracemalloc.start()
    try:
        message = from_bytes(raw, "test")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message.subject.startswith("üüü") and len(message.subject) <= 1000
    assert peak < 20 << 20, f"{peak / 2**20:.0f} MB"


def test_garbage_collection_stays_on_while_collect_runs(tmp_path, monkeypatch):
    import gc

    from sheetflow.arrival import collect as collect_module

    seen = []

    def watching(*args, **kwargs):
        seen.append(gc.isenabled())
        return collect_module.CollectReport(inbox="", ledger="")

    monkeypatch.setattr(collect_module, "collect_mail", watching)
    eml(tmp_path / "mail", "a", [])
    assert main(["collect", str(tmp_path / "mail"), "-o", str(tmp_path / "inbox")]) == 0
    assert seen == [True]


# -- true outcome ------------------------------------------------------------------------------------------

def test_the_exit_code_and_counts_say_what_could_not_be_read(tmp_path, capsys):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    mail.mkdir()
    (mail / "random.mbox").write_bytes(os.urandom(5000))
    (mail / "broken.msg").write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x01" * 600)
    (mail / "nothing.eml").write_bytes(b"\x00\x01 not mail at all")
    assert main(["collect", str(mail), "-o", str(inbox)]) == 2  # nothing could be read
    out = capsys.readouterr().out
    assert "0 messages read (0 without attachment); 3 not read (3 unreadable); 0 new attachments" in out
    assert "not read: " + str(mail / "random.mbox") + ": this file is not an mbox" in out
    eml(mail, "ana", [(ANA.name, ANA.read_bytes())])
    assert main(["collect", str(mail), "-o", str(inbox)]) == 1  # some could
    assert "1 message read (0 without attachment); 3 not read (3 unreadable); 1 new attachment: 1 saved" \
        in capsys.readouterr().out
    for name in ("random.mbox", "broken.msg", "nothing.eml"):
        (mail / name).unlink()
    assert main(["collect", str(mail), "-o", str(inbox)]) == 0


# -- safe terminal text ------------------------------------------------------------------------------------

def test_text_from_the_mail_is_escaped_on_the_terminal_and_kept_in_the_ledger(tmp_path, capsys):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    subject = "Report\x1b]0;owned\x07\x1b[2J\u202egpj.exe\x9b31m"
    eml(mail, "evil", [("logo\x1b[8m.png", b"\x89PNG")], subject=subject)
    eml(mail, "quiet", [], subject=subject)
    assert main(["collect", str(mail), "-o", str(inbox)]) == 0
    out = capsys.readouterr().out
    assert not any(c in out for c in "\x1b\x07\x9b\u202e")
    assert "Report\\x1b]0;owned\\x07\\x1b[2J\\u202egpj.exe\\x9b31m" in out and "logo\\x1b[8m.png" in out
    rows = read_ledger(inbox)
    assert rows[0].subject == subject and rows[0].attachment == "logo\x1b[8m.png"


def test_the_escaping_function():
    from sheetflow.terminal import shown

    assert shown("plain é 名前") == "plain é 名前"
    assert shown("a\tb\nc\x7f\x85\u200f\u2066") == "a\\x09b\\x0ac\\x7f\\x85\\u200f\\u2066"
    assert shown("x" * 400).endswith("...") and len(shown("x" * 400)) == 303


# -- nothing lost -----------------------------------------------------------------------------------------

def attached(inner: EmailMessage, encoding: str | None) -> bytes:
    outer = EmailMessage()
    outer["From"], outer["Subject"] = "Ana Lopez <ana.lopez@prairiewb.example.org>", "Fwd: my return"
    outer["Date"], outer["Message-ID"] = "Tue, 03 Mar 2026 09:15:00 -0600", f"<fwd-{encoding}@example.org>"
    outer.set_content("Forwarded.")
    outer.add_attachment(inner)
    raw = outer.as_bytes()
    if encoding == "base64":  # as some mail programs send it, although the standard allows only 7bit/8bit
        import base64

        head, _sep, rest = raw.partition(b"Content-Type: message/rfc822")
        part_head, _sep2, body = rest.partition(b"\n\n")
        boundary = body.rsplit(b"\n--", 1)
        encoded = base64.encodebytes(boundary[0])
        part_head = part_head.replace(b"Content-Transfer-Encoding: 8bit", b"Content-Transfer-Encoding: base64")
        raw = head + b"Content-Type: message/rfc822" + part_head + b"\n\n" + encoded + b"\n--" + boundary[1]
    return raw


def test_attached_messages_are_opened_for_their_attachments_whatever_their_encoding(tmp_path):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    mail.mkdir()
    inner = EmailMessage()
    inner["From"], inner["Subject"] = "ben.okafor@prairiewb.example.org", "Ben's return"
    inner.set_content("Here it is.")
    inner.add_attachment(BEN.read_bytes(), maintype="application", subtype="octet-stream", filename=BEN.name)
    (mail / "plain.eml").write_bytes(attached(inner, None))
    (mail / "base64.eml").write_bytes(attached(inner, "base64"))
    middle = EmailMessage()
    middle["From"], middle["Subject"] = "x@example.org", "Fwd: Ben's return"
    middle.set_content("again")
    middle.add_attachment(inner)
    (mail / "nested.eml").write_bytes(attached(middle, "base64"))
    report = collect_mail([mail], inbox)
    assert sorted(r.attachment for r in report.new) == sorted([f"Ben's return / {BEN.name}"] * 2 +
                                                              [f"Fwd: Ben's return / Ben's return / {BEN.name}"])
    assert [r.status for r in report.new].count("saved") == 1 and report.without_attachment == []
    assert list(inbox_files(inbox).values()) == [BEN.read_bytes()]


def test_winmail_dat_is_refused_with_how_to_resend(tmp_path):
    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = "ana.lopez@prairiewb.example.org", "Return", "<tnef@x>"
    msg.set_content("Attached.")
    msg.add_attachment(b"\x78\x9f\x3e\x22tnef", maintype="application", subtype="ms-tnef", filename="winmail.dat")
    mail.mkdir()
    (mail / "tnef.eml").write_bytes(msg.as_bytes())
    (row,) = collect_mail([mail], inbox).refused
    assert row.attachment == "winmail.dat" and "Outlook's rich-text wrapper (winmail.dat)" in row.reason
    assert "HTML or plain-text format" in row.reason and inbox_files(inbox) == {}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes and Unix sockets as POSIX makes them")
def test_pipes_and_sockets_in_a_source_folder_are_passed_over_never_opened(tmp_path):
    import socket
    import subprocess
    import sys

    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    eml(mail, "ana", [(ANA.name, ANA.read_bytes())])
    os.mkfifo(mail / "waiting.eml")
    for sub in ("cur", "new", "tmp"):
        (mail / "Maildir" / sub).mkdir(parents=True)
    os.mkfifo(mail / "Maildir" / "new" / "1.waiting")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(mail / "socket.mbox"))
    try:
        run = subprocess.run([sys.executable, "-m", "sheetflow", "collect", str(mail), "-o", str(inbox)],
                             capture_output=True, text=True, timeout=60)
    finally:
        sock.close()
    assert run.returncode == 1, run.stderr
    assert f"not read: {mail / 'waiting.eml'}: a named pipe (FIFO), not a mail file: passed over, never opened" \
        in run.stdout
    assert f"not read: {mail / 'socket.mbox'}: a socket" in run.stdout
    assert f"not read: {mail / 'Maildir' / '1.waiting'}: a named pipe (FIFO)" in run.stdout
    assert "1 message read" in run.stdout and len(inbox_files(inbox)) == 1


def test_a_workbook_forwarded_to_a_colleague_on_the_roster_and_sent_back_by_them_counts(tmp_path):
    from test_status import fill

    from sheetflow.tracking.status import status

    mail, inbox = tmp_path / "mail", tmp_path / "inbox"
    kims = fill(BEN, tmp_path / "Ben's, filled by Kim.xlsx", organization="Northern Lights Adult Education",
                respondent_name="Kim Soo-jin")  # Ben's email still typed in it: the name decides, as in status
    eml(mail, "kim", [(kims.name, kims.read_bytes())], sender="ksoojin@nladulted.example.org")
    collect_mail([mail], inbox)
    kim = next(r for r in status([inbox], MANIFEST, workers=1).recipients if r.respondent_name == "Kim Soo-jin"
               and r.instrument == "sector-self-assessment")
    assert kim.state == "returned" and "Ben Okafor's workbook, filled in by Kim Soo-jin" in kim.notes[0]
