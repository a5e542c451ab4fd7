"""sheetflow's own CSV files: each one's name and columns, declared once.

The stages write them (``tracking.manifest``, ``arrival.ledger``, ``outreach.mail``, ``outreach.reply``)
and intake recognises them among the returns (``intake.own_files``) by these names and headers.
"""

from __future__ import annotations

MANIFEST = "manifest.csv"  # what was sent to whom (generate --roster)
MANIFEST_COLUMNS = ("response_id", "instrument", "cycle", "region", "organization", "respondent_name", "email",
                    "file", "generated_at")

LEDGER = "collected.csv"  # what collect saved from the mail, in the inbox
LEDGER_COLUMNS = ("message_id", "received_at", "from", "subject", "attachment", "file", "sha256", "status",
                  "response_id", "sender_check", "authentication")

SENT = "sent.csv"  # what mail --send sent, in the outbox
SENT_COLUMNS = ("response_id", "email", "message_id", "sent_at", "kind")

REPLIED = "replied.csv"  # what reply answered, in the inbox
REPLIED_COLUMNS = ("message_id", "file", "sha256", "outcome", "delivery", "at", "reply_id", "to", "draft", "reason")
