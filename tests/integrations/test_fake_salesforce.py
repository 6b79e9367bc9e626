"""The fake Salesforce answers the real simple-salesforce client as Salesforce does.

Each test drives `simple_salesforce.Salesforce` itself, over TLS verified against the
fake's own certificate authority, so a connector tested against the fake is tested
against the client it will run with.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from simple_salesforce import (
    Salesforce,
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    format_soql,
)

from scorecards.testing.fake_salesforce import FakeSalesforce, SeenRequest

CUTOFF = "2026-11-30T10:00:00Z"

# Five accounts around CUTOFF. "Initech" is later than CUTOFF as text but earlier
# as an instant (11:30 at +02:00 is 09:30 UTC), so only a real time comparison
# leaves it out. "Hooli" sits exactly on CUTOFF: in for >=, out for >.
ACCOUNTS = [
    {
        "Id": "001000000000001AAA",
        "Name": "Acme",
        "Industry": "Manufacturing",
        "SystemModstamp": "2026-11-30T09:00:00.000+0000",
        "Owner": {"Id": "005000000000001AAA", "Email": "owner-one@example.com"},
    },
    {
        "Id": "001000000000002AAA",
        "Name": "Globex",
        "Industry": "Energy",
        "SystemModstamp": "2026-11-30T10:30:00.000+0000",
        "Owner": {"Id": "005000000000002AAA", "Email": "owner-two@example.com"},
    },
    {
        "Id": "001000000000003AAA",
        "Name": "Hooli",
        "Industry": None,
        "SystemModstamp": "2026-11-30T10:00:00.000+0000",
        "Owner": None,
    },
    {
        "Id": "001000000000004AAA",
        "Name": "Initech",
        "Industry": "Software",
        "SystemModstamp": "2026-11-30T11:30:00.000+0200",
        "Owner": {"Id": "005000000000001AAA", "Email": "owner-one@example.com"},
    },
    {
        "Id": "001000000000005AAA",
        "Name": "Umbrella",
        "Industry": "Pharmaceuticals",
        "SystemModstamp": "2026-12-01T08:00:00.000+0000",
        "Owner": {"Id": "005000000000002AAA", "Email": "owner-two@example.com"},
    },
]
CHANGED_AFTER_CUTOFF = {"001000000000002AAA", "001000000000005AAA"}


@pytest.fixture
def fake() -> Iterator[FakeSalesforce]:
    with FakeSalesforce(password="pass&<word>'\"") as server:
        server.add_records("Account", ACCOUNTS)
        yield server


def password_client(fake: FakeSalesforce) -> Salesforce:
    """Logs in as a connector configured with username, password and token does."""
    return Salesforce(
        username=fake.username,
        password=fake.password,
        security_token=fake.security_token,
        session=fake.http_session(),
    )


def session_client(fake: FakeSalesforce, session_id: str) -> Salesforce:
    """A client given a session it cannot renew, as with a stored access token."""
    return Salesforce(
        instance_url=fake.url, session_id=session_id, session=fake.http_session()
    )


def ids(records: list[dict[str, object]]) -> set[object]:
    return {record["Id"] for record in records}


def error_code(error: pytest.ExceptionInfo[Exception]) -> str:
    content = getattr(error.value, "content", None)
    assert isinstance(content, list), content
    return str(content[0]["errorCode"])


# --- Logging in --------------------------------------------------------------------


def test_password_login_goes_through_soap_and_points_the_client_at_the_fake(
    fake: FakeSalesforce,
) -> None:
    client = password_client(fake)

    port = fake.url.rsplit(":", 1)[1]
    assert client.sf_instance == f"127.0.0.1:{port}"
    assert client.session_id.startswith("00D")
    assert fake.requests == [
        SeenRequest("POST", f"/services/Soap/u/{client.sf_version}", {})
    ]
    # The session it was given opens the data API.
    assert client.query("SELECT Id FROM Account")["totalSize"] == len(ACCOUNTS)


def test_a_wrong_password_raises_authentication_failed(fake: FakeSalesforce) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as error:
        Salesforce(
            username=fake.username,
            password="not-the-password",
            security_token=fake.security_token,
            session=fake.http_session(),
        )

    assert error.value.code == "INVALID_LOGIN"
    assert "Invalid username, password, security token" in error.value.auth_message


def test_a_wrong_security_token_raises_authentication_failed(
    fake: FakeSalesforce,
) -> None:
    with pytest.raises(SalesforceAuthenticationFailed):
        Salesforce(
            username=fake.username,
            password=fake.password,
            security_token="stale-token",
            session=fake.http_session(),
        )


def test_client_credentials_flow_gets_a_token_and_the_instance_url(
    fake: FakeSalesforce,
) -> None:
    # simple-salesforce sends this flow only to a My Domain, never to login.
    client = Salesforce(
        consumer_key=fake.client_id,
        consumer_secret=fake.client_secret,
        domain="example-org.my",
        session=fake.http_session(),
    )

    assert fake.requests[0] == SeenRequest("POST", "/services/oauth2/token", {})
    assert client.sf_instance == fake.url.removeprefix("https://")
    assert client.query("SELECT Id FROM Account")["totalSize"] == len(ACCOUNTS)


def test_client_credentials_with_a_wrong_secret_raise_authentication_failed(
    fake: FakeSalesforce,
) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as error:
        Salesforce(
            consumer_key=fake.client_id,
            consumer_secret="not-the-secret",
            domain="example-org.my",
            session=fake.http_session(),
        )

    assert error.value.code == "invalid_client"


def test_tls_is_verified_so_a_client_without_the_fake_authority_is_refused(
    fake: FakeSalesforce,
) -> None:
    session = requests.Session()
    session.trust_env = False  # the public bundle only, whatever the environment
    with pytest.raises(requests.exceptions.SSLError):
        session.get(f"{fake.url}/services/data/v59.0/query", timeout=10)


# --- Queries -----------------------------------------------------------------------


def test_query_all_follows_next_records_url_and_returns_exactly_the_matches(
    fake: FakeSalesforce,
) -> None:
    fake.page_size = 1
    client = password_client(fake)

    result = client.query_all(
        f"SELECT Id, Name FROM Account WHERE SystemModstamp > {CUTOFF}"
    )

    assert ids(result["records"]) == CHANGED_AFTER_CUTOFF
    assert result["totalSize"] == len(CHANGED_AFTER_CUTOFF)
    data_paths = [seen.path for seen in fake.requests if "/data/" in seen.path]
    assert data_paths[0] == f"/services/data/v{client.sf_version}/query/"
    assert len(data_paths) == len(CHANGED_AFTER_CUTOFF)
    assert data_paths[1].startswith(f"/services/data/v{client.sf_version}/query/01g")


def test_query_returns_one_page_with_a_next_records_url(fake: FakeSalesforce) -> None:
    fake.page_size = 2
    client = password_client(fake)

    first = client.query("SELECT Id, Name FROM Account ORDER BY Name")

    assert first["totalSize"] == len(ACCOUNTS)
    assert first["done"] is False
    assert [record["Name"] for record in first["records"]] == ["Acme", "Globex"]
    following = client.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert [record["Name"] for record in following["records"]] == ["Hooli", "Initech"]
    last = client.query_more(following["nextRecordsUrl"], identifier_is_url=True)
    assert [record["Name"] for record in last["records"]] == ["Umbrella"]
    assert last["done"] is True
    assert "nextRecordsUrl" not in last


def test_greater_or_equal_keeps_the_record_stamped_at_the_cutoff(
    fake: FakeSalesforce,
) -> None:
    client = password_client(fake)

    result = client.query_all(
        f"SELECT Id FROM Account WHERE SystemModstamp >= {CUTOFF}"
    )

    assert ids(result["records"]) == CHANGED_AFTER_CUTOFF | {"001000000000003AAA"}


def test_a_cutoff_built_with_format_soql_filters_the_same_way(
    fake: FakeSalesforce,
) -> None:
    client = password_client(fake)
    cutoff = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)

    result = client.query_all(
        format_soql("SELECT Id FROM Account WHERE SystemModstamp > {}", cutoff)
    )

    assert ids(result["records"]) == CHANGED_AFTER_CUTOFF


def test_only_the_selected_fields_come_back_with_attributes(
    fake: FakeSalesforce,
) -> None:
    client = password_client(fake)

    record = client.query("SELECT Id, Name FROM Account LIMIT 1")["records"][0]

    assert set(record) == {"attributes", "Id", "Name"}
    assert record["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v{client.sf_version}/sobjects/Account/{record['Id']}",
    }


def test_relationship_fields_come_back_nested(fake: FakeSalesforce) -> None:
    client = password_client(fake)

    records = client.query_all(
        "SELECT Id, Owner.Email FROM Account WHERE Name = 'Acme'"
    )["records"]
    absent = client.query_all(
        "SELECT Id, Owner.Email FROM Account WHERE Name = 'Hooli'"
    )["records"]

    assert records[0]["Owner"] == {
        "attributes": {
            "type": "User",
            "url": f"/services/data/v{client.sf_version}/sobjects/User/"
            "005000000000001AAA",
        },
        "Email": "owner-one@example.com",
    }
    assert absent[0]["Owner"] is None


def test_simple_conditions_order_and_limit(fake: FakeSalesforce) -> None:
    client = password_client(fake)

    def names(soql: str) -> list[str]:
        return [record["Name"] for record in client.query_all(soql)["records"]]

    # Text compares without regard to case, as in SOQL.
    assert names("SELECT Name FROM Account WHERE Name = 'ACME'") == ["Acme"]
    assert names(
        "SELECT Name FROM Account WHERE Industry != null AND "
        "Owner.Email = 'owner-two@example.com' ORDER BY Name DESC"
    ) == ["Umbrella", "Globex"]
    assert names(
        "SELECT Name FROM Account WHERE Name IN ('Hooli', 'Initech') ORDER BY Name"
    ) == ["Hooli", "Initech"]
    # Nulls sort first by default, and LIMIT cuts after sorting.
    assert names("SELECT Name FROM Account ORDER BY Industry LIMIT 2") == [
        "Hooli",
        "Globex",
    ]
    assert names("SELECT Name FROM Account ORDER BY SystemModstamp DESC LIMIT 1") == [
        "Umbrella"
    ]


def test_query_all_includes_deleted_records_and_query_does_not() -> None:
    with FakeSalesforce() as fake:
        fake.add_records(
            "Contact",
            [
                {"Id": "003000000000001AAA", "Email": "kept@example.com"},
                {"Id": "003000000000002AAA", "IsDeleted": True},
            ],
        )
        client = password_client(fake)

        assert client.query("SELECT Id FROM Contact")["totalSize"] == 1
        assert (
            client.query("SELECT Id FROM Contact", include_deleted=True)["totalSize"]
            == 2
        )


def test_an_object_with_declared_fields_and_no_records_answers_empty() -> None:
    with FakeSalesforce() as fake:
        fake.add_records("Opportunity", [], fields=["Amount", "Owner.Email"])
        client = password_client(fake)

        result = client.query_all("SELECT Id, Amount, Owner.Email FROM Opportunity")

    assert result == {"records": [], "totalSize": 0, "done": True}


# --- Errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Id FROM Acount", "INVALID_TYPE"),
        ("SELECT Id, Nmae FROM Account", "INVALID_FIELD"),
        ("SELECT Id, Manager.Email FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Account WHERE SystemModstamp > '2026-11-30'", "INVALID_FIELD"),
        ("SELECT Id FROM Account WHERE Name = 42", "INVALID_FIELD"),
        (
            "SELECT Id FROM Account WHERE SystemModstamp > 2026-11-30T10:00:00",
            "MALFORMED_QUERY",
        ),
        ("SELECT Id, Id FROM Account", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE Name = 'a' OR Name = 'b'", "MALFORMED_QUERY"),
        ("SELECT COUNT() FROM Account", "MALFORMED_QUERY"),
        ("SELEKT Id FROM Account", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account LIMIT", "MALFORMED_QUERY"),
    ],
)
def test_bad_soql_raises_malformed_request_with_salesforce_error_code(
    fake: FakeSalesforce, soql: str, code: str
) -> None:
    client = password_client(fake)

    with pytest.raises(SalesforceMalformedRequest) as error:
        client.query(soql)

    assert error.value.status == 400
    assert error_code(error) == code


def test_an_unknown_query_locator_is_refused(fake: FakeSalesforce) -> None:
    client = password_client(fake)

    with pytest.raises(SalesforceMalformedRequest) as error:
        client.query_more("01gFAKE00000000000-2")

    assert error_code(error) == "INVALID_QUERY_LOCATOR"


@pytest.mark.parametrize(
    ("status", "code", "exception"),
    [
        (503, "SERVER_UNAVAILABLE", SalesforceGeneralError),
        (500, "UNKNOWN_EXCEPTION", SalesforceGeneralError),
        (400, "INVALID_FIELD", SalesforceMalformedRequest),
    ],
)
def test_fail_next_raises_the_clients_matching_error_once(
    fake: FakeSalesforce, status: int, code: str, exception: type[Exception]
) -> None:
    client = password_client(fake)
    fake.fail_next(status=status, body=[{"message": "injected", "errorCode": code}])

    with pytest.raises(exception) as error:
        client.query("SELECT Id FROM Account")

    assert getattr(error.value, "status", None) == status
    assert error_code(error) == code
    # Only the next call fails.
    assert client.query("SELECT Id FROM Account")["totalSize"] == len(ACCOUNTS)


def test_fail_next_fails_a_page_in_the_middle_of_query_all(
    fake: FakeSalesforce,
) -> None:
    fake.page_size = 2
    client = password_client(fake)
    first = client.query("SELECT Id FROM Account")
    fake.fail_next(
        status=503, body=[{"message": "down", "errorCode": "SERVER_UNAVAILABLE"}]
    )

    with pytest.raises(SalesforceGeneralError):
        client.query_more(first["nextRecordsUrl"], identifier_is_url=True)


def test_an_invalid_session_raises_expired_session_for_a_client_that_cannot_renew(
    fake: FakeSalesforce,
) -> None:
    client = session_client(fake, "00D000000000001AAA!not-a-session")

    with pytest.raises(SalesforceExpiredSession) as error:
        client.query("SELECT Id FROM Account")

    assert error_code(error) == "INVALID_SESSION_ID"
    assert error.value.content == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_an_issued_session_id_opens_the_data_api(fake: FakeSalesforce) -> None:
    client = session_client(fake, fake.issue_session_id())

    assert client.query("SELECT Id FROM Account")["totalSize"] == len(ACCOUNTS)


def test_an_injected_401_raises_expired_session(fake: FakeSalesforce) -> None:
    client = session_client(fake, fake.issue_session_id())
    fake.fail_next(
        status=401,
        body=[
            {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
        ],
    )

    with pytest.raises(SalesforceExpiredSession):
        client.query("SELECT Id FROM Account")


def test_a_password_client_logs_in_again_when_its_session_expires(
    fake: FakeSalesforce,
) -> None:
    client = password_client(fake)
    fake.expire_sessions()

    result = client.query("SELECT Id FROM Account")

    assert result["totalSize"] == len(ACCOUNTS)
    logins = [seen for seen in fake.requests if seen.path.startswith("/services/Soap")]
    assert len(logins) == 2


def test_a_password_client_gives_up_after_four_expired_sessions(
    fake: FakeSalesforce,
) -> None:
    client = password_client(fake)
    expired = [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    for _ in range(4):
        fake.fail_next(status=401, body=expired)

    with pytest.raises(SalesforceExpiredSession):
        client.query("SELECT Id FROM Account")

    logins = [seen for seen in fake.requests if seen.path.startswith("/services/Soap")]
    assert len(logins) == 1 + 4
