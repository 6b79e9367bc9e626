"""``scorecards serve``: the web app and the API, and on SQLite a task worker too."""

import argparse
import logging
import os
import sys

from scorecards.cli.django_setup import CommandFailed, require_migrated, setup_django
from scorecards.cli.supervisor import Child, supervise

logger = logging.getLogger(__name__)

# Each web process keeps its own database connection open; past a handful, more
# processes only use up PostgreSQL's connection slots.
MAX_DEFAULT_PROCESSES = 8


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "serve",
        help="run the web app and the API (with a task worker on SQLite)",
        description="Serve the web app, the API and their static files with "
        "gunicorn. With --with-worker, the default on SQLite, a task worker runs "
        "beside it, so this one command does everything. SIGTERM or Ctrl-C stops "
        "both gracefully; a second one hurries them.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1",
        help="address to listen on (default: %(default)s; 0.0.0.0 for all)",
    )  # fmt: skip
    parser.add_argument("--port", type=int, default=8000, help="default: %(default)s")
    parser.add_argument(
        "--workers", type=int, default=default_processes(), metavar="N",
        help="web server processes (default: %(default)s, from the CPUs here)",
    )  # fmt: skip
    parser.add_argument(
        "--with-worker", action=argparse.BooleanOptionalAction,
        help="also run a task worker (default: yes on SQLite, no on PostgreSQL, "
        "where `scorecards worker` runs on its own)",
    )  # fmt: skip
    parser.set_defaults(handler=run)


def default_processes() -> int:
    return min(2 * (os.cpu_count() or 1) + 1, MAX_DEFAULT_PROCESSES)


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise CommandFailed("--port: must be between 1 and 65535", status=2)
    if args.workers < 1:
        raise CommandFailed("--workers: must be at least 1", status=2)

    setup_django()
    require_migrated()
    collect_static()
    with_worker = wants_worker(args.with_worker)
    release_database()

    children = [Child("web server", web_server_command(args))]
    if with_worker:
        children.append(Child("task worker", task_worker_command()))
    logger.info(
        "serving on %s with %d web processes%s",
        url(args.host, args.port),
        args.workers,
        " and a task worker" if with_worker else "",
    )
    return supervise(children)


def collect_static() -> None:
    from django.conf import settings
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    logger.info("static files collected in %s", settings.STATIC_ROOT)


def wants_worker(choice: bool | None) -> bool:
    from django.db import connection

    if choice is not None:
        return choice
    return bool(connection.vendor == "sqlite")


def release_database() -> None:
    from django.db import connection

    # The children open their own; this process needs none while it waits.
    connection.close()


def url(host: str, port: int) -> str:
    return f"http://{address(host, port)}"


def address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def web_server_command(args: argparse.Namespace) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn",
        "--config", "python:scorecards.cli.gunicorn_config",
        "--bind", address(args.host, args.port),
        "--workers", str(args.workers),
    ]  # fmt: skip


def task_worker_command() -> list[str]:
    return [sys.executable, "-m", "scorecards.cli.main", "worker"]
