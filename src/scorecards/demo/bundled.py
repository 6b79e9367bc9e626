"""The scorecards the demo ships with: one for strategic accounts, one for the rest."""

from importlib import resources
from pathlib import Path


def bundled_scorecards() -> list[Path]:
    folder = resources.files("scorecards.demo") / "scorecards"
    return sorted(
        Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".yaml")
    )
