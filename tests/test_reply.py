"""sheetflow reply: each return answered once, in reply to the partner's own message.

The whole path runs for real: the samples' replies delivered into Dovecot, `collect --imap`, then
`reply --send` to an aiosmtpd server on 127.0.0.1; a second run sends nothing; a corrected copy gets
exactly one reply. Crashes and SMTP failures are made to happen between the ledger's rows.
"""

from __future__ import annotations

import contextlib
import csv
import email
import email.utils
import json
import os
import subprocess
import sys
from email import policy
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest

import dovecot
from sheetflow.cli import main
from sheetflow.arrival.ledger import read_ledger
from sheetflow.lock import LOCK, folder_lock
from sheetflow.outreach import mail, reply as reply_module
from sheetflow.arrival.collect import collect_mail
from sheetflow.instruments.manifest import read_manifest
from sheetflow.senders import is_recipients_address

pytest.importorskip("aiosmtpd.controller")
from test_mail import Inbox, smtp_server  # noqa: E402,F401 - the SMTP server fixture the mail tests use

HERE = Path(__file__).parent
SAMPLES = HERE.parent / "samples"
RETURNS = SAMPLES / "returns"
MANIFEST = SAMPLES / "sent" / "manifest.csv"
SENDER = "Dana Convener <dana@statewide-sectors.example.org>"
MARCUS = RETURNS / "Red River Valley - Red River Workforce Partnership - Marcus Bell - Self-Assessment.xlsx"
ANA = RETURNS / "North Plains - Prairie Workforce Board - Ana Lopez - Self-Assessment.xlsx"
DAMAGED = RETURNS / "Red River Valley - Pathways Community Action - Umar Farouk - Self-Assessment.xlsx"
MARCUS_CELLS = ("About you!B13", "Assessment!D12", "Assessment!D22")  # what validate finds in his return

# What each sample message's reply must be (samples/mail, made by scripts/make_sample_mail.py): None, no reply.
EXPECTED = {
    "<sample-01@harvestmfg.example.com>": "valid", "<sample-02@harvestmfg.example.com>": "valid",
    "<sample-03@plainsedc.example.org>": "valid",  # and a logo, which is no return
    "<sample-04@plainsedc.example.org>": None,  # the same bytes again: answered with the first
    "<sample-05@plainsedc.example.org>": "valid", "<sample-06@prairiewb.example.org>": "valid",
    "<sample-07@prairiewb.example.org>": None,  # Ben's first copy, replaced by his final one (21)
    "<sample-08@prairiewb.example.org>": "valid", "<sample-09@pathwayscap.example.org>": "valid",
    "<sample-10@pathwayscap.example.org>": "rejected",  # cut short on the way
    "<sample-11@rrtc.example.edu>": "valid", "<sample-12@rrtc.example.edu>": "invalid",
    "<sample-13@redriverwp.example.org>": "valid", "<sample-14@redriverwp.example.org>": "invalid",
    "<sample-15@redriverwp.example.org>": "valid", "<sample-16@valleyhealth.example.org>": "valid",
    "<sample-17@valleyhealth.example.org>": "valid",
    "<sample-18@npcc.example.edu>": "valid",  # David's own; his colleagues' as the sender rule decides
    "<sample-19@prairiewb.example.org>": "valid", "<sample-20@redriverwp.example.org>": "invalid",
    "<sample-21@prairiewb.example.org>": "valid", "<sample-22@plainsedc.example.org>": "rejected",  # a CSV
    "<sample-23@nladulted.example.org>": None,  # no attachment
}
SAYS = {  # what a section of each outcome must say, and must not
    "valid": ("Everything in it is in order", "nothing more for you to do"),
    "invalid": ("please change the following", "reply to this email with the corrected copy attached"),
    "rejected": ("but we cannot read it", "Please send the workbook again, in reply to this email"),
}

needs_dovecot = pytest.mark.skipif(not dovecot.available(), reason="Dovecot is installed by scripts/install-system-deps")


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def text(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def originals() -> dict[str, email.message.EmailMessage]:
    return {parse(p.read_bytes())["Message-ID"]: parse(p.read_bytes()) for p in (SAMPLES / "mail").glob("*.eml")}


def message(sender: str, subject: str, message_id: str, attachments=(), day: int = 10) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "convener@statewide-sectors.example.org", subject
    msg["Date"] = f"Tue, {day:02d} Mar 2026 09:15:00 -0600"
    msg["Message-ID"] = message_id
    msg.set_content("Here it is.")
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


def corrected_marcus(folder: Path) -> Path:
    """Marcus Bell's return with the three cells validate asked him to fix, fixed."""
    wb = openpyxl.load_workbook(MARCUS)
    wb["About you"]["B13"], wb["Assessment"]["D12"], wb["Assessment"]["D22"] = "Yes", 4, 5
    path = folder / MARCUS.name
    wb.save(path)
    return path


def replied(outbox: Path) -> list[dict]:
    with open(outbox / "replied.csv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def reply_args(inbox, outbox, server=None, *extra):
    sending = ["--send", "--smtp", server, "--no-starttls"] if server else []
    return ["reply", str(inbox), "-o", str(outbox), "--manifest", str(MANIFEST), "--sender", SENDER,
            "--workers", "1", *sending, *extra]


def check_reply(raw: bytes, rcpt: list[str], original, outcome: str) -> str:
    """One delivered reply against the message it answers and the outcome it must report."""
    reply = parse(raw)
    sender = original["From"].addresses[0].addr_spec.lower()
    assert rcpt == [sender] and reply["To"].addresses[0].addr_spec == sender
    assert reply["In-Reply-To"] == original["Message-ID"] and reply["References"] == original["Message-ID"]
    subject = str(original["Subject"])
    assert reply["Subject"] == (subject if subject.lower().startswith("re:") else f"Re: {subject}")
    assert reply["X-Unsent"] is None and reply["From"].addresses[0].addr_spec == "dana@statewide-sectors.example.org"
    body = text(reply)
    for said in SAYS[outcome]:
        assert said in body, (outcome, body)
    for other, phrases in SAYS.items():
        if other != outcome:
            assert phrases[0] not in body, (outcome, body)
    return body


# ------------------------------------------------------------------------------------- the whole path, for real


@needs_dovecot
def test_collect_then_reply_answers_each_return_once_threaded_to_its_message(tmp_path, smtp_server, monkeypatch,
                                                                             capsys):
    monkeypatch.delenv("SHEETFLOW_SMTP_USER", raising=False)
    monkeypatch.setenv("SHEETFLOW_IMAP_PASSWORD", dovecot.PASSWORD)
    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    smtp = Inbox()
    server_address = smtp_server(smtp)
    sent = originals()
    recipients = {r.response_id: r for r in read_manifest(MANIFEST)}
    with dovecot.Dovecot(tmp_path / "dovecot") as imap:
        for path in sorted((SAMPLES / "mail").glob("*.eml")):  # arriving when they were sent
            raw = path.read_bytes()
            imap.append(raw, when=email.utils.parsedate_to_datetime(parse(raw)["Date"]).timestamp())
        collect_args = ["collect", "--imap", f"127.0.0.1:{imap.port}", "--user", dovecot.USER, "--no-tls",
                        "-o", str(inbox), "--manifest", str(MANIFEST)]
        assert main(collect_args) == 0
        capsys.readouterr()

        # The college's zip: David's own return is answered; his colleagues' as the sender rule says.
        colleagues = [r for r in read_ledger(inbox) if r.message_id == "<sample-18@npcc.example.edu>"
                      and "David" not in r.attachment]
        held = [r for r in colleagues if not is_recipients_address(recipients[r.response_id].email, r.sender)]
        code = main(reply_args(inbox, outbox, server_address))
        out = capsys.readouterr().out
        assert code == (1 if held else 0), out
        answered = {parse(raw)["In-Reply-To"]: (rcpt, raw) for _, rcpt, raw in smtp.messages}
        assert len(answered) == len(smtp.messages)  # one reply per message
        assert set(answered) == {mid for mid, outcome in EXPECTED.items() if outcome}
        for message_id, (rcpt, raw) in answered.items():
            body = check_reply(raw, rcpt, sent[message_id], EXPECTED[message_id])
            if message_id == "<sample-14@redriverwp.example.org>":  # the fix-list, cell by cell
                assert all(f"({cell})" in body for cell in MARCUS_CELLS) and body.startswith("Hello Marcus Bell,")
            if message_id == "<sample-18@npcc.example.edu>":  # a section per file answered
                assert body.count("We received") == 3 - len(held) and "David Whitehorse" in body
        for row in held:
            assert f"other sender: {row.attachment.rpartition('/')[2]} from {row.sender}" in out
        assert f"{len(answered)} replies sent (" in out
        rows = replied(outbox)
        assert {r["delivery"] for r in rows} >= {"sending", "sent", "not answered"}
        assert [r["message_id"] for r in rows if r["delivery"] == "not answered"] == [
            "<sample-07@prairiewb.example.org>"]

        # A second run answers nothing and needs nobody.
        assert main(reply_args(inbox, outbox, server_address)) == 0
        assert "0 replies sent" in capsys.readouterr().out and len(smtp.messages) == len(answered)

        # Marcus sends his corrected copy in reply: exactly one new reply, to that message.
        fixed = corrected_marcus(tmp_path)
        imap.append(message("Marcus Bell <mbell@redriverwp.example.org>", "RE: Re: Self-assessment",
                            "<fixed-1@redriverwp.example.org>", [(fixed.name, fixed.read_bytes())]))
        assert main(collect_args) == 0
        capsys.readouterr()
        assert main(reply_args(inbox, outbox, server_address)) == 0
        assert "1 reply sent (1 valid, 0 to fix, 0 cannot be read)" in capsys.readouterr().out
        (_, rcpt, raw), = smtp.messages[len(answered):]
        new = parse(raw)
        assert rcpt == ["mbell@redriverwp.example.org"] and new["In-Reply-To"] == "<fixed-1@redriverwp.example.org>"
        assert new["Subject"] == "RE: Re: Self-assessment"  # no "Re:" added to a reply's subject
        assert "nothing more for you to do" in text(new)
        assert main(reply_args(inbox, outbox, server_address)) == 0
        assert len(smtp.messages) == len(answered) + 1


# ------------------------------------------------------------------------------------------ small inboxes


def small_inbox(tmp_path: Path, *messages: bytes) -> Path:
    mail_folder, inbox = tmp_path / "mail", tmp_path / "inbox"
    mail_folder.mkdir()
    for number, raw in enumerate(messages):
        (mail_folder / f"{number:02d}.eml").write_bytes(raw)
    collect_mail([mail_folder], inbox, manifest=MANIFEST)
    return inbox


ANA_MAIL = message("Ana Lopez <ana.lopez@prairiewb.example.org>", "Self-assessment", "<ana-1@prairiewb.example.org>",
                   [(ANA.name, ANA.read_bytes())], day=4)
MARCUS_MAIL = message("mbell@redriverwp.example.org", "Self-assessment", "<marcus-1@redriverwp.example.org>",
                      [(MARCUS.name, MARCUS.read_bytes())], day=6)
UMAR_MAIL = message("ufarouk@pathwayscap.example.org", "Re: Self-assessment", "<umar-1@pathwayscap.example.org>",
                    [("Self-Assessment Umar.xlsx", DAMAGED.read_bytes())], day=5)


def test_drafts_by_default_unsent_threaded_and_once(tmp_path, capsys):
    inbox, outbox = small_inbox(tmp_path, ANA_MAIL, MARCUS_MAIL, UMAR_MAIL), tmp_path / "outbox"
    assert main(reply_args(inbox, outbox)) == 0, capsys.readouterr().err
    assert "3 replies drafted (1 valid, 1 to fix, 1 cannot be read)" in capsys.readouterr().out
    drafts = {parse(p.read_bytes())["In-Reply-To"]: parse(p.read_bytes()) for p in outbox.glob("*.eml")}
    assert set(drafts) == {"<ana-1@prairiewb.example.org>", "<marcus-1@redriverwp.example.org>",
                           "<umar-1@pathwayscap.example.org>"}
    assert all(d["X-Unsent"] == "1" for d in drafts.values())
    umar = drafts["<umar-1@pathwayscap.example.org>"]
    assert umar["Subject"] == "Re: Self-assessment" and "damaged or incomplete" in text(umar)
    assert "ask the partner" not in text(umar)  # the reason in words for the partner
    ana = text(drafts["<ana-1@prairiewb.example.org>"])
    assert "Prairie Workforce Board, filled in by Ana Lopez" in ana and ANA.name in ana
    assert {(r["outcome"], r["delivery"]) for r in replied(outbox)} == {
        (o, d) for o in ("valid", "invalid", "rejected") for d in ("writing", "draft")}
    assert main(reply_args(inbox, outbox)) == 0
    assert "0 replies drafted" in capsys.readouterr().out and len(list(outbox.glob("*.eml"))) == 3


def test_json_prints_the_same_digest(tmp_path, capsys):
    inbox, outbox = small_inbox(tmp_path, ANA_MAIL, MARCUS_MAIL), tmp_path / "outbox"
    assert main(reply_args(inbox, outbox, None, "--json")) == 0
    digest = json.loads(capsys.readouterr().out)
    assert digest["by_outcome"] == {"valid": 1, "invalid": 1, "rejected": 0} and digest["delivery"] == "draft"
    assert {a["to"] for a in digest["answered"]} == {"ana.lopez@prairiewb.example.org", "mbell@redriverwp.example.org"}
    assert digest["for_convener"] == []


def test_a_return_from_another_address_or_matching_nobody_is_held_for_the_convener(tmp_path, capsys):
    forwarded = message("ana.lopez.home@gmail.com", "Ana's workbook", "<fwd-1@prairiewb.example.org>",
                        [(ANA.name, ANA.read_bytes())])
    stranger = message("someone@elsewhere.example.com", "Hello", "<x-1@elsewhere.example.com>",
                       [("Book1.xlsx", b"PK\x03\x04 not a workbook")])
    inbox, outbox = small_inbox(tmp_path, forwarded, stranger), tmp_path / "outbox"
    assert main(reply_args(inbox, outbox)) == 1
    out = capsys.readouterr().out
    assert "0 replies drafted" in out and not list(outbox.glob("*.eml"))
    assert "other sender:" in out and "came from ana.lopez.home@gmail.com" in out
    assert "unexpected:" in out and "someone@elsewhere.example.com" in out
    assert {r["delivery"] for r in replied(outbox)} == {"held"}
    assert main(reply_args(inbox, outbox)) == 0  # listed once, not on every run


def test_a_workbook_with_anothers_stamp_is_answered_and_listed_and_unreadable_mail_is_listed(tmp_path, capsys):
    """Ben filled in Ana's workbook and sent it from his address: it is his return (status says so), answered,
    and listed for the convener; a message collect could not read is listed too."""
    wb = openpyxl.load_workbook(ANA)
    wb["About you"]["B6"], wb["About you"]["B8"] = "Ben Okafor", "ben.okafor@prairiewb.example.org"
    wb.save(tmp_path / "Ana's workbook, Ben's answers.xlsx")
    raw = message("ben.okafor@prairiewb.example.org", "Self-assessment", "<ben-1@prairiewb.example.org>",
                  [("mine.xlsx", (tmp_path / "Ana's workbook, Ben's answers.xlsx").read_bytes())])
    inbox, outbox = small_inbox(tmp_path, raw), tmp_path / "outbox"
    with open(inbox / "collected.csv", "a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(["unreadable:x.eml", "", "", "", "", "", "", "refused: this mail file cannot "
                                     "be read (Permission denied)", ""])
    assert main(reply_args(inbox, outbox)) == 1
    out = capsys.readouterr().out
    assert "1 reply drafted" in out and "stamp mismatch: mine.xlsx from ben.okafor@prairiewb.example.org" in out
    assert "unreadable mail: (message)" in out and "Permission denied" in out
    (draft,) = outbox.glob("*.eml")
    assert text(parse(draft.read_bytes())).startswith("Hello Ben Okafor,")


def test_without_a_manifest_every_sender_is_answered(tmp_path, capsys):
    inbox, outbox = small_inbox(tmp_path, ANA_MAIL), tmp_path / "outbox"
    assert main(["reply", str(inbox), "-o", str(outbox), "--workers", "1"]) == 0
    (draft,) = outbox.glob("*.eml")
    assert parse(draft.read_bytes())["To"].addresses[0].addr_spec == "ana.lopez@prairiewb.example.org"
    assert text(parse(draft.read_bytes())).startswith("Hello,")


def test_hostile_subjects_and_message_ids_stay_text(tmp_path, capsys):
    """A subject that decodes to a line break and a header, or to terminal escapes, is one line in the reply and
    escaped on the terminal; a Message-ID that is not one is not threaded to."""
    raw = message("ana.lopez@prairiewb.example.org", "x", "junk id", [(ANA.name, ANA.read_bytes())])
    raw = raw.replace(b"Subject: x", b"Subject: =?utf-8?q?Hi=0D=0ABcc=3A_evil=40example=2Eorg_=1B=5B31mred?=")
    inbox, outbox = small_inbox(tmp_path, raw), tmp_path / "outbox"
    assert main(reply_args(inbox, outbox)) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[31mred" in out
    (draft,) = outbox.glob("*.eml")
    data = draft.read_bytes()
    assert b"\r\nBcc:" not in data.split(b"\r\n\r\n")[0] and parse(data)["Bcc"] is None
    assert parse(data)["Subject"].startswith("Re: Hi Bcc: evil@example.org")
    assert parse(data)["In-Reply-To"] is None and parse(data)["References"] is None


def test_a_hand_edited_ledger_cannot_add_headers_either(tmp_path, capsys):
    inbox, outbox = small_inbox(tmp_path, ANA_MAIL), tmp_path / "outbox"
    ledger = inbox / "collected.csv"
    ledger.write_bytes(ledger.read_bytes().replace(b",Self-assessment,", b',"Self\r\nBcc: evil@example.org",'))
    assert read_ledger(inbox)[0].subject == "Self\r\nBcc: evil@example.org"
    assert main(reply_args(inbox, outbox)) == 0, capsys.readouterr().err
    (draft,) = outbox.glob("*.eml")
    message = parse(draft.read_bytes())
    assert message["Subject"] == "Re: Self Bcc: evil@example.org" and message["Bcc"] is None


# ------------------------------------------------------------------------------------------ exactly once


def test_an_smtp_refusal_is_recorded_and_answered_on_the_next_run(tmp_path, smtp_server, monkeypatch, capsys):
    monkeypatch.delenv("SHEETFLOW_SMTP_USER", raising=False)
    inbox, outbox = small_inbox(tmp_path, ANA_MAIL, MARCUS_MAIL, UMAR_MAIL), tmp_path / "outbox"
    refusing = Inbox(refuse={"mbell@redriverwp.example.org"})
    assert main(reply_args(inbox, outbox, smtp_server(refusing))) == 1
    out = capsys.readouterr().out
    assert "NOT SENT to mbell@redriverwp.example.org" in out and "550" in out
    assert sorted(r for _, (r,), _ in refusing.messages) == ["ana.lopez@prairiewb.example.org",
                                                             "ufarouk@pathwayscap.example.org"]
    working = Inbox()
    assert main(reply_args(inbox, outbox, smtp_server(working))) == 0
    assert [rcpt for _, rcpt, _ in working.messages] == [["mbell@redriverwp.example.org"]]
    assert main(reply_args(inbox, outbox, smtp_server(working))) == 0 and len(working.messages) == 1


class Killed(BaseException):
    """A kill of the process at one moment (nothing after it runs)."""


@pytest.mark.parametrize("accepted", [False, True], ids=["before-the-server-took-it", "after-the-server-took-it"])
def test_a_run_killed_while_sending_answers_nothing_twice_and_leaves_nothing_unanswered(
        tmp_path, smtp_server, monkeypatch, accepted):
    monkeypatch.delenv("SHEETFLOW_SMTP_USER", raising=False)
    inbox, outbox = small_inbox(tmp_path, ANA_MAIL, MARCUS_MAIL, UMAR_MAIL), tmp_path / "outbox"
    handler = Inbox()
    server = smtp_server(handler)
    real = mail.deliver
    calls = []

    def kill_on_the_second(session, msg):
        calls.append(msg["Message-ID"])
        if len(calls) == 2:
            if accepted:
                real(session, msg)
            raise Killed()
        real(session, msg)

    monkeypatch.setattr(reply_module, "deliver", kill_on_the_second)
    with pytest.raises(Killed):
        reply_module.reply(inbox, outbox, manifest=MANIFEST, sender=SENDER, smtp=server, starttls=False, workers=1)
    assert len(handler.messages) == (2 if accepted else 1)
    assert not (outbox / LOCK).exists()  # the lock goes with the run
    monkeypatch.setattr(reply_module, "deliver", real)
    report = reply_module.reply(inbox, outbox, manifest=MANIFEST, sender=SENDER, smtp=server, starttls=False,
                                workers=1)
    ids = [parse(raw)["Message-ID"] for _, _, raw in handler.messages]
    answered = [parse(raw)["In-Reply-To"] for _, _, raw in handler.messages]
    assert len(report.answered) == 2  # the one cut off, and the one never tried
    assert set(answered) == {"<ana-1@prairiewb.example.org>", "<marcus-1@redriverwp.example.org>",
                             "<umar-1@pathwayscap.example.org>"}
    if accepted:  # the server had it: sent again as the same message (same Message-ID), which mail programs merge
        assert len(answered) == 4 and ids.count(calls[1]) == 2
    else:
        assert len(answered) == 3 and len(set(ids)) == 3
    assert reply_module.reply(inbox, outbox, manifest=MANIFEST, sender=SENDER, smtp=server, starttls=False,
                              workers=1).answered == []


def test_a_draft_recorded_as_being_written_is_not_written_twice(tmp_path, monkeypatch):
    """Killed after the first draft is written but before it is recorded as written: the rerun records it
    and writes only the other one."""
    inbox, outbox = small_inbox(tmp_path, ANA_MAIL, MARCUS_MAIL), tmp_path / "outbox"
    real = reply_module.atomic_path

    @contextlib.contextmanager
    def killed_once_written(path, *args, **kwargs):
        with real(path, *args, **kwargs) as tmp:
            yield tmp
        raise Killed()

    monkeypatch.setattr(reply_module, "atomic_path", killed_once_written)
    with pytest.raises(Killed):
        reply_module.reply(inbox, outbox, manifest=MANIFEST, workers=1)
    monkeypatch.setattr(reply_module, "atomic_path", real)
    (first,) = outbox.glob("*.eml")
    before = first.read_bytes()
    assert [r["delivery"] for r in replied(outbox)] == ["writing"]
    report = reply_module.reply(inbox, outbox, manifest=MANIFEST, workers=1)
    assert len(report.answered) == 2 and len(list(outbox.glob("*.eml"))) == 2 and first.read_bytes() == before
    assert [r["delivery"] for r in replied(outbox)] == ["writing", "draft", "writing", "draft"]
    assert reply_module.reply(inbox, outbox, manifest=MANIFEST, workers=1).answered == []


def test_two_runs_never_overlap_and_a_killed_runs_lock_file_is_taken(tmp_path, capsys):
    inbox, outbox = small_inbox(tmp_path, ANA_MAIL), tmp_path / "outbox"
    with folder_lock(outbox, "reply"):
        assert main(reply_args(inbox, outbox)) == 2
        err = capsys.readouterr().err
        assert f"process {os.getpid()}" in err and "Another reply is writing into" in err
    assert not list(outbox.glob("*.eml"))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    import socket

    (outbox / LOCK).write_text(f"{dead.stdout.strip()}\n{socket.gethostname()}\n")
    assert main(reply_args(inbox, outbox)) == 0
    assert len(list(outbox.glob("*.eml"))) == 1 and not (outbox / LOCK).exists()


def test_what_cannot_run_exits_2(tmp_path, capsys):
    assert main(["reply", str(tmp_path), "-o", str(tmp_path / "out")]) == 2
    assert "collected.csv" in capsys.readouterr().err
    inbox = small_inbox(tmp_path, ANA_MAIL)
    assert main(["reply", str(inbox), "-o", str(tmp_path / "out"), "--send"]) == 2
    assert main(reply_args(inbox, tmp_path / "out", "127.0.0.1:1")) == 2
    err = capsys.readouterr().err
    assert "Connecting to 127.0.0.1:1 failed" in err and "Traceback" not in err


def test_the_sender_rule():
    assert is_recipients_address("Ana@Example.org", "Ana Lopez <ana@example.org>")
    assert not is_recipients_address("ana@example.org", "ana@example.org.evil.com")
    assert not is_recipients_address("", "")
    assert not is_recipients_address("ana@example.org", "Ana <ana@other.example.net>")
    assert not is_recipients_address("ana@gmail.com", "mallory@gmail.com")
