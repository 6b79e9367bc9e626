"""Importing CSV files: all or nothing unless told, once per row, scores current."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from scorecards.accounts.models import Account, Contact
from scorecards.imports.service import ImportFailed, Options, import_file
from scorecards.ingest.models import Signal
from scorecards.scoring.models import AccountScore

pytestmark = pytest.mark.django_db


@pytest.fixture
def csv_file(tmp_path):
    def write(text: str, name: str = "data.csv") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def when(clock, days_ago: float) -> str:
    return (clock.now - timedelta(days=days_ago)).isoformat()


def signals_csv(clock) -> str:
    return (
        "account,metric,value,observed_at,contact\n"
        f"acme,qbr_score,4,{when(clock, 2)},\n"
        f"acme,weekly_active_users,40,{when(clock, 1)},\n"
        f"acme,stakeholder_rating,5,{when(clock, 1)},ceo\n"
        f"globex,qbr_score,2,{when(clock, 3)},\n"
        f"globex,weekly_active_users,90,{when(clock, 1)},\n"
    )


def test_signals_are_stored_and_every_named_account_scored(
    cast, clock, csv_file, assert_scored_as_engine
):
    report = import_file(
        "signals", csv_file(signals_csv(clock)), Options(), now=clock.now
    )

    assert (report.rows, report.bad, report.created, report.duplicates) == (5, 0, 5, 0)
    assert report.rescored == 2
    assert Signal.objects.count() == 5
    assert set(Signal.objects.values_list("source", flat=True)) == {"csv"}
    stakeholder = Signal.objects.get(metric="stakeholder_rating")
    assert stakeholder.contact.key == "ceo"
    assert_scored_as_engine(cast.acme, clock.now)
    assert_scored_as_engine(cast.globex, clock.now)
    assert AccountScore.objects.get(account=cast.globex).total == pytest.approx(
        (25 + 90) / 2
    )


def test_the_same_file_again_adds_nothing(cast, clock, csv_file):
    path = csv_file(signals_csv(clock))
    import_file("signals", path, Options(), now=clock.now)
    ids = set(Signal.objects.values_list("source", "external_id"))

    again = import_file("signals", path, Options(), now=clock.now)

    assert (again.created, again.duplicates) == (0, 5)
    assert set(Signal.objects.values_list("source", "external_id")) == ids
    assert Signal.objects.count() == 5


def test_the_same_rows_from_another_source_are_other_signals(cast, clock, csv_file):
    path = csv_file(signals_csv(clock))
    import_file("signals", path, Options(), now=clock.now)

    other = import_file("signals", path, Options(source="crm"), now=clock.now)

    assert other.created == 5
    assert Signal.objects.filter(source="crm").count() == 5


def test_headers_in_any_case_and_mapped_columns_are_read(cast, clock, csv_file):
    path = csv_file(
        "ACCOUNT_KEY__C,METRIC,Value,OBSERVED_AT,ID\n"
        f"acme,qbr_score,4,{when(clock, 1)},row-1\n"
    )

    report = import_file(
        "signals", path, Options(mapping={"account": "account_key__c"}), now=clock.now
    )

    assert report.created == 1
    assert Signal.objects.get().external_id == "row-1"


def test_a_mapping_to_a_header_the_file_lacks_is_named(cast, clock, csv_file):
    path = csv_file(f"account,metric,value,observed_at\nacme,nps,9,{when(clock, 1)}\n")

    report = import_file(
        "signals", path, Options(mapping={"metric": "kpi"}), now=clock.now
    )

    assert [str(p) for p in report.problems] == [
        f"{path}:1: no column 'kpi' to take 'metric' from"
    ]
    assert not Signal.objects.exists()


def test_every_bad_row_is_named_and_nothing_is_written(cast, clock, csv_file):
    path = csv_file(
        "Account,Metric,Value,Observed_At\n"
        f"acme,qbr_score,4,{when(clock, 1)}\n"
        f"acme,qbr_score,four,{when(clock, 1)}\n"
        "acme,qbr_score,4,yesterday\n"
        f"hooli,qbr_score,4,{when(clock, 1)}\n"
        "acme,qbr_score,4,2026-06-01T10:00:00\n"
        "acme,qbr_score\n"
        f",qbr_score,4,{when(clock, 1)}\n"
    )

    report = import_file("signals", path, Options(), now=clock.now)

    assert [str(p) for p in report.problems] == [
        f"{path}:3: column 'Value': 'four' is not a number",
        f"{path}:4: column 'Observed_At': 'yesterday' is not an ISO 8601 time",
        f"{path}:5: column 'Account': unknown account 'hooli'",
        f"{path}:6: column 'Observed_At': '2026-06-01T10:00:00' has no time zone "
        "(add Z or +00:00)",
        f"{path}:7: expected 4 fields, found 2",
        f"{path}:8: column 'Account': is empty",
    ]
    assert (report.rows, report.bad, report.written) == (7, 6, False)
    assert not Signal.objects.exists()


def test_a_missing_column_is_named(cast, clock, csv_file):
    path = csv_file("account,metric,observed_at\nacme,nps,2026-06-01T00:00:00Z\n")

    report = import_file("signals", path, Options(), now=clock.now)

    assert [str(p) for p in report.problems] == [f"{path}:1: missing column 'value'"]


def test_skip_bad_imports_the_good_rows_and_keeps_the_bad_ones_to_fix(
    cast, clock, csv_file
):
    good = f"acme,qbr_score,4,{when(clock, 1)}"
    path = csv_file(
        "account,metric,value,observed_at\n"
        f"{good}\n"
        f"acme,qbr_score,four,{when(clock, 1)}\n"
        f'"hooli, inc",qbr_score,4,{when(clock, 1)}\n'
    )

    report = import_file("signals", path, Options(skip_bad=True), now=clock.now)

    assert (report.rows, report.bad, report.created) == (3, 2, 1)
    rejects = Path(report.rejects)
    assert rejects == path.with_name("data.rejects.csv")
    assert rejects.read_text().splitlines() == [
        "account,metric,value,observed_at",
        f"acme,qbr_score,four,{when(clock, 1)}",
        f'"hooli, inc",qbr_score,4,{when(clock, 1)}',
    ]
    assert Path(report.summary).read_text().splitlines() == [
        f"{path}:3: column 'value': 'four' is not a number",
        f"{path}:4: column 'account': unknown account 'hooli, inc'",
    ]
    assert Signal.objects.count() == 1


def test_skip_bad_on_a_clean_file_leaves_no_rejects(cast, clock, csv_file):
    path = csv_file(signals_csv(clock))

    report = import_file("signals", path, Options(skip_bad=True), now=clock.now)

    assert report.rejects is None
    assert not path.with_name("data.rejects.csv").exists()


def test_a_dry_run_says_what_would_happen_and_writes_nothing(cast, clock, csv_file):
    path = csv_file(signals_csv(clock))
    import_file("signals", csv_file(signals_csv(clock).splitlines()[0] + "\n"
                + signals_csv(clock).splitlines()[1] + "\n", "first.csv"),
                Options(), now=clock.now)  # fmt: skip
    scores = list(AccountScore.objects.values_list("account_id", "total"))

    report = import_file("signals", path, Options(dry_run=True), now=clock.now)

    assert (report.rows, report.created, report.duplicates) == (5, 4, 1)
    assert report.written is False
    assert Signal.objects.count() == 1
    assert list(AccountScore.objects.values_list("account_id", "total")) == scores


def test_batches_split_anywhere_store_every_row_once(cast, clock, csv_file):
    lines = [
        f"acme,weekly_active_users,{n},{when(clock, n / 10)}" for n in range(1, 12)
    ]
    lines.insert(5, lines[2])  # a repeat across batches
    path = csv_file("account,metric,value,observed_at\n" + "\n".join(lines) + "\n")

    report = import_file("signals", path, Options(batch_size=3), now=clock.now)

    assert (report.rows, report.created, report.duplicates) == (12, 11, 1)
    assert Signal.objects.count() == 11
    # The latest observation is the one of 0.1 days ago: 1 weekly active user.
    usage = next(
        c
        for c in AccountScore.objects.get(account=cast.acme).criteria
        if c["key"] == "usage"
    )
    assert usage["raw"] == 1


def test_a_file_changed_between_check_and_write_stops_the_import(
    cast, clock, csv_file, monkeypatch
):
    path = csv_file(signals_csv(clock))
    from scorecards.imports import service

    real_run = service._Importer.run

    def run_then_grow(self, table, *, write, progress, **more):
        real_run(self, table, write=write, progress=progress, **more)
        if not write:
            with path.open("a") as handle:
                handle.write(f"hooli,nps,1,{when(clock, 1)}\n")

    monkeypatch.setattr(service._Importer, "run", run_then_grow)

    with pytest.raises(ImportFailed, match="changed while it was imported"):
        import_file("signals", path, Options(), now=clock.now)


def test_an_account_removed_between_check_and_write_stops_the_import(
    cast, clock, csv_file, monkeypatch
):
    path = csv_file(signals_csv(clock))
    from scorecards.imports import service

    real_run = service._Importer.run

    def run_then_remove(self, table, *, write, progress, **more):
        real_run(self, table, write=write, progress=progress, **more)
        if not write:
            Account.objects.filter(key="globex").delete()

    monkeypatch.setattr(service._Importer, "run", run_then_remove)

    with pytest.raises(ImportFailed, match="changed while it was imported"):
        import_file("signals", path, Options(batch_size=2), now=clock.now)
    assert not Signal.objects.filter(account__key="globex").exists()


def test_accounts_are_created_and_updated_with_their_fields(
    clock, csv_file, scorecards
):
    Account.objects.create(key="acme", name="Old name", segment="smb")
    path = csv_file(
        "ACCOUNT,Name,Segment,CSM,ARR,Renewal_Date,Region\n"
        "acme,Acme Corp,strategic,csm-1,120000.50,2027-03-31,EMEA\n"
        "hooli,Hooli,smb,csm-2,,,\n"
    )

    report = import_file("accounts", path, Options(), now=clock.now)

    assert (report.rows, report.created, report.updated) == (2, 1, 1)
    acme = Account.objects.get(key="acme")
    assert (acme.name, acme.segment, acme.csm) == ("Acme Corp", "strategic", "csm-1")
    assert acme.arr == Decimal("120000.50")
    assert acme.renewal_date.isoformat() == "2027-03-31"
    assert acme.attributes == {"region": "EMEA"}
    assert acme.score.version.scorecard.key == "strategic"
    hooli = Account.objects.get(key="hooli")
    assert (hooli.arr, hooli.renewal_date, hooli.attributes) == (None, None, {})


def test_bad_account_rows_are_named_by_column(clock, csv_file, scorecards):
    path = csv_file(
        "account,name,arr,renewal_date\n"
        "acme,Acme,lots,2027-03-31\n"
        "globex,Globex,10,next spring\n"
        "acme,Acme again,1,2027-01-01\n"
        "a/b,Slash,1,2027-01-01\n"
    )

    report = import_file("accounts", path, Options(), now=clock.now)

    messages = [(p.line, p.column) for p in report.problems]
    assert messages == [(2, "arr"), (3, "renewal_date"), (5, "account")]
    assert not Account.objects.exists()


def test_an_account_listed_twice_is_refused_at_its_second_line(
    clock, csv_file, scorecards
):
    path = csv_file("account,name\nacme,Acme\nglobex,Globex\nacme,Acme again\n")

    report = import_file("accounts", path, Options(), now=clock.now)

    assert [str(p) for p in report.problems] == [
        f"{path}:4: column 'account': account 'acme' is listed twice (first on line 2)"
    ]


def test_contacts_are_imported_and_unknown_accounts_named(cast, clock, csv_file):
    path = csv_file(
        "account,contact,role,name,email\n"
        "acme,cfo,decision_maker,A. Person,cfo@example.com\n"
        "acme,ceo,executive_sponsor,,\n"
        "hooli,cto,champion,,\n"
        "globex,ops,user,,not-an-email\n"
    )

    refused = import_file("contacts", path, Options(), now=clock.now)
    assert [(p.line, p.column, p.message) for p in refused.problems] == [
        (4, "account", "unknown account 'hooli'"),
        (5, "email", "is not an email address"),
    ]
    assert not Contact.objects.filter(key="cfo").exists()

    report = import_file("contacts", path, Options(skip_bad=True), now=clock.now)
    assert (report.created, report.updated, report.bad) == (1, 1, 2)
    cfo = Contact.objects.get(key="cfo")
    assert (cfo.account.key, cfo.role, cfo.email) == (
        "acme",
        "decision_maker",
        "cfo@example.com",
    )


def test_a_file_that_is_not_utf8_is_named_at_its_line(cast, clock, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        b"account,metric,value,observed_at\n"
        b"acme,nps,9,2026-06-01T00:00:00Z\n"
        b"acme,caf\xe9,9,2026-06-01T00:00:00Z\n"
    )

    report = import_file("signals", path, Options(), now=clock.now)

    assert [str(p) for p in report.problems] == [f"{path}:3: is not UTF-8 text"]
    assert not Signal.objects.exists()
