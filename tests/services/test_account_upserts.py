"""Creating and updating accounts and contacts by key, and re-scoring what moved."""

from datetime import date
from decimal import Decimal

import pytest

from scorecards.accounts.models import Account, Contact
from scorecards.accounts.service import upsert_accounts, upsert_contacts
from scorecards.ingest.service import ItemError, RejectedBatch, ingest_signals
from scorecards.scoring.models import AccountScore

pytestmark = pytest.mark.django_db


def scorecard_of(account) -> str:
    return AccountScore.objects.get(account=account).version.scorecard.key


def test_fields_left_out_keep_their_value(cast, clock):
    upsert_accounts(
        [
            {
                "key": "globex",
                "arr": Decimal("120000.00"),
                "renewal_date": date(2027, 3, 1),
            }
        ],
        now=clock.now,
    )
    clock.days_later(1)

    result = upsert_accounts([{"key": "globex", "csm": "csm-3"}], now=clock.now)

    globex = Account.objects.get(key="globex")
    assert result == {"created": 0, "updated": 1}
    assert (globex.name, globex.segment, globex.csm) == ("Globex", "smb", "csm-3")
    assert (globex.arr, globex.renewal_date) == (Decimal("120000.00"), date(2027, 3, 1))
    assert globex.updated_at == clock.now


def test_a_new_segment_moves_the_account_to_the_other_scorecard(
    cast, signal, clock, assert_scored_as_engine
):
    ingest_signals(
        [signal("globex", "qbr_score", 4), signal("globex", "weekly_active_users", 40)],
        now=clock.now,
    )
    clock.days_later(1)

    upsert_accounts([{"key": "globex", "segment": "strategic"}], now=clock.now)

    assert scorecard_of(cast.globex) == "strategic"
    assert AccountScore.objects.get(account=cast.globex).total == pytest.approx(
        (2 * 75 + 40) / 3
    )
    assert_scored_as_engine(cast.globex, clock.now)


def test_a_change_made_in_the_same_instant_as_the_last_is_kept(cast, clock):
    upsert_accounts(
        [{"key": "hooli", "name": "Hooli", "segment": "smb"}], now=clock.now
    )

    result = upsert_accounts(
        [{"key": "hooli", "segment": "strategic"}, {"key": "globex", "csm": "csm-3"}],
        now=clock.now,
    )

    hooli = Account.objects.get(key="hooli")
    assert (hooli.segment, scorecard_of(hooli)) == ("strategic", "strategic")
    assert result == {"created": 0, "updated": 2}


def test_a_role_changed_in_the_same_instant_as_the_last_is_kept(cast, clock):
    upsert_contacts([{"account": "acme", "key": "cfo", "role": "user"}], now=clock.now)

    upsert_contacts(
        [{"account": "acme", "key": "cfo", "role": "decision_maker"}], now=clock.now
    )

    assert Contact.objects.get(key="cfo").role == "decision_maker"


def test_a_key_twice_in_one_batch_makes_one_account(cast, clock):
    result = upsert_accounts(
        [
            {"key": "hooli", "name": "Hooli", "segment": "smb"},
            {"key": "hooli", "csm": "csm-1"},
        ],
        now=clock.now,
    )

    hooli = Account.objects.get(key="hooli")
    assert (hooli.name, hooli.segment, hooli.csm) == ("Hooli", "smb", "csm-1")
    assert result == {"created": 1, "updated": 0}


def test_contacts_for_an_unknown_account_refuse_the_batch(cast, clock):
    batch = [
        {"account": "acme", "key": "cfo", "role": "decision_maker"},
        {"account": "hooli", "key": "gavin", "role": "executive_sponsor"},
        {"account": "globex", "key": "buyer", "role": "executive_sponsor"},
    ]

    with pytest.raises(RejectedBatch) as refused:
        upsert_contacts(batch, now=clock.now)

    assert refused.value.errors == [ItemError(1, "account", "unknown account 'hooli'")]
    assert not Contact.objects.filter(key__in=["cfo", "gavin"]).exists()
    assert Contact.objects.get(key="buyer").role == "champion"


def test_a_contacts_new_role_rescores_the_stakeholder_answers(
    cast, signal, clock, assert_scored_as_engine
):
    ingest_signals(
        [
            signal("acme", "stakeholder_rating", 1, contact="ceo"),
            signal("acme", "stakeholder_rating", 5, contact="ops"),
            signal("acme", "stakeholder_rating", 5, contact="intern"),
        ],
        now=clock.now,
    )
    # Weights 3:1:1; the sponsor's 0.6 is capped at 0.4 and the rest shared:
    # 0.4·1 + 0.3·5 + 0.3·5 = 3.4, which is 60.
    assert AccountScore.objects.get(account=cast.acme).total == pytest.approx(60.0)
    clock.days_later(1)

    upsert_contacts([{"account": "acme", "key": "ceo", "role": "user"}], now=clock.now)

    # Now three equal voices: (1 + 5 + 5) / 3 = 3.67, which is 66.67.
    assert AccountScore.objects.get(account=cast.acme).total == pytest.approx(200 / 3)
    assert_scored_as_engine(cast.acme, clock.now)
