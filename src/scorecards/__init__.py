"""Scorecards: live, weighted customer health scores."""
