"""Scorecards as stored versions, and every account's score: current and past."""
