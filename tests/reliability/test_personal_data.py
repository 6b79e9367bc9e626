"""No personal data in the logs: a run that takes contacts in through the API and a
CSV import (a bad row among them), sends a survey campaign by email, and takes
an answer and an unsubscribe logs what happened, but never a contact's name or
address, at any level."""

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from scorecards.api.tokens import create_token
from scorecards.feedback.campaigns import send_due
from scorecards.imports.runs import run_queued_import
from scorecards.testing.loopback import Mailbox, mailbox

__all__ = ["mailbox"]

pytestmark = pytest.mark.usefixtures("book")

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LINK = re.compile(r"http://testserver(/r/[A-Za-z0-9_-]+)\s")

# Distinctive enough that any trace of them in a log line is found.
NAMES = [f"contact-name-{n:03d}" for n in range(6)]
EMAILS = [f"person-{n:03d}@customer.example" for n in range(6)]


@pytest.fixture
def integrator(client: Client) -> Any:
    _, secret = create_token(name="crm-sync", now=NOW)

    def call(method: str, path: str, body: Any, **headers: str) -> Any:
        data = body if isinstance(body, str) else json.dumps(body)
        return client.generic(
            method,
            "/api/v1" + path,
            data,
            headers.pop("content_type", "application/json"),
            HTTP_AUTHORIZATION=f"Bearer {secret}",
            **headers,
        )

    return call


def test_contacts_surveys_and_answers_leave_no_name_or_address_in_the_logs(
    integrator: Any,
    mailbox: Mailbox,
    caplog: pytest.LogCaptureFixture,
    settings: Any,
    time_machine: Any,
) -> None:
    settings.BASE_URL = "http://testserver"
    time_machine.move_to(NOW, tick=False)
    caplog.set_level(logging.DEBUG)

    contacts = [
        {"account": "acc-00", "key": f"c{n}", "role": "champion",
         "name": NAMES[n], "email": EMAILS[n]}
        for n in range(3)
    ]  # fmt: skip
    assert integrator("POST", "/contacts", {"contacts": contacts}).status_code == 200
    refused = [{**contacts[0], "email": "not an address " + EMAILS[0]}]
    assert integrator("POST", "/contacts", {"contacts": refused}).status_code == 422

    rows = (
        "".join(f"acc-01,c{n},user,{NAMES[n]},{EMAILS[n]}\n" for n in range(3, 6))
        + f"acc-01,c9,user,{NAMES[0]} again,{EMAILS[0]}@@broken\n"
    )
    upload = "account,contact,role,name,email\n" + rows
    queued = integrator(
        "POST", "/contacts/import?skip_bad=true", upload, content_type="text/csv"
    )
    assert queued.status_code == 202
    assert run_queued_import.call(queued.json()["id"]) == "done"

    question = {"key": "overall", "text": "How well do we serve you?"}
    form = {"kind": "stakeholder", "title": "Pulse", "questions": [question]}
    assert integrator("PUT", "/surveys/pulse", form).status_code in (200, 201)
    campaign = {"name": "Q4 pulse", "survey": "pulse",
                "closes_at": (NOW + timedelta(days=14)).isoformat()}  # fmt: skip
    assert integrator("POST", "/campaigns", campaign).status_code == 201
    assert send_due(now=NOW) == 6

    links = [LINK.findall(m.get_payload())[0] for m in mailbox.messages]
    assert Client().post(links[0], {"overall": "4"}).status_code == 302
    assert Client().post(links[1] + "/unsubscribe").status_code in (200, 302)

    # aiosmtpd's own log ("mail.log") is the receiving server's, not ours.
    logged = "\n".join(
        f"{record.name}: {record.getMessage()} {record.exc_text or ''}"
        for record in caplog.records
        if not record.name.startswith("mail.")
    )
    assert "survey invitations: 6 sent" in logged
    assert re.search(r"invitation \d+ answered", logged)
    for personal in [*NAMES, *EMAILS, "customer.example"]:
        assert personal not in logged, personal
