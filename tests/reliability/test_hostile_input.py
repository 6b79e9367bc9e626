"""A corpus of hostile input: every piece is refused clearly, early and cheaply.

Wrong encodings, huge fields, deeply nested JSON, a gzip bomb, bodies of a
hundred megabytes, and spreadsheet formulas in a file whose rejected rows are
offered for download. None may cost a 500, an HTML page where JSON is due, or
memory in proportion to what was sent.
"""

import csv
import gzip
import io
import json
import select
import socket
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from reliability_helpers import SETUP_AT, on_postgres

from scorecards.api.tokens import create_token
from scorecards.imports.models import ImportRun
from scorecards.imports.runs import run_queued_import
from scorecards.ingest.models import Signal
from scorecards.sources.registry import create_source
from scorecards.testing.liveserver import LiveServer, descendants

pytestmark = pytest.mark.usefixtures("book")

MB = 1024 * 1024
SIGNAL = {"account": "acc-00", "metric": "usage", "value": 1,
          "observed_at": "2026-11-20T10:00:00Z"}  # fmt: skip


@pytest.fixture
def api(client: Client) -> Any:
    _, secret = create_token(name="hostile", now=SETUP_AT)

    def call(method: str, path: str, body: bytes | str = b"", **more: Any) -> Any:
        more.setdefault("content_type", "application/json")
        return client.generic(
            method, "/api/v1" + path, body, HTTP_AUTHORIZATION=f"Bearer {secret}",
            **more,
        )  # fmt: skip

    return call


def message(response: Any) -> str:
    """The first error's message of a JSON refusal."""
    assert response["Content-Type"] == "application/json", response.content[:200]
    return str(response.json()["errors"][0]["message"])


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-16", "not valid JSON"),
        ("utf-32", "not valid JSON"),
        ("latin-1", "not valid JSON"),
    ],
)
def test_a_batch_in_another_encoding_is_refused_as_unreadable(
    api: Any, encoding: str, expected: str
) -> None:
    batch = {"signals": [{**SIGNAL, "metric": "usage-é-ü"}]}
    body = json.dumps(batch, ensure_ascii=False).encode(encoding)

    response = api("POST", "/signals", body)

    assert response.status_code == 400
    assert expected in message(response)
    assert not Signal.objects.exists()


def test_a_huge_field_is_refused_with_its_place_and_the_limit(api: Any) -> None:
    batch = {"signals": [{**SIGNAL, "metric": "m" * (8 * MB)}]}

    response = api("POST", "/signals", json.dumps(batch))

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (0, "metric")
    assert "200" in error["message"]


@pytest.mark.parametrize("depth", [1_000, 200_000])
def test_deeply_nested_json_is_refused_not_a_crash(api: Any, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    body = '{"signals": [' + nested + "]}"

    batch = api("POST", "/signals", body)
    accounts = api("POST", "/accounts", '{"accounts": [' + nested + "]}")
    scorecard = api("PUT", "/scorecards/deep", '{"key": "deep", "x": ' + nested + "}")

    for response in (batch, accounts, scorecard):
        assert response.status_code in (400, 422), response.content[:300]
        assert message(response)


def test_a_nested_yaml_scorecard_is_refused_not_a_crash(api: Any) -> None:
    nested = "[" * 50_000 + "]" * 50_000
    response = api(
        "PUT", "/scorecards/deep", f"key: deep\nx: {nested}\n",
        content_type="application/yaml",
    )  # fmt: skip

    assert response.status_code == 422
    assert message(response)


def test_a_title_longer_than_its_column_is_refused_by_its_field(api: Any) -> None:
    question = {"key": "score", "text": "How likely are you to recommend us?"}
    form = {"kind": "nps", "title": "t" * 201, "questions": [question]}

    response = api("PUT", "/surveys/pulse", json.dumps(form))

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "title"


def test_a_nul_character_is_never_a_500(
    api: Any, request: pytest.FixtureRequest
) -> None:
    playbook = {"steps": [{"title": "call\x00them"}]}  # "\u0000" in the JSON
    question = {"key": "score", "text": "How likely are you to recommend us?"}
    form = {"kind": "nps", "title": "pulse\x00", "questions": [question]}

    in_json = api("PUT", "/playbooks/nul", json.dumps(playbook))
    in_text = api("PUT", "/surveys/nul", json.dumps(form))

    for response in (in_json, in_text):
        if on_postgres(request):
            # PostgreSQL stores no NUL in text or JSON: refused, saying why.
            assert response.status_code == 422
            assert "NUL" in message(response) or "Unicode" in message(response)
        else:
            assert response.status_code in (200, 201)


def test_a_gzip_bomb_sent_as_tracking_calls_is_refused_unzipped_early(
    client: Client,
) -> None:
    bomb = gzip.compress(b"0" * (64 * MB))
    assert len(bomb) < 100_000

    response = client.post(
        "/v1/batch", bomb, content_type="application/json",
        HTTP_CONTENT_ENCODING="gzip",
    )  # fmt: skip

    assert response.status_code == 400
    assert "over 500 KB" in response.json()["message"]


def test_the_api_answers_json_even_where_django_answers_first(
    api: Any, client: Client
) -> None:
    not_allowed = api("TRACE", "/signals")
    no_route = api("GET", "/no-such-thing")
    bad_host = client.get("/api/v1/accounts", HTTP_HOST="evil.example")

    assert not_allowed.status_code == 405
    assert "does not take TRACE" in message(not_allowed)
    assert not_allowed["Allow"] == "POST"
    assert no_route.status_code == 404
    assert "/api/v1/docs" in message(no_route)
    assert bad_host.status_code == 400
    assert "Host" in message(bad_host)


FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "\t=1+1", "\r=1+1"]  # fmt: skip


def test_rejected_rows_download_with_formulas_neutralised_and_numbers_kept(
    api: Any,
) -> None:
    # Each formula is an account no one has, so each row is rejected as it was.
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["account", "metric", "value", "observed_at"])
    writer.writerows([cell, "usage", "1", "2026-11-20T10:00:00Z"] for cell in FORMULAS)
    writer.writerow(["acc-00", "usage", "-5", "2026-11-20 10:00"])  # no zone
    queued = api(
        "POST", "/signals/import?skip_bad=true", out.getvalue(), content_type="text/csv"
    )
    run_queued_import.call(queued.json()["id"])

    rejects = api("GET", f"/imports/{queued.json()['id']}/rejects")

    assert rejects.status_code == 200
    text = b"".join(rejects.streaming_content).decode()
    header, *rows, last = list(csv.reader(io.StringIO(text)))
    assert header == ["account", "metric", "value", "observed_at"]
    assert [row[0] for row in rows] == ["'" + cell for cell in FORMULAS]
    # A negative number is a number, not a formula: kept as it was.
    assert last == ["acc-00", "usage", "-5", "2026-11-20 10:00"]


def send_huge(
    server: LiveServer, path: str, size: int, content_type: str = "application/json"
) -> Any:
    """POST ``size`` bytes, stopping as soon as the server answers; returns the
    status, the answer's body and how much was sent before it came."""
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1",
            f"Content-Length: {size}", f"Content-Type: {content_type}",
            f"Authorization: Bearer {server.token}"]  # fmt: skip
    chunk = b" " * MB
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        while sent < size:
            if select.select([sock], [], [], 0)[0]:
                break  # the answer came before the body was all sent
            try:
                sock.sendall(chunk[: min(MB, size - sent)])
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += min(MB, size - sent)
        answer = io.BytesIO()
        while data := sock.recv(65536):
            answer.write(data)
            if b"\r\n\r\n" in answer.getvalue() and answer.getvalue().endswith(b"}"):
                break
    status_line, _, rest = answer.getvalue().partition(b"\r\n")
    body = rest.partition(b"\r\n\r\n")[2]
    return int(status_line.split()[1]), json.loads(body), sent


def peak_memory_reset(server: LiveServer) -> dict[int, int]:
    """Reset the peak memory of the server's processes; their memory now."""
    now = {}
    for pid in descendants(server.process.pid):
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        now[pid] = _status_kb(pid, "VmRSS")
    return now


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def test_a_100_mb_body_is_refused_early_with_bounded_memory(
    service: LiveServer,
) -> None:
    _, key = create_source(kind="delighted", name="nps", now=SETUP_AT)
    refusals = {
        "/api/v1/signals": (413, "the body is too large"),
        "/api/v1/accounts": (413, "the body is too large"),
        "/v1/batch": (400, "the body is too large"),
        f"/hooks/delighted/{key}": (413, "the body is too large"),
    }

    for path, (status, words) in refusals.items():
        before = peak_memory_reset(service)

        answered, body, sent = send_huge(service, path, 100 * MB)

        assert answered == status, path
        assert words in json.dumps(body), path
        assert sent < 20 * MB, f"{path}: the server read the body before refusing"
        grown = {pid: _status_kb(pid, "VmHWM") - rss for pid, rss in before.items()}
        assert max(grown.values()) < 20 * 1024, (path, grown)  # kB


@pytest.mark.heavy
def test_a_100_mb_import_streams_to_disk_with_bounded_memory(
    service: LiveServer,
) -> None:
    before = peak_memory_reset(service)

    answered, body, sent = send_huge(
        service, "/api/v1/signals/import", 100 * MB, content_type="text/csv"
    )

    assert answered == 202, body
    assert sent == 100 * MB
    grown = {pid: _status_kb(pid, "VmHWM") - rss for pid, rss in before.items()}
    assert max(grown.values()) < 20 * 1024, grown  # kB
    stored = Path(ImportRun.objects.get(pk=body["id"]).stored_file)
    assert stored.stat().st_size == 100 * MB
    stored.unlink()
