"""Whether this run includes the heavy tests: SCORECARDS_HEAVY_TESTS=1.

The heavy parts of the reliability suite (long fuzzing runs, bodies of a
hundred megabytes) are too slow for every `make test`; CI runs them too.
"""

import os


def heavy_tests() -> bool:
    return os.environ.get("SCORECARDS_HEAVY_TESTS", "").strip().lower() in (
        "1",
        "true",
        "yes",
    )
