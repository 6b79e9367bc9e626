"""A book holding personal data in every place the service keeps it (see
privacy_helpers.py), a frozen clock, and a search of everything."""

import csv
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult
from privacy_helpers import (
    ASKED,
    CONTACTS,
    EPOCH,
    KIM,
    NOW,
    PAT,
    ROBIN,
    STRATEGIC,
    Book,
    search_database,
    search_files,
)

from scorecards.accounts.models import Account, Contact
from scorecards.accounts.service import upsert_accounts, upsert_contacts
from scorecards.feedback.campaigns import answer, launch_campaign, record_qbr
from scorecards.feedback.forms import define_form
from scorecards.feedback.models import Invitation, Unsubscribe
from scorecards.imports.runs import queue_upload, run_queued_import
from scorecards.imports.service import Options
from scorecards.ingest.service import IncomingSignal, ingest_signals
from scorecards.scoring import scorecards as scorecards_module
from scorecards.scoring.overrides import set_override
from scorecards.scoring.publish import publish
from scorecards.sources.models import Membership, ProductEvent, Source


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget scorecards parsed by earlier tests: SQLite reuses a rolled-back id."""
    monkeypatch.setattr(scorecards_module, "_parsed", {}, raising=False)
    monkeypatch.setattr(scorecards_module, "_loaded", {}, raising=False)


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> datetime:
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    return settings.DATA_DIR


@pytest.fixture
def book(db: None, time_machine: Any, data_dir: Path) -> Book:
    time_machine.move_to(EPOCH, tick=False)
    publish(source=STRATEGIC, format="yaml", author="setup", now=EPOCH)
    upsert_accounts(
        [{"key": key, "segment": "strategic"} for key in ("acme", "globex")],
        now=EPOCH,
    )
    upsert_contacts(CONTACTS, now=EPOCH)

    time_machine.move_to(ASKED, tick=False)
    _surveys()
    _qbr()
    _signals()
    _activity()
    _mentions()
    _imports(data_dir)
    time_machine.move_to(NOW, tick=False)

    contacts = {contact.key: contact for contact in Contact.objects.all()}
    return Book(
        acme=Account.objects.get(key="acme"),
        globex=Account.objects.get(key="globex"),
        robin=contacts["ceo"],
        kim=contacts[KIM],
        pat=contacts["buyer"],
    )


def _surveys() -> None:
    form, _ = define_form(
        key="pulse",
        kind="stakeholder",
        title="How are we doing?",
        questions=[{"key": "overall", "text": "Overall, how well do we serve you?"}],
        now=ASKED,
    )
    launch_campaign(
        name="June pulse", form=form, segments=[], csms=[], accounts=[], roles=[],
        remind_after_days=5, max_reminders=2, closes_at=NOW + timedelta(days=20),
        by="a manager", now=ASKED,
    )  # fmt: skip
    Invitation.objects.update(sent_at=ASKED)
    answers = {
        "ceo": (2, "Robin Vale here: slow replies. Write to " + ROBIN),
        "ops": (5, "Great team."),
        "buyer": (4, "Fine, says " + PAT),
    }
    for key, (value, comment) in answers.items():
        invitation = Invitation.objects.get(contact__key=key)
        answer(invitation=invitation, values={"overall": value}, comment=comment,
               now=ASKED)  # fmt: skip
    robin = Contact.objects.get(key="ceo")
    Unsubscribe.objects.create(contact=robin, at=ASKED + timedelta(hours=2))


def _qbr() -> None:
    form, _ = define_form(
        key="qbr",
        kind="qbr",
        title="QBR",
        questions=[{"key": "value", "text": "Value delivered"}],
        now=ASKED,
    )
    record_qbr(
        account=Account.objects.get(key="acme"), form=form, held_at=ASKED,
        attendees=["ceo", "ops"],
        notes=f"Robin Vale raised pricing; follow up with {ROBIN}.",
        ratings={"value": 4}, invite_attendees=False,
        closes_at=NOW, by="user csm-1", now=ASKED,
    )  # fmt: skip


def _signals() -> None:
    signals = [
        IncomingSignal("acme", "nps", 3.0, ASKED, "ceo", "api", f"nps-{ROBIN}"),
        IncomingSignal("acme", "nps", 9.0, ASKED, "ops", "api", "nps-ops"),
        IncomingSignal("acme", "weekly_active_users", 40.0, ASKED, None, "api", "w1"),
        IncomingSignal("globex", "nps", 10.0, ASKED, "buyer", "api", "nps-pat"),
    ]
    ingest_signals(signals, now=ASKED)


def _activity() -> None:
    source = Source.objects.create(
        name="product", kind="segment", key_prefix="sc_seg_", key_hash="0" * 64,
        created_at=EPOCH,
    )  # fmt: skip
    acme = Account.objects.get(key="acme")
    Membership.objects.create(
        source=source, user_id="ceo", account=acme, updated_at=ASKED
    )
    ProductEvent.objects.create(
        source=source, message_id="m1", kind="track", event="Report viewed",
        user_id="ceo", anonymous_id="device-77", account=acme,
        properties={"email": ROBIN, "plan": "pro"}, timestamp=ASKED,
        received_at=ASKED,
    )  # fmt: skip
    ProductEvent.objects.create(
        source=source, message_id="m2", kind="track", event="Report viewed",
        user_id="ops", account=acme, properties={}, timestamp=ASKED,
        received_at=ASKED,
    )  # fmt: skip


def _mentions() -> None:
    set_override(
        account=Account.objects.get(key="acme"),
        target="usage",
        value=60,
        reason=f"Usage is undercounted, says {ROBIN}",
        by="user csm-1",
        now=ASKED,
    )
    DBTaskResult.objects.create(
        status="FAILED",
        args_kwargs={"args": [], "kwargs": {}},
        task_path="scorecards.feedback.tasks.send_invitations",
        backend_name="default",
        run_after=ASKED,
        exception_class_path="smtplib.SMTPRecipientsRefused",
        traceback=f"SMTPRecipientsRefused: {{'{ROBIN}': (550, b'no such user')}}",
    )


def _imports(data_dir: Path) -> None:
    bad = [
        ["acme", "ceo", "executive_sponsor", "Robin Vale", ROBIN + ".invalid@@"],
        ["acme", "ops", "champion", "Sam Ode", "sam.ode@acme.example"],
    ]
    run = _upload(bad, skip_bad=True)
    assert run_queued_import.call(run.pk) == "done"
    waiting = [
        ["acme", "ceo", "executive_sponsor", "Robin Vale", ROBIN],
        ["acme", "ops", "champion", "Sam Ode", "sam.ode@acme.example"],
        ["globex", "buyer", "champion", "Pat Moss", PAT],
    ]
    _upload(waiting, skip_bad=False)


def _upload(rows: list[list[str]], *, skip_bad: bool) -> Any:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["account", "contact", "role", "name", "email"])
    writer.writerows(rows)
    upload = io.BytesIO(text.getvalue().encode())
    return queue_upload(
        "contacts",
        upload,
        "contacts.csv",
        Options(source="csv", skip_bad=skip_bad),
        requested_by="user admin-01",
        now=ASKED,
    )


@pytest.fixture
def everywhere(data_dir: Path) -> Callable[[str], list[str]]:
    """Where ``text`` is still held: database columns and data-folder files."""

    def find(text: str) -> list[str]:
        return search_database(text) + search_files(data_dir, text)

    return find
