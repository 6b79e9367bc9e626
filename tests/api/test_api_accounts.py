"""Accounts and contacts in by batch; the book and one account out."""

from datetime import timedelta

import pytest

from scorecards.accounts.models import Account, Contact
from scorecards.scoring.models import AccountTrend

pytestmark = pytest.mark.usefixtures("cast")

ACCOUNT_FIELDS = {
    "account", "scorecard", "score", "grade", "coverage", "status", "overridden",
    "name", "segment", "tier", "csm", "arr", "renewal_date", "attributes",
    "version", "scored_at", "delta_30", "direction",
}  # fmt: skip


@pytest.fixture
def scored(integrator, signal):
    """acme 63.3 (watch), globex 75 (healthy), initech without a score."""
    integrator.post(
        "/signals",
        {
            "signals": [
                signal("acme", "qbr_score", 4, days_ago=3),
                signal("acme", "weekly_active_users", 40, days_ago=1),
                signal("globex", "nps", 9, days_ago=2, contact="buyer"),
                signal("globex", "weekly_active_users", 50, days_ago=1),
            ]
        },
    )


@pytest.mark.django_db
def test_accounts_are_created_and_updated_by_key(integrator):
    response = integrator.post(
        "/accounts",
        {
            "accounts": [
                {"key": "umbrella", "name": "Umbrella", "segment": "enterprise",
                 "tier": "tier-1", "csm": "csm-3", "arr": 120000.5,
                 "renewal_date": "2027-03-31", "attributes": {"region": "emea"}},
                {"key": "acme", "csm": "csm-3"},
            ]
        },
    )  # fmt: skip

    assert response.status_code == 200
    assert response.json() == {"created": 1, "updated": 1}
    umbrella = integrator.get("/accounts/umbrella").json()
    assert {k: umbrella[k] for k in ("name", "segment", "tier", "csm", "arr")} == {
        "name": "Umbrella",
        "segment": "enterprise",
        "tier": "tier-1",
        "csm": "csm-3",
        "arr": 120000.5,
    }
    assert umbrella["renewal_date"] == "2027-03-31"
    assert umbrella["attributes"] == {"region": "emea"}
    acme = Account.objects.get(key="acme")
    assert (acme.csm, acme.name, acme.segment) == ("csm-3", "Acme Corp", "strategic")


@pytest.mark.django_db
def test_null_clears_a_field_and_a_field_left_out_keeps_its_value(
    integrator, now, time_machine
):
    integrator.post(
        "/accounts",
        {"accounts": [{"key": "acme", "arr": 5000, "attributes": {"region": "amer"}}]},
    )
    time_machine.move_to(now + timedelta(minutes=1), tick=False)

    integrator.post(
        "/accounts", {"accounts": [{"key": "acme", "csm": None, "attributes": None}]}
    )

    acme = Account.objects.get(key="acme")
    assert (acme.csm, acme.attributes, acme.arr) == ("", {}, 5000)


@pytest.mark.django_db
def test_a_new_segment_means_a_new_scorecard_at_once(integrator, scored):
    assert integrator.get("/accounts/globex").json()["scorecard"] == "default"

    integrator.post(
        "/accounts", {"accounts": [{"key": "globex", "segment": "strategic"}]}
    )

    assert integrator.get("/accounts/globex").json()["scorecard"] == "strategic"


@pytest.mark.django_db
def test_a_bad_account_batch_names_every_problem_and_stores_nothing(integrator):
    response = integrator.post(
        "/accounts",
        {
            "accounts": [
                {"key": "ok"},
                {"key": "north/south"},
                {"key": "neg", "arr": -1},
                {"key": "cents", "arr": 10.123},
                {"key": "soon", "renewal_date": "soon"},
                {"key": "nested", "attributes": {"owner": {"name": "csm-3"}}},
                {"key": "typo", "segmnet": "smb"},
                {"name": "no key"},
            ]
        },
    )

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [
        (1, "key"),
        (2, "arr"),
        (3, "arr"),
        (4, "renewal_date"),
        (5, "attributes.owner"),
        (6, "segmnet"),
        (7, "key"),
    ]
    assert errors[4]["message"] == "must be text, a number, true, false or null"
    assert errors[-2]["message"] == "is not a known field"
    assert errors[-1]["message"] == "is required"
    assert Account.objects.count() == 3


@pytest.mark.django_db
def test_contacts_are_upserted_under_their_accounts(integrator):
    response = integrator.post(
        "/contacts",
        {
            "contacts": [
                {"account": "acme", "key": "cfo", "role": "decision_maker",
                 "name": "Pat", "email": "pat@acme.example"},
                {"account": "acme", "key": "ops", "role": "user"},
            ]
        },
    )  # fmt: skip

    assert response.json() == {"created": 1, "updated": 1}
    roles = dict(Contact.objects.filter(account__key="acme").values_list("key", "role"))
    assert roles == {"ceo": "executive_sponsor", "cfo": "decision_maker", "ops": "user"}


@pytest.mark.django_db
def test_a_bad_contact_batch_names_every_problem_and_stores_nothing(integrator):
    response = integrator.post(
        "/contacts",
        {
            "contacts": [
                {"account": "acme", "key": "cfo"},
                {"account": "umbrella", "key": "ceo"},
                {"account": "acme", "key": "cmo", "email": "not an address"},
                {"account": "hooli", "key": "ceo", "phone": "555"},
            ]
        },
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"index": 1, "field": "account", "message": "unknown account 'umbrella'"},
        {"index": 2, "field": "email", "message": "is not an email address"},
        {"index": 3, "field": "phone", "message": "is not a known field"},
    ]
    assert Contact.objects.count() == 3


@pytest.mark.django_db
def test_one_account_reads_like_the_offline_command_plus_its_fields(integrator, scored):
    response = integrator.get("/accounts/acme")

    assert response.status_code == 200
    acme = response.json()
    assert set(acme) == ACCOUNT_FIELDS | {"criteria"}
    assert acme["account"] == "acme"
    assert acme["scorecard"] == "strategic"
    assert acme["version"] == 1
    assert acme["status"] == "scored"
    assert acme["score"] == pytest.approx((2 * 75 + 40) / 3)
    assert acme["coverage"] == pytest.approx(3 / 4)
    assert acme["scored_at"] == "2026-06-15T12:00:00Z"
    qbr, stakeholders, usage = acme["criteria"]
    assert qbr == {
        "key": "qbr", "path": "qbr", "raw": 4.0, "score": 75.0, "weight": 2,
        "share": pytest.approx(2 / 3), "contribution": pytest.approx(50), "count": 1,
        "latest_at": "2026-06-12T12:00:00Z", "stale": False, "missing": False,
        "filled": False, "overridden": False,
    }  # fmt: skip
    assert stakeholders["missing"] is True
    assert stakeholders["score"] is None
    assert usage["contribution"] == pytest.approx(40 / 3)


@pytest.mark.django_db
def test_an_account_without_data_says_why_it_has_no_score(integrator):
    initech = integrator.get("/accounts/initech").json()

    assert initech["status"] == "insufficient_data"
    assert initech["score"] is None
    assert initech["grade"] is None


@pytest.mark.django_db
def test_an_unknown_account_is_a_404(integrator):
    response = integrator.get("/accounts/umbrella")

    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "no account 'umbrella'"}]}


def keys(response):
    return [account["account"] for account in response.json()["accounts"]]


@pytest.mark.django_db
def test_the_book_lists_worst_first_with_unscored_accounts_last(integrator, scored):
    response = integrator.get("/accounts")

    assert response.status_code == 200
    assert keys(response) == ["acme", "globex", "initech"]
    assert response.json()["total"] == 3
    assert keys(integrator.get("/accounts", sort="-score")) == [
        "globex",
        "acme",
        "initech",
    ]
    assert keys(integrator.get("/accounts", sort="-name")) == [
        "initech",
        "globex",
        "acme",
    ]
    assert set(response.json()["accounts"][0]) == ACCOUNT_FIELDS


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"segment": "smb"}, ["globex", "initech"]),
        ({"segment": ["smb", "strategic"]}, ["acme", "globex", "initech"]),
        ({"csm": "csm-1"}, ["acme"]),
        ({"grade": "healthy"}, ["globex"]),
        ({"grade": ["healthy", "watch"]}, ["acme", "globex"]),
        ({"status": "insufficient_data"}, ["initech"]),
        ({"min_score": 70}, ["globex"]),
        ({"max_score": 70}, ["acme"]),
        ({"min_score": 60, "max_score": 80, "segment": "smb"}, ["globex"]),
        ({"status": "unscored"}, []),
    ],
)
@pytest.mark.django_db
def test_the_book_filters(integrator, scored, filters, expected):
    assert keys(integrator.get("/accounts", **filters)) == expected


@pytest.mark.django_db
def test_the_book_pages_with_a_total_on_every_page(integrator, scored):
    first = integrator.get("/accounts", limit=2).json()
    second = integrator.get("/accounts", limit=2, offset=2).json()

    assert [a["account"] for a in first["accounts"]] == ["acme", "globex"]
    assert [a["account"] for a in second["accounts"]] == ["initech"]
    assert (first["total"], second["total"]) == (3, 3)
    assert (second["limit"], second["offset"]) == (2, 2)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "mood"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 5000}, "limit"),
        ({"offset": -1}, "offset"),
        ({"min_score": "nan"}, "min_score"),
        ({"status": "happy"}, "status"),
    ],
)
@pytest.mark.django_db
def test_a_bad_filter_is_a_422_naming_it(integrator, params, field):
    response = integrator.get("/accounts", **params)

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (None, field)


def test_an_offset_past_any_portfolio_is_refused(integrator, cast):
    response = integrator.get("/accounts", offset=10**20)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "offset"


def test_the_book_filters_and_sorts_on_the_30_day_trend(integrator, now):
    for key, delta, direction in (("acme", -12.0, "declining"),
                                  ("globex", 7.5, "improving"),
                                  ("initech", 1.0, "stable")):  # fmt: skip
        AccountTrend.objects.filter(account__key=key).update(
            delta_30=delta, direction=direction, computed_at=now
        )

    declining = integrator.get("/accounts", direction="declining").json()
    by_delta = integrator.get("/accounts", sort="delta_30").json()

    assert [a["account"] for a in declining["accounts"]] == ["acme"]
    assert declining["accounts"][0]["delta_30"] == -12.0
    assert [a["account"] for a in by_delta["accounts"]] == ["acme", "initech", "globex"]
