"""A real IMAP server for the tests: Dovecot with a temporary configuration, user and mail folder.

    with Dovecot(tmp_path) as server:       # listens on 127.0.0.1:server.port, no TLS
        server.append(raw_message_bytes)    # delivered over IMAP (APPEND), as a mail client would
        server.flags()                      # every message's flags, to check nothing was changed
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "convener", "s3cret-for-tests"


def available() -> bool:
    return Path(DOVECOT).exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    """``users``: more (name, password) pairs, any characters; ``address``: where it listens (a connection
    from 127.0.0.1 to 127.0.0.2 is not "secured" in Dovecot's eyes); ``settings``: lines added to its
    configuration (auth_mechanisms = login, disable_plaintext_auth = yes...)."""

    def __init__(self, folder: Path, users=(), address: str = "127.0.0.1", settings: str = ""):
        self.folder = Path(folder)
        self.users, self.address, self.settings = [(USER, PASSWORD), *users], address, settings
        self.port = _free_port()
        self.process = None
        self.store = None
        self.run = None

    def _config(self) -> Path:
        f = self.folder
        (f / "state").mkdir(parents=True, exist_ok=True)
        # Dovecot's sockets go in a short folder of their own: a Unix socket's path is limited to 108 bytes, which
        # pytest's folders pass under pytest-xdist (/tmp/pytest-of-root/pytest-N/popen-gw0/test_..._0/...).
        self.run = Path(tempfile.mkdtemp(prefix="sheetflow-dovecot-"))
        me = pwd.getpwuid(os.getuid())
        group = grp.getgrgid(os.getgid()).gr_name
        # Dovecot never reads mail as root: as root (CI), the mail belongs to Dovecot's own user, in a
        # folder it can reach (pytest's are private to root).
        owner = pwd.getpwnam("dovecot") if os.getuid() == 0 else me
        self.store = Path(tempfile.mkdtemp(prefix="sheetflow-imap-"))
        for d in ("mail", "home"):
            (self.store / d).mkdir()
        (self.store / "users").write_text("".join(f"{u}:{{PLAIN}}{p}::::\n" for u, p in self.users),
                                          encoding="utf-8")
        if os.getuid() == 0:
            for d in (self.store, self.store / "mail", self.store / "home", self.store / "users"):
                os.chown(d, owner.pw_uid, owner.pw_gid)
        # Run as root (CI), Dovecot drops to its own users for logins; as anyone else it runs as them.
        login, internal = ("dovenull", "dovecot") if os.getuid() == 0 else (me.pw_name, me.pw_name)
        config = f"""
protocols = imap
listen = {self.address}
base_dir = {self.run}
state_dir = {f}/state
log_path = {f}/dovecot.log
ssl = no
auth_username_chars =
{self.settings or "disable_plaintext_auth = no" + chr(10) + "auth_mechanisms = plain login"}
default_login_user = {login}
default_internal_user = {internal}
first_valid_uid = {owner.pw_uid}
mail_location = maildir:{self.store}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.store}/users
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={self.store}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = {self.address}
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    user = {me.pw_name}
    group = {group}
    mode = 0666
  }}
}}
"""
        path = f / "dovecot.conf"
        path.write_text(config)
        if os.getuid() == 0:  # Dovecot's unprivileged processes must reach the configuration and the run folder
            for d in (f, self.run):
                d.chmod(0o755)
        return path

    def __enter__(self) -> "Dovecot":
        config = self._config()
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot stopped: {self.process.stdout.read().decode()} {self.log()}")
            try:
                with socket.create_connection((self.address, self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def __exit__(self, *_exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for folder in (self.store, self.run):
            if folder:
                shutil.rmtree(folder, ignore_errors=True)

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def session(self) -> imaplib.IMAP4:
        session = imaplib.IMAP4(self.address, self.port, timeout=10)
        if "AUTH=PLAIN" in session.capabilities:
            session.authenticate("PLAIN", lambda _: f"\0{USER}\0{PASSWORD}".encode())
        else:
            session.login(USER, PASSWORD)
        return session

    def append(self, raw: bytes, folder: str = "INBOX", when: float | None = None) -> None:
        session = self.session()
        try:
            if folder != "INBOX":
                session.create(folder)
            moment = imaplib.Time2Internaldate(when if when is not None else time.time())
            kind, data = session.append(folder, None, moment, raw)
            assert kind == "OK", data
        finally:
            session.logout()

    def flags(self, folder: str = "INBOX") -> dict[str, set[str]]:
        """UID -> flags of every message (\\Recent aside: it belongs to a session), read without changing them."""
        session = self.session()
        try:
            session.select(folder, readonly=True)
            kind, data = session.uid("FETCH", "1:*", "(FLAGS)")
            out = {}
            for item in data:
                found = re.search(rb"UID (\d+) FLAGS \(([^)]*)\)", item if isinstance(item, bytes) else b"")
                if found:
                    out[found.group(1).decode()] = set(found.group(2).decode().split()) - {"\\Recent"}
            return out
        finally:
            session.logout()

    def count(self, folder: str = "INBOX") -> int:
        session = self.session()
        try:
            kind, data = session.select(folder, readonly=True)
            return int(data[0])
        finally:
            session.logout()


__all__ = ["Dovecot", "available", "USER", "PASSWORD"]
