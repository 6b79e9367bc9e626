"""Survey forms, their versioned questions, and what an answer says as signals.

Three kinds of form:

- ``nps``: one question, 0 to 10, and a comment: the signal ``nps``;
- ``stakeholder``: weighted questions, 1 to 5: one signal per question
  (``stakeholder_<key>``) and their weighted mean, ``stakeholder_rating``;
- ``qbr``: a weighted rubric, 1 to 5: ``qbr_<key>`` per item and ``qbr_score``.

Changing a form's questions makes a new version; answers keep the version they
were given to, so an old answer keeps its meaning.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from scorecards.audit.log import record
from scorecards.engine.signals import Signal
from scorecards.feedback.models import FormKind, FormVersion, SurveyForm

SOURCE = "survey"
NPS_QUESTION = "score"
SCALES = {FormKind.NPS: (0, 10), FormKind.STAKEHOLDER: (1, 5), FormKind.QBR: (1, 5)}
COMBINED = {FormKind.STAKEHOLDER: "stakeholder_rating", FormKind.QBR: "qbr_score"}
PREFIX = {FormKind.STAKEHOLDER: "stakeholder_", FormKind.QBR: "qbr_"}


class AnswerError(Exception):
    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    text: str
    weight: float


def questions_of(version: FormVersion) -> list[Question]:
    return [
        Question(q["key"], q["text"], float(q.get("weight", 1)))
        for q in version.questions
    ]


def define_form(
    *,
    key: str,
    kind: str,
    title: str,
    questions: Sequence[Mapping[str, Any]],
    now: datetime,
) -> tuple[SurveyForm, bool]:
    """Create or change a form; returns it and whether a new version was made."""
    wanted = [
        {"key": q["key"], "text": q["text"], "weight": float(q.get("weight", 1))}
        for q in questions
    ]
    if kind == FormKind.NPS:
        wanted = [{"key": NPS_QUESTION, "text": wanted[0]["text"], "weight": 1.0}]
    with transaction.atomic():
        form, _ = SurveyForm.objects.select_for_update().get_or_create(
            key=key, defaults={"kind": kind, "title": title}
        )
        form.kind, form.title = kind, title
        if form.current is not None and form.current.questions == wanted:
            form.save(update_fields=["kind", "title"])
            return form, False
        number = form.versions.count() + 1
        earlier = form.current
        form.current = FormVersion.objects.create(
            form=form, number=number, questions=wanted, created_at=now
        )
        form.save(update_fields=["kind", "title", "current"])
        record(
            "survey.published",
            target=f"survey:{key}",
            before=None if earlier is None else {
                "version": earlier.number, "questions": earlier.questions
            },
            after={"version": number, "title": title, "questions": wanted},
            at=now,
        )  # fmt: skip
    return form, True


def check_answer(
    kind: str, version: FormVersion, values: Mapping[str, Any]
) -> dict[str, int]:
    """The answer's numbers by question; AnswerError names every one missing or
    out of the scale."""
    low, high = SCALES[FormKind(kind)]
    found, problems = {}, {}
    for question in questions_of(version):
        raw = values.get(question.key)
        try:
            number = int(str(raw))
        except (TypeError, ValueError):
            problems[question.key] = "Please choose an answer."
            continue
        if not low <= number <= high:
            problems[question.key] = f"Please choose from {low} to {high}."
            continue
        found[question.key] = number
    if problems:
        raise AnswerError(problems)
    return found


def answer_signals(
    *,
    kind: str,
    version: FormVersion,
    values: Mapping[str, int],
    account: str,
    contact: str | None,
    ident: str,
    at: datetime,
    source: str = SOURCE,
) -> list[Signal]:
    """The signals an answer gives, with ids (``ident`` and the metric) that
    make an edit replace them."""

    def signal(metric: str, value: float) -> Signal:
        return Signal(
            account, metric, float(value), at, contact, source, f"{ident}-{metric}"
        )

    if kind == FormKind.NPS:
        return [signal("nps", values[NPS_QUESTION])]
    questions = questions_of(version)
    weight = sum(q.weight for q in questions)
    combined = sum(q.weight * values[q.key] for q in questions) / weight
    prefix = PREFIX[FormKind(kind)]
    return [
        signal(COMBINED[FormKind(kind)], combined),
        *(signal(f"{prefix}{q.key}", values[q.key]) for q in questions),
    ]
