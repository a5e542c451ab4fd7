"""Intake: what happens to a returned file, in order: checked before any parser, read in an isolated
worker into a flat record of named answers, checked against the definition's schema, reported."""
