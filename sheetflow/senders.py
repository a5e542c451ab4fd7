"""Whether a message came from the person a workbook was sent to: one rule for every stage.

    is_recipients_address("Ana@Example.org", "Ana Lopez <ana@example.org>")   # True
    is_recipients_address("ana@example.org", "someone@example.org")            # False

The comparison is of the bare addresses (``email.utils.parseaddr``), without case. A message
from any other address is not the recipient's own: its return never silently counts and is
never answered as theirs.
"""

from __future__ import annotations

from email.utils import parseaddr


def bare_address(text: str) -> str:
    """The address of ``Name <address>`` (or of a bare address), lower case; "" when there is none."""
    _name, address = parseaddr(str(text or "").replace("\r", " ").replace("\n", " "))
    address = address.strip().lower()
    return address if "@" in address else ""


def is_recipients_address(recipient_email: str, sender: str, **_rules: object) -> bool:
    """Whether ``sender`` (a From header or a bare address) is ``recipient_email`` itself."""
    recipient, came_from = bare_address(recipient_email), bare_address(sender)
    return bool(recipient) and recipient == came_from
