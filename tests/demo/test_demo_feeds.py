"""`scorecards demo --feeds`: sample feeds that the running demo takes as they are.

The feeds name the same accounts the demo loads (same count, same seed), so a
new user can watch a Salesforce export, a Segment batch and a Delighted answer
arrive, with the commands the demo prints.
"""

import base64
import shlex
from datetime import UTC, datetime

import pytest
import yaml

from scorecards.accounts.models import Account
from scorecards.cli.main import main
from scorecards.demo.feeds import ACCOUNTS_IN_BATCH, SALESFORCE_MAP
from scorecards.ingest.models import Signal
from scorecards.sources.models import Membership, ProductEvent
from scorecards.sources.registry import create_source

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ACCOUNTS = 25


@pytest.fixture(autouse=True)
def frozen_clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def feeds(tmp_path, capsys):
    folder = tmp_path / "feeds"
    status = main(["demo", "--feeds", str(folder), "--accounts", str(ACCOUNTS)])
    out = capsys.readouterr().out
    assert status == 0
    assert f"scorecards import accounts {folder}/salesforce/Account.csv" in out
    return folder


def test_the_feeds_are_written_without_a_database(feeds):
    names = sorted(str(p.relative_to(feeds)) for p in feeds.rglob("*") if p.is_file())
    assert names == [
        "delighted/response.json",
        "salesforce/Account.csv",
        "segment/batch.json",
        "segment/rules.yaml",
    ]
    header = (feeds / "salesforce" / "Account.csv").read_text().splitlines()[0]
    assert header.startswith('"ID","NAME","TYPE"')


@pytest.mark.django_db
def test_the_demo_takes_every_feed_as_it_is(feeds, client, capsys):
    assert main(["demo", "--accounts", str(ACCOUNTS)]) == 0
    before = dict(Account.objects.values_list("key", "csm"))

    argv = ["import", "accounts", str(feeds / "salesforce" / "Account.csv"),
            *shlex.split(SALESFORCE_MAP)]  # fmt: skip
    capsys.readouterr()
    assert main(argv) == 0, capsys.readouterr().err
    assert f"0 new, {ACCOUNTS} updated" in capsys.readouterr().out
    assert dict(Account.objects.values_list("key", "csm")) == before
    assert Account.objects.get(key="acc-000001").attributes["industry"] == "Software"

    rules = (feeds / "segment" / "rules.yaml").read_text()
    _, key = create_source(
        kind="segment", name="product", settings=yaml.safe_load(rules), now=NOW
    )
    basic = base64.b64encode(f"{key}:".encode()).decode()
    response = client.post(
        "/v1/batch",
        (feeds / "segment" / "batch.json").read_bytes(),
        content_type="application/json",
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.content
    assert Membership.objects.count() == 3 * ACCOUNTS_IN_BATCH
    assert not ProductEvent.objects.filter(account=None).exists()
    assert Signal.objects.filter(source="product", metric="reports_created").exists()

    _, hook = create_source(kind="delighted", name="delighted-nps", now=NOW)
    answer = client.post(
        f"/hooks/delighted/{hook}",
        (feeds / "delighted" / "response.json").read_bytes(),
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    signal = Signal.objects.get(source="delighted-nps")
    assert (signal.value, signal.contact is not None) == (4, True)
