"""Tracked: each checked return matched to whom it was sent; who has returned what."""
