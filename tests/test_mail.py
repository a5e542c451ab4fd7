"""sheetflow mail: .eml drafts that open ready to send, and sending over SMTP exactly once.

Sending goes to a real SMTP server started by each test (aiosmtpd on 127.0.0.1). STARTTLS is tested
for real with a self-signed certificate made by the openssl command (skipped when it is missing),
and separately with a mocked smtplib.SMTP (STARTTLS before login, credentials from the environment).
"""

from __future__ import annotations

import csv
import email
import shutil
import socket
import ssl
import subprocess
import time
from email import policy
from pathlib import Path
from unittest import mock

import openpyxl
import pytest

from sheetflow.instruments.roster import MANIFEST_COLUMNS
from sheetflow.instruments import definitions
from sheetflow.outreach import mail
from sheetflow.cli import main
from sheetflow.tracking.status import status
from sheetflow.instruments.workbook import Request, generate

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SENDER = "Dana Convener <dana@partnership.example.org>"
PEOPLE = [  # response id, instrument, region, organization, name, email, file
    ("r-ana", "sector-self-assessment", "North Plains", "Prairie Workforce Board", "Ana López",
     "ana@example.org", "workbooks/North Plains - Prairie Workforce Board - Ana López - Self-Assessment.xlsx"),
    ("r-ben", "sector-self-assessment", "North Plains", "-Minus Manufacturing", "Ben Okafor",
     "ben@example.org", "workbooks/North Plains - Minus Manufacturing - Ben Okafor - Self-Assessment.xlsx"),
    ("r-cara", "sector-action-plan", "Red River Valley", "Red River Partnership", "Cara Jones",
     "cara@example.org", "workbooks/Red River Valley - Red River Partnership - Action Plan.xlsx"),
]


# ------------------------------------------------------------------------------------------------ fixtures


def make_roster(folder: Path) -> Path:
    """Workbooks and a manifest.csv as `sheetflow roster` writes them (formula-like text quoted)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "manifest.csv", "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(MANIFEST_COLUMNS)
        for rid, instrument_id, region, org, name, address, file in PEOPLE:
            instrument = definitions.load(instrument_id)
            if instrument.kind == "assessment":
                prefill = {"organization": org, "respondent_name": name, "region": region}
            else:
                prefill = {"region": region, "lead_organization": org, "contact_name": name}
            generate(Request(instrument, response_id=rid, cycle="2026", prefill=prefill), folder / file)
            quoted = "'" + org if org.startswith("-") else org
            writer.writerow([rid, instrument_id, "2026", region, quoted, name, address, file,
                             "2026-04-01T09:00:00+00:00"])
    return folder / "manifest.csv"


@pytest.fixture
def roster(tmp_path) -> Path:
    return make_roster(tmp_path / "roster")


@pytest.fixture(scope="module")
def returns(tmp_path_factory):
    """(manifest, inbox): Ana sent hers back complete, Ben sent his back blank, Cara nothing yet."""
    import conftest

    manifest = make_roster(tmp_path_factory.mktemp("roster"))
    inbox = tmp_path_factory.mktemp("inbox")
    instrument = definitions.load("sector-self-assessment")
    wb = openpyxl.load_workbook(manifest.parent / PEOPLE[0][6])
    answers = conftest.complete_answers(instrument, organization=PEOPLE[0][3], respondent_name=PEOPLE[0][4])
    for name, value in answers.items():
        if instrument.answer(name).kind not in ("table", "date"):
            for sheet, ref in wb.defined_names[name].destinations:
                wb[sheet][ref.replace("$", "")].value = value
    wb.save(inbox / "Ana's return.xlsx")
    shutil.copy(manifest.parent / PEOPLE[1][6], inbox / "Ben's return.xlsx")
    return manifest, inbox


def parse(path_or_bytes) -> email.message.EmailMessage:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    return email.message_from_bytes(data, policy=policy.default)


def attachment(message):
    parts = list(message.iter_attachments())
    assert len(parts) == 1
    return parts[0]


def body(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def workbook(manifest: Path, index: int) -> Path:
    return manifest.parent / PEOPLE[index][6]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what arrives and can refuse chosen recipients."""

    def __init__(self, refuse=()):
        self.messages, self.refuse = [], set(refuse)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """Start servers on free local ports; every one is stopped after the test."""
    started = []

    def start(handler, **kwargs):
        controller = aiosmtpd_controller.Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
        controller.start()
        started.append(controller)
        return f"127.0.0.1:{controller.port}"

    yield start
    for controller in started:
        controller.stop()


def read_sent(outbox: Path) -> list[dict]:
    with open(outbox / "sent.csv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


# ------------------------------------------------------------------------------------------------- drafts


def test_without_returns_everyone_in_the_manifest_is_written_to(roster):
    recipients = mail.prepare(status([], roster))
    assert [r.response_id for r in recipients] == ["r-ana", "r-ben", "r-cara"]
    assert all(r.state == "outstanding" and r.errors == [] for r in recipients)
    assert recipients[1].organization == "-Minus Manufacturing"  # the formula guard is undone
    assert recipients[0].workbook == roster.parent / PEOPLE[0][6] and recipients[0].workbook.is_file()
    assert recipients[0].respondent_name == "Ana López" and recipients[2].instrument == "sector-action-plan"


def test_a_manifest_without_its_columns_is_refused(tmp_path, capsys):
    bad = tmp_path / "manifest.csv"
    bad.write_text("name,address\nAna,ana@example.org\n", encoding="utf-8")
    code = main(["mail", "--manifest", str(bad), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "response_id" in err and "Traceback" not in err


def test_drafts_open_as_unsent_messages_with_the_workbook_attached(roster, tmp_path, capsys):
    outbox = tmp_path / "outbox"
    code = main(["mail", "--manifest", str(roster), "-o", str(outbox), "--due", "2037-05-15", "--sender", SENDER])
    assert code == 0, capsys.readouterr().err
    assert "3 drafts" in capsys.readouterr().out
    files = sorted(outbox.glob("*.eml"))
    assert [f.name for f in files] == sorted(f"{Path(p[6]).stem} - invitation.eml" for p in PEOPLE)
    for index, person in enumerate(PEOPLE):
        raw = (outbox / f"{Path(person[6]).stem} - invitation.eml").read_bytes()
        assert b"\r\n" in raw and all(len(line) <= 998 for line in raw.split(b"\r\n"))
        message = parse(raw)
        assert message["X-Unsent"] == "1" and message["MIME-Version"] == "1.0"
        assert message["To"].addresses[0].addr_spec == person[5]
        assert message["To"].addresses[0].display_name == person[4]
        assert message["From"].addresses[0].addr_spec == "dana@partnership.example.org"
        assert message["Date"].datetime is not None and message["Message-ID"].endswith("@partnership.example.org>")
        text = body(message)
        assert text.startswith(f"Hello {person[4]},")
        assert "Friday 15 May 2037" in text and "reply to this email" in text and text.rstrip().endswith("Dana Convener")
        title = definitions.load(person[1]).title
        assert title in text and "2026" in message["Subject"]
        part = attachment(message)
        assert part.get_content_type() == XLSX
        assert part.get_filename() == Path(person[6]).name  # non-ASCII survives (RFC 2231)
        assert part.get_content() == workbook(roster, index).read_bytes()
    ana = (outbox / f"{Path(PEOPLE[0][6]).stem} - invitation.eml").read_bytes()
    assert b"filename*=utf-8''" in ana or b"filename*0*=utf-8''" in ana


def test_drafts_are_never_overwritten_without_force(roster, tmp_path, capsys):
    outbox = tmp_path / "outbox"
    assert main(["mail", "--manifest", str(roster), "-o", str(outbox)]) == 0
    target = next(outbox.glob("*Ana*.eml"))
    target.write_bytes(b"mine")
    assert main(["mail", "--manifest", str(roster), "-o", str(outbox)]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err
    assert target.read_bytes() == b"mine"
    assert main(["mail", "--manifest", str(roster), "-o", str(outbox), "--force"]) == 0
    assert parse(target)["X-Unsent"] == "1"
    assert not list(outbox.glob(".sheetflow-*"))


def test_without_a_due_date_or_sender_the_text_has_no_gaps(roster, tmp_path, monkeypatch):
    monkeypatch.delenv("SHEETFLOW_SENDER", raising=False)
    outbox = tmp_path / "outbox"
    assert main(["mail", "--manifest", str(roster), "-o", str(outbox)]) == 0
    message = parse(next(outbox.glob("*Ana*.eml")))
    text = body(message)
    assert "$" not in text and "\n\n\n" not in text and "send it back by" not in text
    assert message["From"] is None and message["X-Unsent"] == "1"


def test_sender_from_the_environment(roster, tmp_path, monkeypatch):
    monkeypatch.setenv("SHEETFLOW_SENDER", SENDER)
    outbox = tmp_path / "outbox"
    assert main(["mail", "--manifest", str(roster), "-o", str(outbox)]) == 0
    assert "dana@partnership.example.org" in str(parse(next(outbox.glob("*Ben*.eml")))["From"])


def test_a_user_template_replaces_the_texts_it_names(roster, tmp_path, capsys):
    own = tmp_path / "own.toml"
    own.write_text('[invitation]\nsubject = "Workbook for $organization (due $due)"\n'
                   'body = "Dear $name,\\n\\nplease fill in $file_name. It costs $$0.\\n"\n', encoding="utf-8")
    outbox = tmp_path / "outbox"
    assert main(["mail", "--manifest", str(roster), "-o", str(outbox), "--template", str(own),
                 "--due", "2026-06-01"]) == 0
    message = parse(next(outbox.glob("*Ben*.eml")))
    assert message["Subject"] == "Workbook for -Minus Manufacturing (due Monday 1 June 2026)"
    assert body(message) == f"Dear Ben Okafor,\n\nplease fill in {Path(PEOPLE[1][6]).name}. It costs $0.\n"
    own.write_text('[invitation]\nsubject = "Hi $nmae"\n', encoding="utf-8")
    assert main(["mail", "--manifest", str(roster), "-o", str(tmp_path / "o2"), "--template", str(own)]) == 2
    err = capsys.readouterr().err
    assert "$nmae" in err and "own.toml" in err


def test_the_bundled_templates_use_only_known_placeholders():
    templates = mail.load_templates()
    assert set(mail.KINDS) <= set(templates)
    assert "$name" in templates["common"]["greeting"] and "$problems" in templates["problems"]["body"]


def test_states_from_the_returns_choose_who_is_written_to(returns, tmp_path, capsys):
    manifest, inbox = returns
    outbox = tmp_path / "outstanding"
    assert main(["mail", "--manifest", str(manifest), "-o", str(outbox), "--only", "outstanding", str(inbox)]) == 0
    assert [f.name for f in outbox.glob("*.eml")] == [f"{Path(PEOPLE[2][6]).stem} - reminder.eml"]
    reminder = parse(next(outbox.glob("*.eml")))
    assert "Reminder" in reminder["Subject"] and attachment(reminder).get_content() == workbook(manifest, 2).read_bytes()

    outbox = tmp_path / "problems"
    assert main(["mail", "--manifest", str(manifest), "-o", str(outbox), "--only", "problems", str(inbox)]) == 0
    assert [f.name for f in outbox.glob("*.eml")] == [f"{Path(PEOPLE[1][6]).stem} - problems.eml"]
    message = parse(next(outbox.glob("*.eml")))
    text = body(message)
    bullets = [line for line in text.splitlines() if line.startswith("  - ")]
    assert len(bullets) >= 20 and any("Assessment!D5" in b for b in bullets)  # 20 ratings missing, and more
    assert attachment(message).get_content() == workbook(manifest, 1).read_bytes()

    outbox = tmp_path / "both"
    assert main(["mail", "--manifest", str(manifest), "-o", str(outbox), str(inbox)]) == 0
    assert len(list(outbox.glob("*.eml"))) == 2 and not list(outbox.glob("*Ana*"))


@pytest.mark.parametrize("only, says", [("outstanding", "who has not sent theirs back"),
                                        ("problems", "whose return has problems")])
def test_only_without_the_returns_is_refused(roster, tmp_path, capsys, only, says):
    outbox = tmp_path / "box"
    assert main(["mail", "--manifest", str(roster), "-o", str(outbox), "--only", only]) == 2
    err = capsys.readouterr().err
    assert f"--only {only} needs the returns" in err and says in err
    assert not outbox.exists()


def test_mail_takes_the_manifest_folder_like_status_and_rollup(returns, tmp_path, capsys):
    manifest, inbox = returns
    outbox = tmp_path / "box"
    assert main(["mail", "--manifest", str(manifest.parent), "-o", str(outbox), "--only", "outstanding",
                 str(inbox)]) == 0
    assert "Wrote 1 draft to" in capsys.readouterr().out
    assert [f.name for f in outbox.glob("*.eml")] == [f"{Path(PEOPLE[2][6]).stem} - reminder.eml"]


def test_a_due_date_in_the_past_is_warned_about(roster, tmp_path, capsys):
    assert main(["mail", "--manifest", str(roster), "-o", str(tmp_path / "box"), "--due", "2020-03-01"]) == 0
    assert "the due date 2020-03-01 is in the past" in capsys.readouterr().err
    assert main(["mail", "--manifest", str(roster), "-o", str(tmp_path / "box2"), "--due", "2999-03-01"]) == 0
    assert "in the past" not in capsys.readouterr().err


def test_status_entries_map_onto_recipients(returns):
    manifest, inbox = returns
    report = status([inbox], manifest, workers=1)
    assert [r.state for r in report.recipients] == ["returned", "problems", "outstanding"]
    ben = report.recipients[1]
    assert ben.errors and all(isinstance(p, str) for p in ben.errors)
    assert [r.response_id for r in mail.prepare(report, "problems")] == ["r-ben"]
    assert [r.response_id for r in mail.prepare(report)] == ["r-ben", "r-cara"]


def test_recipients_without_a_usable_address_are_listed_not_written(roster, tmp_path, capsys):
    rows = list(csv.reader(roster.open(encoding="utf-8-sig")))
    rows[1][6], rows[2][6] = "", "ben at example"
    with open(roster, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    outbox = tmp_path / "outbox"
    assert main(["mail", "--manifest", str(roster), "-o", str(outbox)]) == 0
    captured = capsys.readouterr()
    assert len(list(outbox.glob("*.eml"))) == 1
    assert "Ana López: no email address" in captured.err and "'ben at example' is not an email address" in captured.err


def test_addresses_follow_the_same_rule_as_the_roster(roster, tmp_path, capsys):
    rows = list(csv.reader(roster.open(encoding="utf-8-sig")))
    rows[1][6], rows[3][6] = "ana:x@example.org", "cara@ex..org"  # the rules used to disagree on these
    with open(roster, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    assert main(["mail", "--manifest", str(roster), "-o", str(tmp_path / "outbox")]) == 0
    err = capsys.readouterr().err
    assert [f.name for f in (tmp_path / "outbox").glob("*.eml")] == [f"{Path(PEOPLE[1][6]).stem} - invitation.eml"]
    assert "'ana:x@example.org' is not an email address" in err and "'cara@ex..org' is not an email address" in err


def test_draft_names_are_safe_and_distinct():
    assert mail.unique_names(["A.eml", "a.eml", "A.eml"]) == ["A.eml", "a (2).eml", "A (3).eml"]
    assert mail.unique_names(['a<b>:c"d.eml', "CON.eml", " . .eml"]) == ["a b c d.eml", "_CON.eml", "message.eml"]


def test_names_that_could_inject_headers_are_flattened(roster):
    r = status([], roster).recipients[0]
    r.respondent_name = "Ana\r\nBcc: evil@example.org"
    message = mail.compose(r, "invitation", mail.load_templates(), definitions.load(r.instrument))
    raw = message.as_bytes(policy=mail.POLICY)
    headers = raw.split(b"\r\n\r\n")[0]
    assert b"\r\nBcc:" not in headers and parse(raw)["Bcc"] is None
    assert parse(raw)["To"].addresses[0].display_name == "Ana Bcc: evil@example.org"
    assert "Hello Ana Bcc: evil@example.org," in body(parse(raw))


# ------------------------------------------------------------------------------------------------ sending


def send_args(roster, outbox, server, *extra):
    return ["mail", "--manifest", str(roster), "-o", str(outbox), "--send", "--smtp", server,
            "--sender", SENDER, "--due", "2037-05-15", *extra]


def test_send_delivers_each_message_once_and_records_it(roster, tmp_path, smtp_server, capsys, monkeypatch):
    monkeypatch.delenv("SHEETFLOW_SMTP_USER", raising=False)
    handler = Inbox()
    server = smtp_server(handler)
    outbox = tmp_path / "outbox"
    assert main(send_args(roster, outbox, server, "--no-starttls")) == 0, capsys.readouterr().err
    assert "Sent 3 messages" in capsys.readouterr().out
    assert [rcpt for _, rcpt, _ in handler.messages] == [[p[5]] for p in PEOPLE]
    assert all(sender == "dana@partnership.example.org" for sender, _, _ in handler.messages)
    for index, (_, _, content) in enumerate(handler.messages):
        message = parse(content)
        assert message["X-Unsent"] is None and message["To"].addresses[0].addr_spec == PEOPLE[index][5]
        assert "2026" in message["Subject"]
        text = body(message)
        assert text.startswith(f"Hello {PEOPLE[index][4]},") and "Friday 15 May 2037" in text
        assert attachment(message).get_content() == workbook(roster, index).read_bytes()
        assert attachment(message).get_filename() == Path(PEOPLE[index][6]).name
    sent = read_sent(outbox)
    assert [(r["response_id"], r["email"]) for r in sent] == [(p[0], p[5]) for p in PEOPLE]
    assert [r["message_id"] for r in sent] == [parse(c)["Message-ID"] for _, _, c in handler.messages]
    assert all(r["sent_at"] and r["kind"] == "invitation" for r in sent)
    assert not list(outbox.glob("*.eml"))

    assert main(send_args(roster, outbox, server, "--no-starttls")) == 0
    out = capsys.readouterr().out
    assert "Sent 0 messages" in out and "3 had been sent before" in out
    assert len(handler.messages) == 3 and len(read_sent(outbox)) == 3


def test_a_failure_midway_records_only_what_was_sent_and_a_rerun_sends_the_rest(
        roster, tmp_path, smtp_server, capsys):
    failing = Inbox(refuse={PEOPLE[1][5]})
    outbox = tmp_path / "outbox"
    code = main(send_args(roster, outbox, smtp_server(failing), "--no-starttls"))
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "ben@example.org" in err and "550" in err and "sent.csv" in err
    assert [rcpt for _, rcpt, _ in failing.messages] == [[PEOPLE[0][5]]]
    assert [r["response_id"] for r in read_sent(outbox)] == ["r-ana"]

    working = Inbox()
    assert main(send_args(roster, outbox, smtp_server(working), "--no-starttls")) == 0
    assert [rcpt for _, rcpt, _ in working.messages] == [[PEOPLE[1][5]], [PEOPLE[2][5]]]
    assert [r["response_id"] for r in read_sent(outbox)] == ["r-ana", "r-ben", "r-cara"]


def test_send_only_problems(returns, tmp_path, smtp_server):
    manifest, inbox = returns
    handler = Inbox()
    outbox = tmp_path / "outbox"
    assert main(send_args(manifest, outbox, smtp_server(handler), "--no-starttls", "--only", "problems",
                          str(inbox))) == 0
    assert [rcpt for _, rcpt, _ in handler.messages] == [[PEOPLE[1][5]]]
    assert read_sent(outbox)[0]["kind"] == "problems"


def test_a_server_without_starttls_gets_nothing(roster, tmp_path, smtp_server, capsys):
    handler = Inbox()
    assert main(send_args(roster, tmp_path / "outbox", smtp_server(handler))) == 2
    err = capsys.readouterr().err
    assert "STARTTLS" in err and handler.messages == []


def test_send_needs_a_sender_and_an_smtp_server(roster, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SHEETFLOW_SENDER", raising=False)
    args = ["mail", "--manifest", str(roster), "-o", str(tmp_path / "o"), "--send"]
    assert main(args) == 2 and "--smtp" in capsys.readouterr().err
    assert main(args + ["--smtp", "127.0.0.1:1"]) == 2 and "sender" in capsys.readouterr().err
    assert main(args + ["--smtp", "nonsense", "--sender", SENDER]) == 2 and "HOST:PORT" in capsys.readouterr().err
    assert main(args + ["--smtp", "127.0.0.1:1", "--password", "x"]) == 2  # no such option, by design


def test_a_refused_connection_is_one_line(roster, tmp_path, capsys):
    code = main(send_args(roster, tmp_path / "outbox", f"127.0.0.1:{free_port()}"))
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.skipif(not shutil.which("openssl"), reason="the openssl command makes the test certificate")
def test_starttls_and_login_for_real(roster, tmp_path, smtp_server, monkeypatch, capsys):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login, auth_data.password, session.ssl is not None))
        return AuthResult(success=auth_data.password == b"s3cret")

    handler = Inbox()
    server = smtp_server(handler, tls_context=context, require_starttls=True, authenticator=authenticator,
                         auth_required=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate, verification stays on
    monkeypatch.setenv("SHEETFLOW_SMTP_USER", "dana")
    monkeypatch.setenv("SHEETFLOW_SMTP_PASSWORD", "s3cret")
    outbox = tmp_path / "outbox"
    assert main(send_args(roster, outbox, server)) == 0, capsys.readouterr().err
    assert len(handler.messages) == 3 and logins and logins[0] == (b"dana", b"s3cret", True)
    assert [r["response_id"] for r in read_sent(outbox)] == ["r-ana", "r-ben", "r-cara"]


def test_starttls_comes_before_login_with_credentials_from_the_environment(roster, tmp_path, monkeypatch):
    monkeypatch.setenv("SHEETFLOW_SMTP_USER", "dana")
    monkeypatch.setenv("SHEETFLOW_SMTP_PASSWORD", "s3cret")
    with mock.patch("smtplib.SMTP") as smtp_class:
        server = smtp_class.return_value
        server.has_extn.return_value = True
        server.send_message.return_value = {}
        assert main(send_args(roster, tmp_path / "outbox", "smtp.example.org:587")) == 0
    smtp_class.assert_called_once_with("smtp.example.org", 587, timeout=60)
    calls = [c[0] for c in server.method_calls]
    assert calls.index("starttls") < calls.index("login") < calls.index("send_message")
    assert isinstance(server.starttls.call_args.kwargs["context"], ssl.SSLContext)
    assert server.starttls.call_args.kwargs["context"].verify_mode == ssl.CERT_REQUIRED
    server.login.assert_called_once_with("dana", "s3cret")
    assert server.send_message.call_count == 3 and calls[-1] == "quit"


def test_a_password_is_never_sent_unencrypted(roster, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SHEETFLOW_SMTP_USER", "dana")
    monkeypatch.setenv("SHEETFLOW_SMTP_PASSWORD", "s3cret")
    with mock.patch("smtplib.SMTP") as smtp_class:
        assert main(send_args(roster, tmp_path / "outbox", "127.0.0.1:2525", "--no-starttls")) == 2
    assert not smtp_class.called and "without encryption" in capsys.readouterr().err


def test_sent_csv_is_flushed_after_each_message(roster, tmp_path, monkeypatch):
    outbox = tmp_path / "outbox"
    seen = []

    def send_message(message):
        if (outbox / "sent.csv").exists():
            seen.append(len(read_sent(outbox)))
        time.sleep(0)
        return {}

    monkeypatch.delenv("SHEETFLOW_SMTP_USER", raising=False)
    with mock.patch("smtplib.SMTP") as smtp_class:
        smtp_class.return_value.send_message.side_effect = send_message
        assert main(send_args(roster, outbox, "127.0.0.1:2525", "--no-starttls")) == 0
    assert seen == [0, 1, 2]


def test_a_wrong_password_stops_before_anything_is_sent(roster, tmp_path, monkeypatch, capsys):
    import smtplib

    monkeypatch.setenv("SHEETFLOW_SMTP_USER", "dana")
    monkeypatch.setenv("SHEETFLOW_SMTP_PASSWORD", "wrong")
    with mock.patch("smtplib.SMTP") as smtp_class:
        server = smtp_class.return_value
        server.login.side_effect = smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication\r\n credentials invalid")
        assert main(send_args(roster, tmp_path / "outbox", "smtp.example.org:587")) == 2
    err = capsys.readouterr().err
    assert err == ("sheetflow: Sending via smtp.example.org:587 failed (535 5.7.8 Authentication credentials invalid); "
                   "nothing was sent.\n")
    assert not server.send_message.called and server.close.called


def test_a_partner_whose_file_cannot_be_read_is_told_why_in_words_for_them():
    """The damaged sample return is Umar Farouk's problem; his message gives the reason, not the advice
    written for the convener ("ask the partner to ...")."""
    samples = Path(__file__).parent.parent / "samples"
    report = status([samples / "returns"], samples / "sent" / "manifest.csv")
    umar, = [r for r in report.recipients if r.respondent_name == "Umar Farouk"]
    assert umar.state == "problems" and umar.errors
    assert any("ask the partner" in m for m in umar.errors)  # the reason as the convener reads it
    _, body = mail.render(umar, mail.message_kind(umar), mail.load_templates(),
                          definitions.load("sector-self-assessment"))
    assert "damaged or incomplete" in body
    assert "ask the partner" not in body
    # he is asked to send it again, not to correct what he filled in (nothing in it could be read)
    assert mail.message_kind(umar) == "resend" and "send your filled-in workbook again" in body
    assert "correct" not in body.lower()
    invalid = [r for r in report.recipients if r.state == "problems" and r.report.status == "invalid"]
    assert invalid and {mail.message_kind(r) for r in invalid} == {"problems"}


def test_an_outbox_named_like_a_message_file_is_refused_before_any_work(roster, tmp_path, capsys):
    code = main(["mail", "--manifest", str(roster), "-o", str(tmp_path / "outbox.eml")])
    assert code == 2
    assert f"{tmp_path / 'outbox.eml'} is named like a file, not a folder" in capsys.readouterr().err
    assert not (tmp_path / "outbox.eml").exists()


def two_cycles(roster: Path) -> Path:
    """The roster's manifest with the same people sent next cycle's workbooks too (2026 and 2027 in one file)."""
    with open(roster, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    with open(roster, "a", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        for row in rows[1:]:
            writer.writerow([row[0] + "-2027", row[1], "2027", *row[3:]])
    return roster


def test_mail_writes_for_one_cycle_the_latest_unless_cycle_says(roster, tmp_path, capsys):
    manifest = two_cycles(roster)
    outbox = tmp_path / "latest"
    assert main(["mail", "--manifest", str(manifest), "-o", str(outbox)]) == 0
    said = capsys.readouterr().out
    assert "lists cycles 2026, 2027: writing to the recipients of cycle 2027 (--cycle chooses another)" in said
    assert "Wrote 3 drafts" in said and len(list(outbox.glob("*.eml"))) == 3  # not 6: nobody gets last year's too
    outbox = tmp_path / "2026"
    assert main(["mail", "--manifest", str(manifest), "-o", str(outbox), "--cycle", "2026"]) == 0
    said = capsys.readouterr().out
    assert "writing to the recipients" not in said and "Wrote 3 drafts" in said
    assert {"2026" in parse(p)["Subject"] for p in outbox.glob("*.eml")} == {True}
    assert {"2027" in parse(p)["Subject"] for p in (tmp_path / "latest").glob("*.eml")} == {True}
    assert main(["mail", "--manifest", str(manifest), "-o", str(tmp_path / "x"), "--cycle", "2030"]) == 2
    assert "lists nobody for cycle 2030" in capsys.readouterr().err


@pytest.mark.parametrize("only", ["outstanding", "problems"])
def test_only_with_a_folder_holding_no_returns_is_refused(roster, tmp_path, capsys, only):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "~$lock.xlsx").write_bytes(b"")
    outbox = tmp_path / "box"
    assert main(["mail", "--manifest", str(roster), "-o", str(outbox), "--only", only, str(empty)]) == 2
    err = capsys.readouterr().err
    assert f"{empty}: no returns there (1 skipped (1: Excel lock file)); without them everyone would look " \
           "outstanding" in err
    assert not outbox.exists() or not list(outbox.iterdir())
