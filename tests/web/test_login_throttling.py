"""Repeated failed passwords: after five, a username is locked from that address
for the cool-off, whatever is typed next; a sign-in that works starts the count
afresh; the API's tokens are never affected.

The cast: csm-01, who forgets their password, and a teammate csm-02 at the same
office address.
"""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from scorecards.accounts.service import upsert_accounts
from scorecards.api.tokens import create_token
from scorecards.people.service import add_person

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-password-csm-01-remembers"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OFFICE = "203.0.113.7"
ELSEWHERE = "198.51.100.20"


@pytest.fixture(autouse=True)
def cast(time_machine):
    time_machine.move_to(NOW, tick=False)
    add_person("csm-01", role="csm", password=PASSWORD)
    add_person("csm-02", role="csm", password=PASSWORD)


def sign_in(password: str, *, username: str = "csm-01", client=None, **headers):
    client = client or Client(REMOTE_ADDR=OFFICE)
    return client.post(
        "/login/", {"username": username, "password": password}, **headers
    )


def fail(times: int, **kwargs) -> None:
    for _ in range(times):
        response = sign_in("not-the-password", **kwargs)
        assert response.status_code == 200


def signed_in(response) -> bool:
    return (
        response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session
    )


def test_a_wrong_password_says_so_and_lets_them_try_again():
    response = sign_in("not-the-password")

    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    assert signed_in(sign_in(PASSWORD))


def test_the_fifth_wrong_password_locks_them_out_even_with_the_right_one():
    fail(4)

    fifth = sign_in("not-the-password")
    right = sign_in(PASSWORD)

    assert fifth.status_code == 429
    assert right.status_code == 429
    assert not signed_in(right)
    page = right.content.decode()
    assert "Try again later" in page
    assert "paused for 15 minutes" in page
    assert "web/scorecards.css" in page  # the app's own page, not the library's
    assert right["Retry-After"] == str(15 * 60)


def test_the_lock_lifts_when_the_cool_off_has_passed(time_machine):
    fail(4)
    assert sign_in("not-the-password").status_code == 429

    time_machine.move_to(NOW + timedelta(minutes=14), tick=False)
    still_locked = sign_in(PASSWORD)
    time_machine.move_to(NOW + timedelta(minutes=15, seconds=1), tick=False)
    after = sign_in(PASSWORD)

    assert still_locked.status_code == 429
    assert signed_in(after)


def test_trying_during_the_lock_does_not_make_it_longer(time_machine):
    fail(5 - 1)
    sign_in("not-the-password")

    time_machine.move_to(NOW + timedelta(minutes=10), tick=False)
    assert sign_in("another-guess").status_code == 429
    time_machine.move_to(NOW + timedelta(minutes=15, seconds=1), tick=False)

    assert signed_in(sign_in(PASSWORD))


def test_a_sign_in_that_works_starts_the_count_afresh():
    fail(4)
    assert signed_in(sign_in(PASSWORD))

    fail(4)

    assert signed_in(sign_in(PASSWORD))


def test_the_lock_is_for_that_username_from_that_address():
    fail(5 - 1)
    sign_in("not-the-password")

    teammate = sign_in(PASSWORD, username="csm-02")
    from_home = sign_in(PASSWORD, client=Client(REMOTE_ADDR=ELSEWHERE))

    assert signed_in(teammate)
    assert signed_in(from_home)


def test_the_limit_and_cool_off_are_settings(settings, time_machine):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)

    fail(1)
    locked = sign_in("not-the-password")
    time_machine.move_to(NOW + timedelta(minutes=1, seconds=1), tick=False)

    assert locked.status_code == 429
    assert "paused for 1 minute." in " ".join(locked.content.decode().split())
    assert signed_in(sign_in(PASSWORD))


def test_a_lockout_is_logged_as_a_warning_without_the_password(caplog):
    caplog.set_level(logging.INFO)
    fail(4)

    sign_in("hunter2-guess")

    ours = [r for r in caplog.records if r.name == "scorecards.web.signin"]
    assert [(r.levelno, r.getMessage()) for r in ours] == [
        (
            logging.WARNING,
            f"sign-in locked for csm-01 from {OFFICE} after 5 failed passwords",
        )
    ]
    assert "hunter2" not in caplog.text
    assert "not-the-password" not in caplog.text


def test_the_api_answers_a_token_from_a_locked_out_address():
    upsert_accounts([{"key": "acme"}], now=NOW)
    _, secret = create_token(name="crm-sync", now=NOW)
    fail(5 - 1)
    sign_in("not-the-password")

    response = Client(REMOTE_ADDR=OFFICE).get(
        "/api/v1/accounts/acme", headers={"Authorization": f"Bearer {secret}"}
    )

    assert response.status_code == 200
    assert response.json()["account"] == "acme"


def test_x_forwarded_for_is_ignored_unless_the_operator_trusts_it():
    fail(5 - 1, HTTP_X_FORWARDED_FOR=ELSEWHERE)
    sign_in("not-the-password", HTTP_X_FORWARDED_FOR="192.0.2.1")

    # Each try claimed a different address; all came from the office.
    claiming_another = sign_in(PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99")

    assert claiming_another.status_code == 429


def test_behind_a_trusted_proxy_the_address_it_saw_is_counted(settings):
    settings.TRUST_X_FORWARDED_FOR = True
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    # The proxy appends the address it saw; the client made up the first one.
    for made_up in range(5):
        sign_in(
            "not-the-password",
            client=proxy,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{made_up}, {OFFICE}",
        )

    from_the_office = sign_in(PASSWORD, client=proxy, HTTP_X_FORWARDED_FOR=OFFICE)
    from_home = sign_in(PASSWORD, client=proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE)

    assert from_the_office.status_code == 429
    assert signed_in(from_home)
