"""How a grade is written and coloured on every page.

The colour words a scorecard's grades may name map to the few tones the style
sheet draws; any other colour is shown in a neutral tone. The grade's name is
always written out beside the colour, so no one has to tell colours apart.
"""

from typing import Any

from scorecards.scoring.models import Status

TONES = {
    "green": "good",
    "amber": "warn",
    "yellow": "warn",
    "orange": "warn",
    "red": "bad",
}
STATUS_WORDS: dict[str, str] = {
    Status.INSUFFICIENT_DATA: "insufficient data",
    Status.UNSCORED: "no scorecard",
}


def label(status: str | None, grade: str) -> str:
    """What a grade column says: the grade, or why there is none."""
    if status == Status.SCORED:
        return grade.replace("_", " ") or "no grade"
    if status is None:
        return "not scored yet"
    return STATUS_WORDS.get(status, status.replace("_", " "))


def tone(definition: dict[str, Any] | None, grade: str) -> str:
    """The style sheet's tone for ``grade`` under a scorecard's ``definition``."""
    if not definition:
        return "none"
    colours = {
        entry.get("name"): str(entry.get("color", "")).lower()
        for entry in definition.get("grades", [])
    }
    return TONES.get(colours.get(grade, ""), "none")
