"""Real receivers on loopback for notification tests: an SMTP server and an HTTP
endpoint, each in a thread of the test process, each keeping what it got."""

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Mailbox:
    """What the SMTP server on loopback was given."""

    host: str
    port: int
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content)
        parsed["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


@pytest.fixture
def mailbox(settings: Any) -> Iterator[Mailbox]:
    """An SMTP server on loopback, and Django's email settings pointed at it."""
    port = free_port()
    box = Mailbox("127.0.0.1", port)
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    try:
        yield box
    finally:
        controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP endpoint on loopback; it answers ``failing_status`` (503) to the
    first ``failures`` calls, then 200, and keeps every call it answered 200.

    The first ``slow`` calls wait ``delay`` seconds before answering (and are
    kept all the same: a slow receiver did get the message). ``stop()`` takes
    it down, so that connections are refused, and ``start()`` brings it back
    on the same address.
    """

    url: str
    failures: int = 0
    failing_status: int = 503
    slow: int = 0
    delay: float = 0.0
    calls: int = 0
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/")[0])

    def start(self) -> None:
        self._server = _serve(self, self.port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _serve(state: Receiver, port: int) -> ThreadingHTTPServer:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                state.calls += 1
                failing = state.calls <= state.failures
                slow = state.calls <= state.slow
                if not failing:
                    headers = {name: value for name, value in self.headers.items()}
                    state.received.append(Received(self.path, headers, body))
            if slow:
                time.sleep(state.delay)
            self.send_response(state.failing_status if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the test says what matters

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(f"http://127.0.0.1:{free_port()}/hook")
    state.start()
    try:
        yield state
    finally:
        state.stop()
