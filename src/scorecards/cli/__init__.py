"""The ``scorecards`` command line."""
