"""The engine is a pure package: the offline command must not need Django."""

import subprocess
import sys

CHECK = """
import sys
import scorecards.engine
loaded = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
print(",".join(loaded))
"""


def test_importing_the_engine_loads_no_django():
    run = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True
    )

    assert run.stdout.strip() == ""


def test_the_engine_source_never_imports_django():
    from pathlib import Path

    import scorecards.engine

    folder = Path(scorecards.engine.__file__).parent
    offenders = [
        path.name
        for path in folder.glob("*.py")
        if "import django" in path.read_text() or "from django" in path.read_text()
    ]

    assert offenders == []
