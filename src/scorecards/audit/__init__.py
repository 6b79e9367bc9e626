"""The audit log: who changed configuration, or what a score says, and when.

Entries are written in the same transaction as the change they describe, and
the product offers no way to edit or delete one. Two things touch entries
already written: retention removes the oldest, and an erasure replaces the
erased person's address wherever an entry quoted it (``scorecards.privacy``).
"""
