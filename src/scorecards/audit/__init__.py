"""The audit log: who changed configuration, or what a score says, and when.

Entries are written in the same transaction as the change they describe, and
the product offers no way to edit or delete one; only retention removes the
oldest (see ``scorecards.audit.retention``).
"""
