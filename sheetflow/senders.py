"""Whose address a return came from: the recipient's own, a colleague's at the same organization, one the
convener accepted, or someone else's (which never counts without the convener's look).

    is_recipients_address("ana@prairiewb.org", "Ana@PrairieWB.org")              # True: her own
    is_recipients_address("ana@prairiewb.org", "assistant@prairiewb.org")        # True: same organization
    is_recipients_address("ana@gmail.com", "mallory@gmail.com")                  # False: a public mail service
    is_recipients_address("ana@prairiewb.org", "ana.home@example.net",
                          accepted={"ana.home@example.net"})                     # True: accepted by the convener

The rule, in docs/collect.md: an address counts as the recipient's when it is the recipient's address, or
has the same domain (after "@", exactly) as the recipient's address and that domain is not a public mail
service anyone can have an address at, or is listed in the inbox's ``accepted-senders.txt``. Everything
else is "another address" and needs the convener's look.
"""

from __future__ import annotations

import email.utils
from enum import StrEnum
from pathlib import Path
from typing import Iterable

ACCEPTED_FILE = "accepted-senders.txt"  # in the inbox, beside collected.csv: one address per line

# Mail services anyone can sign up to: the same domain there says nothing about the organization.
PUBLIC_MAIL = frozenset({
    "gmail", "googlemail", "outlook", "hotmail", "live", "msn", "passport", "yahoo", "ymail", "rocketmail",
    "icloud", "me", "mac", "aol", "aim", "proton", "protonmail", "pm", "gmx", "web", "mail", "email", "yandex",
    "zoho", "fastmail", "hey", "tutanota", "tuta", "qq", "163", "126", "sina", "naver", "daum", "comcast",
    "verizon", "att", "sbcglobal", "btinternet", "orange", "free", "t-online", "libero", "seznam", "rediffmail",
    "inbox", "lycos", "hushmail", "mailfence", "posteo", "bell", "shaw", "rogers", "sympatico", "cox",
    "charter", "earthlink", "juno", "optonline", "bigpond", "virginmedia", "sky", "laposte", "wanadoo",
})


class SenderCheck(StrEnum):
    """What the ledger's ``sender_check`` column says about the address a tied return came from."""

    OWN = "own address"
    SAME_ORGANIZATION = "same organization"
    ACCEPTED = "accepted"
    OTHER = "another address"  # needs the convener's look


def _address(value: str) -> str:
    return email.utils.parseaddr(str(value or ""))[1].strip().lower()


def _domain(address: str) -> str:
    return address.rpartition("@")[2] if "@" in address else ""


def is_public_mail(domain: str) -> bool:
    """Whether ``domain`` belongs to a mail service anyone can have an address at (gmail.com, yahoo.co.uk)."""
    labels = domain.lower().strip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in {"co", "com", "net", "org", "ne", "or"}:
        labels = labels[:-1]  # yahoo.co.uk -> yahoo.co
    return len(labels) >= 2 and labels[-2] in PUBLIC_MAIL


def check_sender(recipient_email: str, sender: str, *, accepted: Iterable[str] = (),
                 same_organization: bool = True) -> SenderCheck:
    """How ``sender`` relates to the recipient whose address is ``recipient_email`` (see the module's rule)."""
    own, got = _address(recipient_email), _address(sender)
    if not got:
        return SenderCheck.OTHER
    if own and got == own:
        return SenderCheck.OWN
    if got in {_address(a) for a in accepted}:
        return SenderCheck.ACCEPTED
    domain = _domain(got)
    if same_organization and own and domain and domain == _domain(own) and not is_public_mail(domain):
        return SenderCheck.SAME_ORGANIZATION
    return SenderCheck.OTHER


def is_recipients_address(recipient_email: str, sender: str, *, accepted: Iterable[str] = (),
                          same_organization: bool = True) -> bool:
    """Whether mail from ``sender`` counts as coming from the recipient at ``recipient_email``: their own
    address, a colleague's at the same organization's domain (unless ``same_organization`` is False), or an
    address in ``accepted`` (see ``accepted_senders``)."""
    return check_sender(recipient_email, sender, accepted=accepted,
                        same_organization=same_organization) is not SenderCheck.OTHER


def accepted_senders(folder: str | Path) -> frozenset[str]:
    """The addresses listed in ``folder``'s accepted-senders.txt (one per line, "#" starts a comment); none
    when there is no such file or it cannot be read."""
    path = Path(folder) / ACCEPTED_FILE
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return frozenset()
    found = (_address(line.split("#", 1)[0]) for line in text.splitlines())
    return frozenset(a for a in found if a)
