"""The evidence package is pure, as the engine is: no Django for the offline command."""

import subprocess
import sys

CHECK = """
import sys
import scorecards.evidence
loaded = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
print(",".join(loaded))
"""


def test_importing_the_evidence_package_loads_no_django():
    run = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True
    )

    assert run.stdout.strip() == ""
