"""A local stand-in for Salesforce's login and query APIs, for connector tests.

`FakeSalesforce` serves HTTPS on 127.0.0.1 (a random free port) with a certificate
from a throwaway authority made by trustme, so a real client, simple-salesforce
included, talks to it with TLS verified. It answers the calls a read-only connector
makes, in the shapes Salesforce documents:

- SOAP `login()` at /services/Soap/u/{version} (SOAP API Developer Guide: the
  LoginResult with sessionId and serverUrl; a LoginFault with INVALID_LOGIN and
  status 500 on bad credentials). simple-salesforce logs in this way with a
  username, a password and a security token.
- The OAuth 2.0 token endpoint at /services/oauth2/token, client-credentials flow
  (REST API Developer Guide: access_token, instance_url, id, token_type, issued_at,
  signature; `invalid_client` with status 400 on bad credentials).
- REST query, queryAll and "query more results" under /services/data/v{version}/
  (totalSize, done, nextRecordsUrl and records carrying `attributes`), with errors
  as a JSON list of {message, errorCode} and the documented status codes.

The responses are written from those descriptions, not copied from recorded traffic.
Only a small part of SOQL is understood, the part our connectors send:

    SELECT f1, Rel.Field FROM Object
    [WHERE cond [AND cond ...]] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...]
    [LIMIT n]

where a condition is `field op value` (op one of = != <> < <= > >=, value a quoted
string, a number, true/false, null, a date or a datetime with its zone) or
`field [NOT] IN (value, ...)`. Anything else answers MALFORMED_QUERY, saying it is
this fake that does not understand it. Objects and fields are known from the records
given to `add_records` (and its `fields` argument): an unknown one answers
INVALID_TYPE or INVALID_FIELD as Salesforce would.

Usage:

    with FakeSalesforce() as fake:
        fake.add_records("Account", [{"Id": "001000000000001AAA", "Name": "Acme"}])
        client = Salesforce(
            username=fake.username,
            password=fake.password,
            security_token=fake.security_token,
            session=fake.http_session(),
        )
        client.query_all("SELECT Id, Name FROM Account")
"""

import base64
import copy
import hashlib
import hmac
import json
import operator
import re
import secrets
import ssl
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socket import socket
from types import TracebackType
from typing import Any, NamedTuple, Self
from urllib.parse import parse_qsl, urlsplit, urlunsplit
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import requests
import trustme
from requests.adapters import HTTPAdapter

__all__ = ["FakeSalesforce", "SeenRequest"]

ORGANIZATION_ID = "00D000000000001AAA"
USER_ID = "005000000000001AAA"

# Salesforce sends at most 2,000 records a batch unless asked for fewer.
DEFAULT_PAGE_SIZE = 2000

PARTNER_NAMESPACE = "urn:partner.soap.sforce.com"
SOAP_LOGIN_PATH = re.compile(r"^/services/Soap/u/(?P<version>\d+\.\d+)/?$")
QUERY_PATH = re.compile(
    r"^/services/data/v(?P<version>\d+\.\d+)/(?P<resource>query|queryAll)"
    r"(?:/(?P<locator>[^/]*))?/?$"
)
QUERY_LOCATOR = re.compile(r"^(?P<cursor>01g[0-9A-Za-z]+)-(?P<offset>\d+)$")
DATETIME_TEXT = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$"
)
DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Lookups whose target Salesforce names differently from the relationship. A nested
# record may also say its own type, as {"attributes": {"type": "User"}, ...}.
RELATED_TYPES = {"Owner": "User", "CreatedBy": "User", "LastModifiedBy": "User"}


class SeenRequest(NamedTuple):
    """One request the fake answered, for tests to assert on."""

    method: str
    path: str
    query: dict[str, str]


class ApiError(Exception):
    """An error answer: a REST error body, or an OAuth error when `oauth` is set."""

    def __init__(
        self, status: int, error_code: str, message: str, *, oauth: bool = False
    ) -> None:
        super().__init__(f"{error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.oauth = oauth

    def body(self) -> Any:
        if self.oauth:
            return {"error": self.error_code, "error_description": self.message}
        return [{"message": self.message, "errorCode": self.error_code}]


def malformed(message: str) -> ApiError:
    return ApiError(400, "MALFORMED_QUERY", message)


def invalid_field(message: str) -> ApiError:
    return ApiError(400, "INVALID_FIELD", message)


@dataclass
class Reply:
    """What the HTTP handler sends back."""

    status: int
    body: bytes
    content_type: str = "application/json;charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(
    status: int, payload: Any, headers: dict[str, str] | None = None
) -> Reply:
    return Reply(status, json.dumps(payload).encode(), headers=headers or {})


# --- SOQL --------------------------------------------------------------------------

TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<operator><=|>=|!=|<>|=|<|>)
    | (?P<punctuation>[,()])
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)
KEYWORDS = frozenset(
    {
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "ORDER", "BY",
        "ASC", "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET",
        "NULL", "TRUE", "FALSE",
    }
)  # fmt: skip
STRING_ESCAPES = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
}
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class Token(NamedTuple):
    kind: str
    text: str


class Literal(NamedTuple):
    """A value written in SOQL; `kind` is string, number, boolean, date, datetime
    or null, and decides how a stored value is compared with it."""

    kind: str
    value: Any


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class OrderKey:
    field: str
    descending: bool
    nulls_first: bool


@dataclass(frozen=True)
class Query:
    sobject: str
    fields: tuple[str, ...]
    conditions: tuple[Condition, ...]
    order_by: tuple[OrderKey, ...]
    limit: int | None


def parse_datetime(text: str) -> datetime | None:
    """A Salesforce datetime ('2026-11-30T10:00:00.000+0000', or SOQL's '...Z'), or
    None when the text is not one; always aware, so instants compare correctly."""
    if not DATETIME_TEXT.match(text):
        return None
    return datetime.fromisoformat(text)


def tokenize(soql: str) -> list[Token]:
    tokens = []
    position = 0
    while position < len(soql):
        match = TOKEN.match(soql, position)
        if match is None:
            raise malformed(
                f"unexpected text at character {position}: {soql[position:]!r}"
            )
        position = match.end()
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group()))
    return tokens


def unquote(text: str) -> str:
    """The value of a quoted SOQL string, undoing the escapes SOQL documents."""
    inner = text[1:-1]
    value = []
    index = 0
    while index < len(inner):
        char = inner[index]
        if char == "\\":
            escaped = inner[index + 1]
            if escaped not in STRING_ESCAPES:
                raise malformed(f"invalid escape sequence in string: \\{escaped}")
            value.append(STRING_ESCAPES[escaped])
            index += 2
        else:
            value.append(char)
            index += 1
    return "".join(value)


class SoqlParser:
    """Reads the SOQL subset described in the module docstring into a Query."""

    def __init__(self, soql: str) -> None:
        self.tokens = tokenize(soql)
        self.position = 0

    def parse(self) -> Query:
        self.expect_keyword("SELECT")
        fields = self.field_list()
        self.expect_keyword("FROM")
        sobject = self.expect_name("an object name after FROM")
        conditions = self.where() if self.accept_keyword("WHERE") else ()
        order_by = self.order_by() if self.accept_keyword("ORDER") else ()
        limit = self.limit() if self.accept_keyword("LIMIT") else None
        if self.peek() is not None:
            raise self.unsupported("unexpected token")
        return Query(sobject, fields, conditions, order_by, limit)

    def peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise malformed("unexpected end of query")
        self.position += 1
        return token

    def accept_keyword(self, keyword: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "name" and token.text.upper() == keyword:
            self.position += 1
            return True
        return False

    def expect_keyword(self, keyword: str) -> None:
        if not self.accept_keyword(keyword):
            raise self.unsupported(f"expected {keyword}")

    def expect_name(self, what: str) -> str:
        token = self.take()
        if token.kind != "name" or token.text.upper() in KEYWORDS:
            raise malformed(f"expected {what}, found {token.text!r}")
        return token.text

    def expect_punctuation(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise malformed(f"expected {text!r}, found {token.text!r}")

    def unsupported(self, problem: str) -> ApiError:
        token = self.peek()
        found = "end of query" if token is None else repr(token.text)
        return malformed(
            f"{problem} at {found} (this fake Salesforce understands only "
            "SELECT fields FROM object [WHERE ... AND ...] [ORDER BY ...] [LIMIT n])"
        )

    def field_list(self) -> tuple[str, ...]:
        fields = [self.select_field()]
        while self.peek() == Token("punctuation", ","):
            self.position += 1
            fields.append(self.select_field())
        return tuple(fields)

    def select_field(self) -> str:
        token = self.peek()
        if token is not None and token.text == "(":
            raise self.unsupported("subqueries are not supported")
        name = self.expect_name("a field name")
        if self.peek() == Token("punctuation", "("):
            raise self.unsupported(f"functions such as {name}() are not supported")
        return name

    def where(self) -> tuple[Condition, ...]:
        conditions = [self.condition()]
        while self.accept_keyword("AND"):
            conditions.append(self.condition())
        return tuple(conditions)

    def condition(self) -> Condition:
        token = self.peek()
        if token is not None and token.text == "(":
            raise self.unsupported("parentheses are not supported")
        name = self.expect_name("a field name in WHERE")
        if self.accept_keyword("NOT"):
            self.expect_keyword("IN")
            return Condition(name, "NOT IN", self.value_list())
        if self.accept_keyword("IN"):
            return Condition(name, "IN", self.value_list())
        token = self.take()
        if token.kind != "operator":
            raise malformed(f"expected a comparison after {name}, found {token.text!r}")
        value = self.literal()
        if value.kind == "null" and token.text not in ("=", "!=", "<>"):
            raise malformed(f"null can only be compared with = or !=, not {token.text}")
        return Condition(name, token.text, (value,))

    def value_list(self) -> tuple[Literal, ...]:
        self.expect_punctuation("(")
        values = [self.literal()]
        while self.peek() == Token("punctuation", ","):
            self.position += 1
            values.append(self.literal())
        self.expect_punctuation(")")
        return tuple(values)

    def literal(self) -> Literal:
        token = self.take()
        if token.kind == "string":
            return Literal("string", unquote(token.text))
        if token.kind == "datetime":
            return Literal("datetime", datetime.fromisoformat(token.text))
        if token.kind == "date":
            return Literal("date", date.fromisoformat(token.text))
        if token.kind == "number":
            number = float(token.text) if "." in token.text else int(token.text)
            return Literal("number", number)
        word = token.text.upper()
        if word in ("TRUE", "FALSE"):
            return Literal("boolean", word == "TRUE")
        if word == "NULL":
            return Literal("null", None)
        raise malformed(
            f"unsupported value {token.text!r} (date literals such as "
            "TODAY are not supported by this fake)"
        )

    def order_by(self) -> tuple[OrderKey, ...]:
        self.expect_keyword("BY")
        keys = [self.order_key()]
        while self.peek() == Token("punctuation", ","):
            self.position += 1
            keys.append(self.order_key())
        return tuple(keys)

    def order_key(self) -> OrderKey:
        name = self.expect_name("a field name in ORDER BY")
        descending = self.accept_keyword("DESC")
        if not descending:
            self.accept_keyword("ASC")
        nulls_first = True  # SOQL's default, whichever the direction
        if self.accept_keyword("NULLS"):
            if self.accept_keyword("LAST"):
                nulls_first = False
            else:
                self.expect_keyword("FIRST")
        return OrderKey(name, descending, nulls_first)

    def limit(self) -> int:
        token = self.take()
        if token.kind != "number" or not token.text.isdigit():
            raise malformed(f"LIMIT needs a whole number, found {token.text!r}")
        return int(token.text)


# --- Stored records ----------------------------------------------------------------


@dataclass
class Shape:
    """The fields and lookups seen on one object's records. Keys are lower-cased
    because SOQL names are case-insensitive; values keep Salesforce's spelling."""

    type_name: str
    fields: dict[str, str] = field(default_factory=dict)
    relationships: dict[str, tuple[str, "Shape"]] = field(default_factory=dict)

    def learn(self, record: Mapping[str, Any]) -> None:
        for name, value in record.items():
            if name == "attributes":
                continue
            if isinstance(value, Mapping):
                self.relationship(name, related_type(name, value)).learn(value)
            else:
                self.fields.setdefault(name.lower(), name)

    def declare(self, path: str) -> None:
        *lookups, last = path.split(".")
        shape = self
        for lookup in lookups:
            shape = shape.relationship(lookup, RELATED_TYPES.get(lookup, lookup))
        shape.fields.setdefault(last.lower(), last)

    def relationship(self, name: str, type_name: str) -> "Shape":
        entry = self.relationships.setdefault(name.lower(), (name, Shape(type_name)))
        return entry[1]

    def resolve(self, path: str) -> tuple[str, ...]:
        """The stored spelling of a dotted field path, or INVALID_FIELD."""
        *lookups, last = path.split(".")
        shape = self
        resolved = []
        for lookup in lookups:
            entry = shape.relationships.get(lookup.lower())
            if entry is None:
                raise invalid_field(
                    f"Didn't understand relationship '{lookup}' in field path "
                    f"'{path}' on entity '{shape.type_name}'."
                )
            resolved.append(entry[0])
            shape = entry[1]
        name = shape.fields.get(last.lower())
        if name is None:
            raise invalid_field(
                f"No such column '{last}' on entity '{shape.type_name}'."
            )
        return (*resolved, name)


def related_type(relationship: str, nested: Mapping[str, Any]) -> str:
    attributes = nested.get("attributes")
    if isinstance(attributes, Mapping) and "type" in attributes:
        return str(attributes["type"])
    return RELATED_TYPES.get(relationship, relationship)


@dataclass
class StoredObject:
    shape: Shape
    records: list[dict[str, Any]] = field(default_factory=list)


def value_at(record: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for name in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def value_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str) and DATETIME_TEXT.match(value):
        return "datetime"
    if isinstance(value, str) and DATE_TEXT.match(value):
        return "date"
    return "string"


def comparable(value: Any, literal: Literal, field_name: str) -> Any:
    """The stored value in the literal's type, or the INVALID_FIELD error Salesforce
    gives for a mistyped filter, such as a datetime compared with a quoted string."""
    kind = value_kind(value)
    if kind != literal.kind:
        quoting = (
            "should be enclosed in quotes"
            if kind == "string"
            else "should not be enclosed in quotes"
        )
        type_names = {"datetime": "dateTime", "number": "double"}
        raise invalid_field(
            f"value of filter criterion for field '{field_name}' must be of type "
            f"{type_names.get(kind, kind)} and {quoting}"
        )
    if kind == "datetime":
        return parse_datetime(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "string":
        return value.casefold()  # SOQL compares text without regard to case
    return value


def literal_value(literal: Literal) -> Any:
    return literal.value.casefold() if literal.kind == "string" else literal.value


def matches(
    record: Mapping[str, Any], condition: Condition, path: tuple[str, ...]
) -> bool:
    actual = value_at(record, path)
    if condition.operator in ("IN", "NOT IN"):
        found = actual is not None and any(
            comparable(actual, literal, condition.field) == literal_value(literal)
            for literal in condition.values
        )
        return found if condition.operator == "IN" else not found
    (literal,) = condition.values
    if actual is None or literal.kind == "null":
        both_null = actual is None and literal.kind == "null"
        if condition.operator == "=":
            return both_null
        return condition.operator in ("!=", "<>") and not both_null
    compare = COMPARISONS[condition.operator]
    return compare(comparable(actual, literal, condition.field), literal_value(literal))


def sort_value(value: Any) -> Any:
    if isinstance(value, str):
        moment = parse_datetime(value)
        return value.casefold() if moment is None else moment
    return value


def sort_records(
    records: list[dict[str, Any]], keys: Iterable[tuple[OrderKey, tuple[str, ...]]]
) -> list[dict[str, Any]]:
    """Sorted by each key in turn, least significant first, relying on stable sorts;
    nulls go first or last as the key asks, whatever the direction."""
    ordered = list(records)
    for key, path in reversed(list(keys)):
        ordered = sort_by(ordered, key, path)
    return ordered


def sort_by(
    records: list[dict[str, Any]], key: OrderKey, path: tuple[str, ...]
) -> list[dict[str, Any]]:
    present = [record for record in records if value_at(record, path) is not None]
    absent = [record for record in records if value_at(record, path) is None]
    present.sort(
        key=lambda record: sort_value(value_at(record, path)), reverse=key.descending
    )
    return absent + present if key.nulls_first else present + absent


def attributes(type_name: str, record_id: Any, version: str) -> dict[str, str]:
    result = {"type": type_name}
    if record_id is not None:
        result["url"] = f"/services/data/v{version}/sobjects/{type_name}/{record_id}"
    return result


def place(
    target: dict[str, Any],
    source: Mapping[str, Any],
    path: tuple[str, ...],
    version: str,
) -> None:
    """Copy one selected field into the answer, nesting lookups as Salesforce does:
    {"Owner": {"attributes": {...}, "Email": ...}}, or "Owner": null."""
    head, *rest = path
    if not rest:
        target[head] = copy.deepcopy(source.get(head))
        return
    nested = source.get(head)
    if not isinstance(nested, Mapping):
        target[head] = None
        return
    if head not in target:
        kind = related_type(head, nested)
        target[head] = {"attributes": attributes(kind, nested.get("Id"), version)}
    place(target[head], nested, tuple(rest), version)


def render(
    record: Mapping[str, Any],
    type_name: str,
    paths: Iterable[tuple[str, ...]],
    version: str,
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "attributes": attributes(type_name, record["Id"], version)
    }
    for path in paths:
        place(answer, record, path, version)
    return answer


@dataclass
class Cursor:
    """A query's answer kept for "query more results" calls, as a query locator."""

    records: list[dict[str, Any]]
    page_size: int


# --- SOAP envelopes ----------------------------------------------------------------

SOAP_ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns="urn:partner.soap.sforce.com"'
    ' xmlns:sf="urn:fault.partner.soap.sforce.com"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
)


def soap_reply(status: int, body: str) -> Reply:
    envelope = SOAP_ENVELOPE.format(body=body).encode()
    return Reply(status, envelope, content_type="text/xml;charset=UTF-8")


def soap_login_fault(code: str, message: str) -> Reply:
    detail = (
        f'<sf:LoginFault xsi:type="sf:LoginFault">'
        f"<sf:exceptionCode>{escape(code)}</sf:exceptionCode>"
        f"<sf:exceptionMessage>{escape(message)}</sf:exceptionMessage>"
        f"</sf:LoginFault>"
    )
    fault = (
        f"<soapenv:Fault><faultcode>sf:{escape(code)}</faultcode>"
        f"<faultstring>{escape(code)}: {escape(message)}</faultstring>"
        f"<detail>{detail}</detail></soapenv:Fault>"
    )
    return soap_reply(500, fault)


# --- The server --------------------------------------------------------------------


class RouteToFake(HTTPAdapter):
    """Sends every request to the fake, whatever host its URL names, so a client that
    builds https://login.salesforce.com/... or https://{domain}.salesforce.com/...
    itself still lands here, and nothing leaves the machine."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base = urlsplit(base_url)

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        parts = urlsplit(request.url or "")
        request.url = urlunsplit(
            (self.base.scheme, self.base.netloc, parts.path, parts.query, "")
        )
        return super().send(request, *args, **kwargs)


class Server(ThreadingHTTPServer):
    """Serves TLS, with each handshake done in the request's own thread so a client
    that stalls or refuses the certificate holds up no one else."""

    def __init__(self, fake: "FakeSalesforce", tls: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.fake = fake
        self.tls = tls

    def get_request(self) -> tuple[socket, Any]:
        connection, address = self.socket.accept()
        wrapped = self.tls.wrap_socket(
            connection, server_side=True, do_handshake_on_connect=False
        )
        return wrapped, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet for clients that hang up or reject the certificate, as tests of TLS
        verification do on purpose; loud for anything else."""
        error = sys.exc_info()[1]
        if isinstance(error, ssl.SSLError | ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    server: Server
    timeout = 10

    def setup(self) -> None:
        super().setup()
        self.request.do_handshake()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests look at `FakeSalesforce.requests` instead."""

    def do_GET(self) -> None:
        self.answer()

    def do_POST(self) -> None:
        self.answer()

    def do_PATCH(self) -> None:
        self.answer()

    def do_PUT(self) -> None:
        self.answer()

    def do_DELETE(self) -> None:
        self.answer()

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            reply = self.server.fake._answer(
                self.command, self.path, self.headers, body
            )
        except Exception as error:
            # A bug in the fake: answer as Salesforce does for its own failures, so
            # the client raises instead of hanging up, then report it.
            failure = ApiError(500, "UNKNOWN_EXCEPTION", f"fake Salesforce: {error!r}")
            self.send(json_reply(failure.status, failure.body()))
            raise
        self.send(reply)

    def send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)


class FakeSalesforce:
    """A Salesforce org in a thread: start it with `with`, fill it with
    `add_records`, point a client at it through `http_session()`."""

    def __init__(
        self,
        *,
        username: str = "integration@example.com",
        password: str = "fake-password",
        security_token: str = "fake-security-token",
        client_id: str = "fake-connected-app-key",
        client_secret: str = "fake-connected-app-secret",
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        self.username = username
        self.password = password
        self.security_token = security_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.page_size = page_size
        self.requests: list[SeenRequest] = []
        self._objects: dict[str, StoredObject] = {}
        self._sessions: set[str] = set()
        self._failures: deque[Reply] = deque()
        self._cursors: dict[str, Cursor] = {}
        self._api_calls = 0
        self._lock = threading.RLock()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._ca_file = ""

    # Lifecycle

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("FakeSalesforce is already running")
        authority = trustme.CA()
        self._folder = tempfile.TemporaryDirectory(prefix="fake-salesforce-")
        self._ca_file = str(Path(self._folder.name) / "ca.pem")
        authority.cert_pem.write_to_path(self._ca_file)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1", "localhost").configure_cert(tls)
        self._server = Server(self, tls)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-salesforce",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        if self._folder is not None:
            self._folder.cleanup()
        self._server = self._thread = self._folder = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # What tests use

    @property
    def url(self) -> str:
        """The instance URL, https://127.0.0.1:PORT."""
        if self._server is None:
            raise RuntimeError("FakeSalesforce is not running: use it in a with block")
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    @property
    def ca_file(self) -> str:
        """The PEM of the authority that signed the fake's certificate."""
        if self._server is None:
            raise RuntimeError("FakeSalesforce is not running: use it in a with block")
        return self._ca_file

    @property
    def page_size(self) -> int:
        """Records per answer; smaller than the result set forces nextRecordsUrl."""
        return self._page_size

    @page_size.setter
    def page_size(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"page_size must be at least 1, not {size}")
        self._page_size = size

    def http_session(self) -> requests.Session:
        """A requests session for the client: it trusts the fake's authority only,
        ignores proxy and CA-bundle environment variables (REQUESTS_CA_BUNDLE would
        otherwise override `verify`), and routes every URL to the fake."""
        session = requests.Session()
        session.verify = self.ca_file
        session.trust_env = False
        adapter = RouteToFake(self.url)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def add_records(
        self,
        sobject: str,
        records: Iterable[Mapping[str, Any]],
        *,
        fields: Iterable[str] = (),
    ) -> None:
        """Store records of an object; each needs an Id. Its fields become known to
        queries, as do the dotted paths in `fields` (for an object with no records
        yet, or a field that is null everywhere). Lookups are nested dicts, as in
        {"Owner": {"Id": "005...", "Email": "owner@example.com"}}. A record with
        "IsDeleted": True is seen by queryAll only."""
        with self._lock:
            stored = self._object(sobject)
            if stored is None:
                stored = StoredObject(Shape(sobject))
                stored.shape.declare("Id")
                self._objects[sobject.lower()] = stored
            for path in fields:
                stored.shape.declare(path)
            for record in records:
                if "Id" not in record:
                    raise ValueError(f"every {sobject} record needs an Id: {record!r}")
                stored.shape.learn(record)
                stored.records.append(copy.deepcopy(dict(record)))

    def fail_next(self, *, status: int, body: Any) -> None:
        """Answer the next data call (not a login) with this status and JSON body,
        such as [{"message": "...", "errorCode": "SERVER_UNAVAILABLE"}]. Calls queue
        up: two calls fail the next two data calls."""
        with self._lock:
            self._failures.append(json_reply(status, body))

    def expire_sessions(self) -> None:
        """Forget every session, as Salesforce does when they time out."""
        with self._lock:
            self._sessions.clear()

    def issue_session_id(self) -> str:
        """A valid session, for a client built with session_id and instance_url."""
        with self._lock:
            session_id = f"{ORGANIZATION_ID}!{secrets.token_urlsafe(32)}"
            self._sessions.add(session_id)
            return session_id

    # Answering

    def _answer(self, method: str, target: str, headers: Message, body: bytes) -> Reply:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self._lock:
            self.requests.append(SeenRequest(method, parts.path, query))
            try:
                return self._route(method, parts.path, query, headers, body)
            except ApiError as error:
                return json_reply(error.status, error.body())

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: Message,
        body: bytes,
    ) -> Reply:
        if path.startswith("/services/data/"):
            return self._data_call(method, path, query, headers)
        login = SOAP_LOGIN_PATH.match(path)
        if login is not None and method == "POST":
            return self._soap_login(body, login["version"])
        if path == "/services/oauth2/token" and method == "POST":
            return self._token(headers, body)
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")

    def _soap_login(self, body: bytes, version: str) -> Reply:
        try:
            envelope = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            return soap_login_fault("INVALID_LOGIN", "The login request is not XML.")
        username = envelope.findtext(f".//{{{PARTNER_NAMESPACE}}}username")
        password = envelope.findtext(f".//{{{PARTNER_NAMESPACE}}}password")
        if username != self.username or password != self.password + self.security_token:
            return soap_login_fault(
                "INVALID_LOGIN",
                "Invalid username, password, security token; or user locked out.",
            )
        session_id = self.issue_session_id()
        result = (
            f"<metadataServerUrl>{self.url}/services/Soap/m/{version}/"
            f"{ORGANIZATION_ID}</metadataServerUrl>"
            "<passwordExpired>false</passwordExpired>"
            "<sandbox>false</sandbox>"
            f"<serverUrl>{self.url}/services/Soap/u/{version}/"
            f"{ORGANIZATION_ID}</serverUrl>"
            f"<sessionId>{escape(session_id)}</sessionId>"
            f"<userId>{USER_ID}</userId>"
            f"<userInfo><organizationId>{ORGANIZATION_ID}</organizationId>"
            f"<userEmail>{escape(self.username)}</userEmail>"
            f"<userId>{USER_ID}</userId>"
            f"<userName>{escape(self.username)}</userName></userInfo>"
        )
        return soap_reply(
            200, f"<loginResponse><result>{result}</result></loginResponse>"
        )

    def _token(self, headers: Message, body: bytes) -> Reply:
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        if form.get("grant_type") != "client_credentials":
            raise ApiError(
                400, "unsupported_grant_type", "grant type not supported", oauth=True
            )
        client_id, client_secret = client_credentials(headers, form)
        if (client_id, client_secret) != (self.client_id, self.client_secret):
            raise ApiError(
                400, "invalid_client", "invalid client credentials", oauth=True
            )
        identity = f"{self.url}/id/{ORGANIZATION_ID}/{USER_ID}"
        issued_at = str(int(time.time() * 1000))
        digest = hmac.new(
            client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256
        ).digest()
        return json_reply(
            200,
            {
                "access_token": self.issue_session_id(),
                "signature": base64.b64encode(digest).decode(),
                "scope": "api",
                "instance_url": self.url,
                "id": identity,
                "token_type": "Bearer",
                "issued_at": issued_at,
            },
        )

    def _data_call(
        self, method: str, path: str, query: dict[str, str], headers: Message
    ) -> Reply:
        if self._failures:
            return self._failures.popleft()
        self._check_session(headers)
        self._api_calls += 1
        usage = {"Sforce-Limit-Info": f"api-usage={self._api_calls}/15000"}
        route = QUERY_PATH.match(path)
        if route is None:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        if method != "GET":
            raise ApiError(
                405,
                "METHOD_NOT_ALLOWED",
                f"HTTP Method '{method}' not allowed. Allowed are GET,HEAD",
            )
        version = route["version"]
        if route["locator"]:
            return json_reply(200, self._next_page(route["locator"], version), usage)
        soql = query.get("q", "")
        if not soql.strip():
            raise malformed("A query string has to be specified")
        include_deleted = route["resource"] == "queryAll"
        return json_reply(200, self._first_page(soql, version, include_deleted), usage)

    def _check_session(self, headers: Message) -> None:
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        if scheme.lower() not in ("bearer", "oauth") or token not in self._sessions:
            raise ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")

    def _object(self, sobject: str) -> StoredObject | None:
        return self._objects.get(sobject.lower())

    def _first_page(self, soql: str, version: str, include_deleted: bool) -> Any:
        records = self._run(SoqlParser(soql).parse(), version, include_deleted)
        cursor_id = "01g" + secrets.token_hex(8).upper()[:15]
        self._cursors[cursor_id] = Cursor(records, self.page_size)
        return self._page(cursor_id, 0, version)

    def _next_page(self, locator: str, version: str) -> Any:
        match = QUERY_LOCATOR.match(locator)
        if match is None or match["cursor"] not in self._cursors:
            raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(match["cursor"], int(match["offset"]), version)

    def _page(self, cursor_id: str, offset: int, version: str) -> Any:
        cursor = self._cursors[cursor_id]
        batch = cursor.records[offset : offset + cursor.page_size]
        end = offset + len(batch)
        page: dict[str, Any] = {
            "totalSize": len(cursor.records),
            "done": end >= len(cursor.records),
        }
        if not page["done"]:
            page["nextRecordsUrl"] = (
                f"/services/data/v{version}/query/{cursor_id}-{end}"
            )
        page["records"] = batch
        return page

    def _run(self, query: Query, version: str, include_deleted: bool) -> list[Any]:
        stored = self._object(query.sobject)
        if stored is None:
            raise ApiError(
                400,
                "INVALID_TYPE",
                f"sObject type '{query.sobject}' is not supported. If you are "
                "attempting to use a custom object, be sure to append the '__c' "
                "after the entity name.",
            )
        shape = stored.shape
        selected = [shape.resolve(name) for name in query.fields]
        seen: set[tuple[str, ...]] = set()
        for name, path in zip(query.fields, selected, strict=True):
            if path in seen:
                raise malformed(f"duplicate field selected: {name}")
            seen.add(path)
        conditions = [(c, shape.resolve(c.field)) for c in query.conditions]
        order = [(key, shape.resolve(key.field)) for key in query.order_by]
        rows = [
            record
            for record in stored.records
            if (include_deleted or not record.get("IsDeleted"))
            and all(matches(record, c, path) for c, path in conditions)
        ]
        rows = sort_records(rows, order)
        if query.limit is not None:
            rows = rows[: query.limit]
        type_name = shape.type_name
        return [render(row, type_name, selected, version) for row in rows]


def client_credentials(headers: Message, form: Mapping[str, str]) -> tuple[str, str]:
    """The connected app's key and secret, from HTTP Basic or from the form body;
    Salesforce takes either."""
    scheme, _, encoded = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except ValueError:
            return "", ""
        client_id, _, client_secret = decoded.partition(":")
        return client_id, client_secret
    return form.get("client_id", ""), form.get("client_secret", "")
