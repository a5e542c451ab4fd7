"""Outreach: the roster, what was sent to whom (the manifest), who has returned what, and the emails."""
