"""Running a few child processes as one service, and stopping them together."""

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType

from scorecards.cli.django_setup import CommandFailed

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

# From linux/prctl.h: the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1

# gunicorn gives requests in flight 30 seconds to finish; a little more here
# before a child that still has not stopped is killed.
STOP_GRACE = 40.0


@dataclass
class Child:
    name: str
    command: list[str]
    process: "subprocess.Popen[bytes] | None" = field(default=None, repr=False)

    def start(self) -> None:
        # A session of its own, so a Ctrl-C at the terminal reaches the child once,
        # from here, instead of twice (which the worker reads as "stop at once").
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=stop_with_parent(os.getpid()),
        )
        logger.info("%s started (pid %d)", self.name, self.process.pid)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def send(self, number: int) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(number)


def stop_with_parent(parent: int) -> Callable[[], None] | None:
    """What a child runs before it starts: ask Linux for SIGTERM if we die.

    Out of its session, a child would otherwise outlive a supervisor killed
    outright (SIGKILL, the OOM killer) and keep the port. Other systems have no
    such request; there the service manager has to stop the children.
    """
    if not sys.platform.startswith("linux"):
        return None

    def request() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        # The supervisor may have died before the request took effect.
        if os.getppid() != parent:
            os._exit(1)

    return request


@dataclass
class Stop:
    """The stop signals received so far, and an event to wake the waiting loop."""

    received: list[int] = field(default_factory=list)
    wake: threading.Event = field(default_factory=threading.Event)

    def __call__(self, number: int, frame: FrameType | None) -> None:
        self.received.append(number)
        self.wake.set()

    def wait(self, seconds: float) -> None:
        self.wake.wait(seconds)
        self.wake.clear()


def supervise(children: list[Child]) -> int:
    """Run the children until a stop signal comes or one of them exits.

    1. Start every child.
    2. Wait for a stop signal, or for any child to exit on its own.
    3. Stop the others gracefully (SIGTERM); a second stop signal hurries them
       (SIGINT), and a child still running after STOP_GRACE is killed.
    """
    stop = Stop()
    with stop_signals(stop):
        start_all(children, stop)
        while not stop.received and all(child.running() for child in children):
            stop.wait(0.5)

        expected = bool(stop.received)
        if expected:
            logger.info("stopping on %s", signal.Signals(stop.received[0]).name)
        else:
            report_early_exit(children)
        stop_children(children, stop)

    return exit_status(children, expected=expected)


def start_all(children: list[Child], stop: Stop) -> None:
    for child in children:
        try:
            child.start()
        except OSError as error:
            stop_children(children, stop)
            raise CommandFailed(f"cannot start the {child.name}: {error}") from None


@contextmanager
def stop_signals(handler: Stop) -> Iterator[None]:
    previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    for number in STOP_SIGNALS:
        signal.signal(number, handler)
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def report_early_exit(children: list[Child]) -> None:
    for child in children:
        if not child.running() and child.process is not None:
            logger.error(
                "%s exited on its own with status %s; stopping the rest",
                child.name,
                child.process.returncode,
            )


def stop_children(children: list[Child], stop: Stop) -> None:
    for child in children:
        child.send(signal.SIGTERM)

    hurried = False
    deadline = time.monotonic() + STOP_GRACE
    while any(child.running() for child in children):
        if len(stop.received) > 1 and not hurried:
            logger.info("hurrying the stop")
            for child in children:
                child.send(signal.SIGINT)
            hurried = True
        if time.monotonic() > deadline:
            kill_stragglers(children)
            break
        stop.wait(0.2)

    for child in children:
        if child.process is not None:
            child.process.wait()


def kill_stragglers(children: list[Child]) -> None:
    for child in children:
        if child.running():
            logger.warning(
                "%s did not stop within %ds; killing it", child.name, STOP_GRACE
            )
            child.send(signal.SIGKILL)


def exit_status(children: list[Child], *, expected: bool) -> int:
    statuses = {
        child.name: child.process.returncode
        for child in children
        if child.process is not None
    }
    clean = all(status == 0 for status in statuses.values())
    if expected and clean:
        logger.info("stopped")
        return 0

    logger.warning(
        "stopped; exit statuses: %s",
        ", ".join(f"{name} {status}" for name, status in statuses.items()),
    )
    return 1
