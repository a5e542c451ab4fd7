"""Reading messages from .eml, .mbox, Maildir, Outlook .msg and a real IMAP server (Dovecot), read-only."""

import hashlib
import imaplib
import mailbox
from datetime import date, datetime, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import dovecot
from sheetflow.errors import SheetflowError
from sheetflow.arrival.imap import Imap
from sheetflow.arrival.mailbox import from_bytes, mail_files, read_sources

HERE = Path(__file__).parent
RETURNS = HERE.parent / "samples" / "returns"
OUTLOOK = HERE / "fixtures" / "outlook"
ANA = RETURNS / "North Plains - Prairie Workforce Board - Ana Lopez - Self-Assessment.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def message(sender="Ana Lopez <Ana.Lopez@PrairieWB.example.org>", subject="My self-assessment",
            attachments=(), message_id="<1@prairiewb.example.org>", received="Tue, 03 Mar 2026 09:15:00 -0600"):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "convener@example.org", subject
    if received:
        msg["Received"] = f"from mx.prairiewb.example.org by mail.example.org; {received}"
    msg["Date"] = "Mon, 02 Mar 2026 20:00:00 -0600"
    if message_id:
        msg["Message-ID"] = message_id
    msg.set_content("Here it is.")
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_eml_gives_sender_time_subject_and_each_attachment(tmp_path):
    workbook = ANA.read_bytes()
    path = tmp_path / "reply.eml"
    path.write_bytes(message(attachments=[(ANA.name, workbook), ("Ünïcode réponse.xlsx", b"PK\x03\x04x")]).as_bytes())
    (got,) = list(read_sources([path]))
    assert got.sender == "ana.lopez@prairiewb.example.org"
    assert got.received_at == "2026-03-03T09:15:00-06:00"  # the Received header, not the sender's Date
    assert got.subject == "My self-assessment" and got.message_id == "<1@prairiewb.example.org>"
    assert [(a.name, a.data) for a in got.attachments] == [(ANA.name, workbook), ("Ünïcode réponse.xlsx", b"PK\x03\x04x")]
    assert not got.problem


def test_without_received_header_the_date_header_counts_and_a_missing_id_is_derived_from_the_bytes():
    raw = message(received=None, message_id=None).as_bytes()
    got = from_bytes(raw, "x")
    assert got.received_at == "2026-03-02T20:00:00-06:00"
    assert got.message_id.startswith("no-message-id:") and got.message_id == from_bytes(raw, "y").message_id
    assert got.attachments == []


def test_mbox_and_maildir_are_read_and_left_unchanged(tmp_path):
    box = mailbox.mbox(tmp_path / "Returns.mbox")
    box.add(message(attachments=[("a.xlsx", b"one")]).as_bytes())
    box.add(message(message_id="<2@x>", attachments=[("b.xlsx", b"two")]).as_bytes())
    box.close()
    maildir = mailbox.Maildir(tmp_path / "Maildir")
    maildir.add(message(message_id="<3@x>", attachments=[("c.xlsx", b"three")]).as_bytes())
    maildir.add_folder("Returns").add(message(message_id="<4@x>", attachments=[("d.xlsx", b"four")]).as_bytes())
    before = {p: digest(p) for p in tmp_path.rglob("*") if p.is_file()}
    got = list(read_sources([tmp_path]))
    assert sorted(a.name for m in got for a in m.attachments) == ["a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx"]
    assert sorted(m.message_id for m in got) == ["<1@prairiewb.example.org>", "<2@x>", "<3@x>", "<4@x>"]
    assert {p: digest(p) for p in tmp_path.rglob("*") if p.is_file()} == before


def test_an_mbox_without_extension_is_recognised_by_its_first_line(tmp_path):
    box = mailbox.mbox(tmp_path / "Inbox")
    box.add(message(attachments=[("a.xlsx", b"one")]).as_bytes())
    box.close()
    assert mail_files([tmp_path / "Inbox"]) == [("mbox", tmp_path / "Inbox")]


def test_a_real_outlook_msg_file():
    (got,) = list(read_sources([OUTLOOK / "tif-attachments.msg"]))
    assert got.sender == "brizhou@gmail.com" and got.subject == "Test for TIF files"
    assert got.message_id.startswith("<CADtJ4eNjQSkGcBtVteCiTF")
    assert got.received_at.startswith("2013-11-18T08:26")
    assert [(a.name, len(a.data)) for a in got.attachments] == [("import OleFileIO.tif", 969674),
                                                                  ("raised value error.tif", 1033142)]
    assert got.attachments[0].data[:4] in (b"II*\x00", b"MM\x00*")  # really a TIFF picture


def test_an_outlook_msg_without_attachment_or_sender():
    (got,) = list(read_sources([OUTLOOK / "no-attachment.msg"]))
    assert got.subject == "MSG Test File" and got.attachments == [] and got.sender == "" and not got.problem


def test_an_outlook_item_of_the_bare_class_ipm_gives_its_attachments(tmp_path):
    """extract-msg opens an item whose class is just "IPM" as a plain MSGFile (no sender, subject or date):
    its attachments are still read, not lost behind a Python error."""
    import olefile
    from extract_msg.ole_writer import OleWriter

    writer = OleWriter()
    with olefile.OleFileIO(str(OUTLOOK / "tif-attachments.msg")) as ole:
        writer.fromOleFile(ole)
    writer.editEntry("__substg1.0_001A001F", data="IPM".encode("utf-16-le"))  # the message class
    writer.write(str(tmp_path / "item.msg"))
    (got,) = list(read_sources([tmp_path / "item.msg"]))
    assert not got.problem and got.sender == "" and got.message_id.startswith("no-message-id:")
    assert [a.name for a in got.attachments] == ["import OleFileIO.tif", "raised value error.tif"]


def test_damaged_mail_files_get_a_reason_not_an_exception(tmp_path):
    (tmp_path / "broken.msg").write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 100)
    (tmp_path / "notes.txt").write_text("not mail")  # inside a folder: passed over
    (got,) = list(read_sources([tmp_path]))
    assert got.problem.startswith("this Outlook message cannot be read") and got.attachments == []


def test_a_named_file_that_is_not_mail_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("not mail")
    with pytest.raises(SheetflowError, match="not a mail file"):
        mail_files([tmp_path / "notes.txt"])
    with pytest.raises(SheetflowError, match="no such file"):
        mail_files([tmp_path / "missing"])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_give_a_message_or_a_reason(raw):
    got = from_bytes(raw, "x")
    assert got.message_id and isinstance(got.attachments, list)


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Zl", "Zp"), blacklist_characters="\r\n\v\f\x1c\x1d\x1e\x85"),
               max_size=80), st.binary(max_size=200))
def test_any_attachment_name_and_bytes_come_back(name, data):
    raw = message(attachments=[(name or "x", data)]).as_bytes()
    got = from_bytes(raw, "x")
    assert [a.data for a in got.attachments] == [data]


# -- IMAP, against a real Dovecot --------------------------------------------------------------------

needs_dovecot = pytest.mark.skipif(not dovecot.available(), reason="Dovecot is installed by scripts/install-system-deps")


@pytest.fixture
def imap_server(tmp_path):
    with dovecot.Dovecot(tmp_path / "dovecot") as server:
        yield server


@needs_dovecot
def test_imap_reads_every_message_read_only(imap_server):
    old = datetime(2026, 2, 1, 12, tzinfo=timezone.utc).timestamp()
    imap_server.append(message(message_id="<old@x>", attachments=[("old.xlsx", b"old")]).as_bytes(), when=old)
    imap_server.append(message(attachments=[(ANA.name, ANA.read_bytes())]).as_bytes())
    before = imap_server.flags()
    session = Imap(f"127.0.0.1:{imap_server.port}", dovecot.USER, dovecot.PASSWORD, tls=False)
    got = list(session.messages())
    assert [m.message_id for m in got] == ["<old@x>", "<1@prairiewb.example.org>"]
    assert got[0].received_at == "2026-02-01T12:00:00+00:00"  # the server's INTERNALDATE
    assert got[1].attachments[0].data == ANA.read_bytes()
    since = list(session.messages(since=date(2026, 3, 1)))
    assert [m.message_id for m in since] == ["<1@prairiewb.example.org>"]
    after = imap_server.flags()
    assert after == before and all("\\Seen" not in flags for flags in after.values())
    assert imap_server.count() == 2


@needs_dovecot
def test_imap_failures_are_one_line(imap_server):
    with pytest.raises(SheetflowError, match="SHEETFLOW_IMAP_PASSWORD"):
        Imap(f"127.0.0.1:{imap_server.port}", dovecot.USER, None, tls=False)
    wrong = Imap(f"127.0.0.1:{imap_server.port}", dovecot.USER, "wrong", tls=False)
    with pytest.raises(SheetflowError, match="refused the login"):
        list(wrong.messages())
    session = Imap(f"127.0.0.1:{imap_server.port}", dovecot.USER, dovecot.PASSWORD, tls=False)
    with pytest.raises(SheetflowError, match="No folder 'Returns'"):
        list(session.messages(folder="Returns"))
    tls = Imap(f"127.0.0.1:{imap_server.port}", dovecot.USER, dovecot.PASSWORD)  # TLS by default: no TLS here
    with pytest.raises(SheetflowError, match="Cannot connect"):
        list(tls.messages())


JOSE, JOSE_PASSWORD = "josé.müller", "pässwörd-€-ünïcode"


@needs_dovecot
def test_non_ascii_user_password_and_folder_work_over_authenticate_plain(tmp_path):
    with dovecot.Dovecot(tmp_path / "dovecot", users=[(JOSE, JOSE_PASSWORD)]) as server:
        server.append(message(attachments=[(ANA.name, ANA.read_bytes())]).as_bytes(), folder="R&APw-ckl&AOQ-ufer")
        session = Imap(f"127.0.0.1:{server.port}", dovecot.USER, dovecot.PASSWORD, tls=False)
        got = list(session.messages(folder="Rückläufer"))
        assert [a.data for m in got for a in m.attachments] == [ANA.read_bytes()]
        assert list(Imap(f"127.0.0.1:{server.port}", JOSE, JOSE_PASSWORD, tls=False).messages()) == []
        wrong = Imap(f"127.0.0.1:{server.port}", JOSE, "wrong-€-pässwörd", tls=False)
        with pytest.raises(SheetflowError, match="refused the login") as caught:
            list(wrong.messages())
        assert "€" not in str(caught.value) and "ä" not in str(caught.value) and "pässwörd" not in str(caught.value)


@needs_dovecot
def test_a_non_ascii_password_the_server_cannot_take_is_refused_without_echoing_it(tmp_path, monkeypatch, capsys):
    from sheetflow.cli import main

    # Dovecot always offers AUTHENTICATE PLAIN with LOGIN; a server that offers LOGIN alone is this one with
    # AUTH=PLAIN taken out of what it says it can do.
    real = imaplib.IMAP4._get_capabilities

    def without_plain(self):
        real(self)
        self.capabilities = tuple(c for c in self.capabilities if c != "AUTH=PLAIN")

    monkeypatch.setattr(imaplib.IMAP4, "_get_capabilities", without_plain)
    with dovecot.Dovecot(tmp_path / "dovecot", users=[(JOSE, JOSE_PASSWORD)]) as server:
        monkeypatch.setenv("SHEETFLOW_IMAP_PASSWORD", JOSE_PASSWORD)
        assert main(["collect", "--imap", f"127.0.0.1:{server.port}", "--user", JOSE, "--no-tls",
                     "-o", str(tmp_path / "inbox")]) == 2
        err = capsys.readouterr().err
        assert "offers only the LOGIN command" in err and "internal error" not in err
        assert not any(c in err for c in "€äöü") and "position" not in err
        assert not (tmp_path / "inbox").exists()  # a collect that cannot log in creates nothing


@needs_dovecot
def test_logindisabled_is_honoured(tmp_path):
    # Dovecot counts a connection from 127.0.0.1 to 127.0.0.2 as not secured: it says LOGINDISABLED.
    with dovecot.Dovecot(tmp_path / "dovecot", address="127.0.0.2",
                         settings="disable_plaintext_auth = yes\nauth_mechanisms = plain login") as server:
        with imaplib.IMAP4("127.0.0.2", server.port) as probe:
            assert "LOGINDISABLED" in probe.capabilities
        session = Imap(f"127.0.0.2:{server.port}", dovecot.USER, dovecot.PASSWORD, tls=False)
        with pytest.raises(SheetflowError, match="LOGINDISABLED"):
            list(session.messages())
        assert "Login: user=" not in server.log() and "auth failed" not in server.log()


def test_no_tls_only_to_this_computer():
    with pytest.raises(SheetflowError, match="only for a server on this computer"):
        Imap("192.0.2.10", "convener", "secret", tls=False)
    with pytest.raises(SheetflowError, match="only for a server on this computer"):
        Imap("mail.example.org:143", "convener", "secret", tls=False)
    assert Imap("localhost:1143", "convener", "secret", tls=False).host == "localhost"
    assert Imap("[::1]:1143", "convener", "secret", tls=False).port == 1143
