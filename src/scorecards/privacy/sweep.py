"""Finding a person's address wherever it was copied, and blotting it out.

An erasure removes what is known to be a contact's: their row, answers,
invitations. An address can also have been copied into free text on the way:
an import's report, a failed task's traceback, an override's reason, an audit
entry's before and after. The sweep reads every text and JSON column of the
service's own tables (and of the task queue's) for it and replaces each
mention with ``[erased]``; the files imports keep lose the rows that name it.

Only addresses are swept, never names: an address names one person, while a
name ("Sales", "Jo") could blot out words that mean something else.
"""

import csv
import logging
import os
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from scorecards.imports.models import ImportRun
from scorecards.imports.runs import upload_dir

logger = logging.getLogger(__name__)

REPLACEMENT = "[erased]"

# Our own apps' models, and the task queue's: its arguments, results and
# tracebacks are text the service wrote.
SWEPT_MODULES = ("scorecards.", "django_tasks_db.")


def is_address(text: str) -> bool:
    return "@" in text and len(text) >= 3


def swept_models() -> Iterator[tuple[type[models.Model], list[Any]]]:
    """Each of the service's models with the columns that can hold free text."""
    for model in apps.get_models():
        if not model.__module__.startswith(SWEPT_MODULES):
            continue
        fields = [field for field in model._meta.concrete_fields if _textual(field)]
        if fields:
            yield model, fields


def _textual(field: Any) -> bool:
    # A column with choices holds one of a few fixed words, never an address.
    if field.primary_key or field.choices:
        return False
    return isinstance(field, models.CharField | models.TextField | models.JSONField)


def blotted(value: Any, pattern: re.Pattern[str]) -> Any:
    """``value`` with every match of ``pattern`` replaced, inside JSON too."""
    if isinstance(value, str):
        return pattern.sub(REPLACEMENT, value)
    if isinstance(value, list):
        return [blotted(item, pattern) for item in value]
    if isinstance(value, dict):
        return {
            blotted(key, pattern): blotted(item, pattern) for key, item in value.items()
        }
    return value


def _pattern(needles: Iterable[str]) -> re.Pattern[str] | None:
    found = sorted({needle.strip() for needle in needles if needle.strip()}, key=len)
    if not found:
        return None
    return re.compile("|".join(re.escape(n) for n in reversed(found)), re.IGNORECASE)


def sweep(
    needles: Collection[str], *, skip: Collection[type[models.Model]] = ()
) -> int:
    """Replace every mention of ``needles`` in the database; returns how many
    rows changed. Rows are changed by a query, never ``save()``: an audit entry
    refuses to be saved again, and this is the one change it must allow."""
    pattern = _pattern(needles)
    if pattern is None:
        return 0

    changed = 0
    for model, fields in swept_models():
        if model in skip:
            continue
        for row in _mentioning(model, fields, needles):
            changes = {}
            for field in fields:
                value = blotted(row[field.attname], pattern)
                if isinstance(value, str) and field.max_length:
                    value = value[: field.max_length]
                if value != row[field.attname]:
                    changes[field.attname] = value
            if changes:
                model._base_manager.filter(pk=row["pk"]).update(**changes)
                changed += 1
    return changed


def _mentioning(
    model: type[models.Model],
    fields: Sequence[Any],
    needles: Collection[str],
) -> list[dict[str, Any]]:
    # JSON is searched as its text. On SQLite that text escapes letters beyond
    # ASCII, which addresses rarely hold; a name would not be found this way.
    texts = {
        f"swept_{field.attname}": Cast(field.attname, output_field=TextField())
        for field in fields
        if isinstance(field, models.JSONField)
    }
    condition = Q()
    for field in fields:
        column = (
            f"swept_{field.attname}"
            if isinstance(field, models.JSONField)
            else field.attname
        )
        for needle in needles:
            if needle.strip():
                condition |= Q(**{f"{column}__icontains": needle.strip()})
    rows = model._base_manager.annotate(**texts).filter(condition)
    return list(rows.values("pk", *(field.attname for field in fields)))


def import_files() -> list[Path]:
    """Every file imports keep: uploads waiting for the worker, rejected rows
    and their summaries, in the data folder or wherever a run wrote them."""
    found = {path for path in upload_dir().rglob("*") if path.is_file()}
    for stored, rejects in ImportRun.objects.values_list("stored_file", "rejects_file"):
        for name in (stored, rejects):
            if name:
                found.update({Path(name), Path(name).with_suffix(".txt")})
    return sorted(path for path in found if path.is_file())


def scrub_import_files(
    *, needles: Collection[str], rows_with: Collection[tuple[str, ...]] = ()
) -> int:
    """Drop from the import files every row that mentions one of ``needles``,
    or has every one of the cells of a tuple in ``rows_with`` (an account's
    key and a contact's); returns how many rows went."""
    words = [needle.strip().lower() for needle in needles if needle.strip()]
    cells = [tuple(cell.lower() for cell in cells) for cells in rows_with]
    dropped = 0
    for path in import_files():
        if not _may_mention(path, words, cells):
            continue
        if path.suffix == ".csv":
            dropped += _rewrite_csv(path, words, cells)
        else:
            dropped += _rewrite_lines(path, words)
    if dropped:
        logger.info("import files: %d rows dropped", dropped)
    return dropped


def _may_mention(path: Path, words: list[str], cells: list[tuple[str, ...]]) -> bool:
    """A quick look through the bytes, so a file that cannot match is not parsed."""
    wanted = [word.encode() for word in words]
    together = [[cell.encode() for cell in group] for group in cells]
    with path.open("rb") as handle:
        for line in handle:
            lower = line.lower()
            if any(word in lower for word in wanted):
                return True
            if any(all(cell in lower for cell in group) for group in together):
                return True
    return False


def _matches(row: list[str], words: list[str], cells: list[tuple[str, ...]]) -> bool:
    lower = [cell.strip().lower() for cell in row]
    if any(word in cell for cell in lower for word in words):
        return True
    present = set(lower)
    return any(set(group) <= present for group in cells)


def _rewrite_csv(path: Path, words: list[str], cells: list[tuple[str, ...]]) -> int:
    dropped = 0
    temporary = path.with_name(path.name + ".erasing")
    # surrogateescape: a file in another encoding comes back byte for byte.
    options: dict[str, Any] = {"encoding": "utf-8", "errors": "surrogateescape"}
    with (
        path.open(newline="", **options) as source,
        temporary.open("w", newline="", **options) as target,
    ):
        writer = csv.writer(target)
        for number, row in enumerate(csv.reader(source)):
            if number and _matches(row, words, cells):
                dropped += 1
                continue
            writer.writerow(row)
    os.replace(temporary, path)
    return dropped


def _rewrite_lines(path: Path, words: list[str]) -> int:
    dropped = 0
    temporary = path.with_name(path.name + ".erasing")
    options: dict[str, Any] = {"encoding": "utf-8", "errors": "surrogateescape"}
    with path.open(**options) as source, temporary.open("w", **options) as target:
        for line in source:
            if any(word in line.lower() for word in words):
                dropped += 1
                continue
            target.write(line)
    os.replace(temporary, path)
    return dropped
