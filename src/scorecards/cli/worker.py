"""``scorecards worker``: run background tasks and keep the daily schedule."""

import argparse
import logging
import os
import secrets
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from scorecards.cli.django_setup import CommandFailed, require_migrated, setup_django

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "worker",
        help="run background tasks (notifications, daily points, syncs)",
        description="Run queued background tasks and keep the schedule (the daily "
        "points). Start as many as needed, on any number of machines sharing the "
        "database. SIGTERM or Ctrl-C lets the running task finish, then stops; a "
        "second one stops at once.",
    )
    parser.add_argument(
        "--interval", type=float, default=1.0, metavar="SECONDS",
        help="how long to wait when the queue is empty (default: 1)",
    )  # fmt: skip
    parser.add_argument(
        "--batch", action="store_true",
        help="queue what is due, run every task waiting, then exit (for cron)",
    )  # fmt: skip
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.interval < 0:
        raise CommandFailed("--interval: must be zero or more", status=2)

    setup_django()
    require_migrated()

    work(interval=args.interval, batch=args.batch, worker_id=new_worker_id())
    return 0


def new_worker_id() -> str:
    """Host and process, for the operator; the random end keeps ids unique."""
    host = socket.gethostname()[:40]
    return f"{host}:{os.getpid()}:{secrets.token_hex(3)}"


def work(*, interval: float, batch: bool, worker_id: str) -> None:
    """Run tasks until stopped, or until the queue is empty in batch mode.

    1. Batch mode looks at the schedule once, here; otherwise a scheduler
       thread looks every minute for as long as the worker runs.
    2. django_tasks_db's worker loop runs the tasks in this thread and owns
       SIGTERM and SIGINT while it runs.
    3. On the way out, however it ends, the scheduler thread is stopped.
    """
    from scorecards.scoring import tasks

    worker = task_worker(interval=interval, batch=batch, worker_id=worker_id)
    logger.info("task worker %s started", worker_id)
    if batch:
        tasks.look_once(worker=worker_id)
    try:
        with scheduler(worker_id=worker_id, enabled=not batch), stop_signals(worker):
            worker.run()
    finally:
        # Also on the SystemExit the worker raises from its signal handler.
        logger.info("task worker %s stopped", worker_id)


def task_worker(*, interval: float, batch: bool, worker_id: str) -> Any:
    from django.tasks import DEFAULT_TASK_BACKEND_ALIAS
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["*"],
        excluded_queue_names=[],
        interval=interval,
        batch=batch,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        # Workers started together (a deploy) would all poll in step.
        startup_delay=not batch,
        max_tasks=None,
        worker_id=worker_id,
    )


@contextmanager
def scheduler(*, worker_id: str, enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return

    from scorecards.scoring.tasks import run_scheduler

    stop = threading.Event()
    thread = threading.Thread(
        target=run_scheduler,
        kwargs={"worker": worker_id, "stop": stop},
        name="scheduler",
        daemon=True,
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


@contextmanager
def stop_signals(worker: Any) -> Iterator[None]:
    """Let the worker handle SIGINT and SIGTERM, then give back the old handlers."""
    previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    for number in STOP_SIGNALS:
        signal.signal(number, worker.shutdown)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
