"""Answered: the emails to partners (invitations, reminders, what to fix) and the replies to their returns."""
