"""A real `scorecards serve` in a process of its own, for tests that kill it or cut
its database, and a TCP proxy in front of PostgreSQL that a test can cut and mend.

The server runs in production mode (no debug pages, a real secret key) on the
database the tests use, so a test must use ``transactional_db`` for the two sides
to see each other's writes.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scorecards.testing.loopback import free_port

SECRET_KEY = "a-long-random-secret-for-the-reliability-tests-only"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class LiveServer:
    """`scorecards serve` on loopback; ``log`` holds everything it printed."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    token: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> Answer:
        """One HTTP call; ``body`` is sent as JSON unless it is bytes."""
        data = body if isinstance(body, bytes) or body is None else None
        sent = dict(headers or {})
        if data is None and body is not None:
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        secret = self.token if token is None else token
        if secret:
            sent["Authorization"] = f"Bearer {secret}"
        request = urllib.request.Request(
            self.url + path, data=data, headers=sent, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read())

    def healthy(self) -> bool:
        try:
            return self.call("GET", "/healthz", timeout=5).status == 200
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL the server and its children at once, as a power cut does."""
        kill_group(self.process)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers; the server's children go with it."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def server_env(*, database_url: str, data_dir: Path) -> dict[str, str]:
    """The environment of a production-mode service on loopback."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "SCORECARDS_SECRET_KEY": SECRET_KEY,
        "SCORECARDS_ALLOWED_HOSTS": "127.0.0.1",
        "SCORECARDS_SECURE_SSL_REDIRECT": "false",
        "SCORECARDS_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
    }


def start_server(
    *,
    database_url: str,
    data_dir: Path,
    workers: int = 2,
) -> LiveServer:
    """Start `scorecards serve`, without a task worker, and wait until /healthz
    says ok."""
    port = free_port()
    log = data_dir / f"serve-{port}.log"
    argv = ["serve", "--port", str(port), "--workers", str(workers), "--no-with-worker"]
    environment = server_env(database_url=database_url, data_dir=data_dir)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "scorecards.cli.main", *argv],
            env=environment,
            cwd=data_dir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(process, port, log)
    deadline = time.monotonic() + 60
    while not server.healthy():
        if process.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise AssertionError(f"the server did not start:\n{log.read_text()}")
        time.sleep(0.05)
    return server


def start_worker(*, database_url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    """`scorecards worker` on the data folder; its log is worker.log there."""
    environment = server_env(database_url=database_url, data_dir=data_dir)
    with (data_dir / "worker.log").open("ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scorecards.cli.main",
                "worker",
                "--interval",
                "0.1",
            ],
            env=environment,
            cwd=data_dir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``process`` and all its descendants, all found before any dies:
    none gets the chance to finish its work or to be stopped gracefully."""
    family = [process.pid, *descendants(process.pid)]
    for pid in family:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=10)


def descendants(pid: int) -> list[int]:
    """Every process under ``pid``, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # The name in parentheses may hold spaces; the parent follows it.
        parent = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def wait_for(check: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {seconds:.0f} s")


@dataclass
class Proxy:
    """Forwards TCP connections from ``port`` to ``target``; ``cut()`` drops
    every connection and refuses new ones, as a database that went down does,
    and ``mend()`` lets them through again."""

    target: tuple[str, int]
    port: int = field(default_factory=free_port)
    up: bool = True
    _listener: socket.socket | None = None
    _open: set[socket.socket] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            self.up = False
            for sock in self._open:
                _close(sock)
            self._open.clear()

    def mend(self) -> None:
        with self._lock:
            self.up = True

    def close(self) -> None:
        self.cut()
        if self._listener is not None:
            _close(self._listener)

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                if not self.up:
                    _close(client)
                    continue
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                    upstream.settimeout(None)
                except OSError:
                    _close(client)
                    continue
                self._open.update((client, upstream))
            for one, other in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pipe, args=(one, other), daemon=True
                ).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
