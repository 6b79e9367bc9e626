"""Signals in: validated, stored once, and scored before the caller hears back."""
