"""Arrived: the returns taken out of the mail into the inbox, once each, with the inbox's ledger."""
