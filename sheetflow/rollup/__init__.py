"""Roll-up: every valid return consolidated into tables, summaries, pivots and CSV for the board."""
