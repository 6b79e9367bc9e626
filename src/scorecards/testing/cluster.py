"""A throwaway PostgreSQL cluster for one test run, built from the local binaries.

initdb and pg_ctl refuse to run as root, so under root (as in CI containers) they run
as the postgres system account, which then owns the temporary directory.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "install postgresql or set SCORECARDS_TEST_DATABASE_URL"

# Settings for a cluster that lives for one test run: durability buys nothing here.
THROWAWAY_SETTINGS = """
listen_addresses = '127.0.0.1'
unix_socket_directories = '{socket_dir}'
fsync = off
synchronous_commit = off
full_page_writes = off
"""

# How initdb and the server label the line worth showing when they fail.
ERROR_WORDS = frozenset({"error:", "FATAL:", "PANIC:", "ERROR:"})


class PostgresUnavailable(Exception):
    pass


@dataclass
class Cluster:
    """A PostgreSQL cluster in a temporary directory, owned by this test run."""

    bindir: Path
    root: Path
    owner: pwd.struct_passwd | None
    port: int = 0

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/scorecards"

    def describe(self) -> str:
        version = (self.data_dir / "PG_VERSION").read_text().strip()
        return (
            f"PostgreSQL {version} at 127.0.0.1:{self.port}, throwaway in {self.root}"
        )

    def initdb(self) -> None:
        result = self.run(
            "initdb",
            f"--pgdata={self.data_dir}",
            "--username=postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        if result.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {telling_line(result.stderr)}")

        settings = THROWAWAY_SETTINGS.format(socket_dir=self.root)
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(settings)

    def start(self) -> None:
        # The free port can be taken by someone else before the server binds it;
        # that race is rare, so a couple of fresh tries are enough.
        for _attempt in range(3):
            self.port = free_port()
            result = self.pg_ctl(
                "start", f"--log={self.log_file}", "-o", f"-p {self.port}"
            )
            if result.returncode == 0:
                return
            if "could not bind" not in self.server_log():
                break

        output = self.server_log() or result.stderr
        raise PostgresUnavailable(f"server did not start: {telling_line(output)}")

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self.pg_ctl("stop", "--mode=immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def pg_ctl(self, action: str, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(
            "pg_ctl",
            action,
            f"--pgdata={self.data_dir}",
            "--wait",
            "--timeout=30",
            *args,
        )

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        owner = self.owner
        return subprocess.run(
            [str(self.bindir / program), *args],
            cwd=self.root,
            env=os.environ | {"LC_ALL": "C"},
            user=owner.pw_uid if owner else None,
            group=owner.pw_gid if owner else None,
            extra_groups=[] if owner else None,
            capture_output=True,
            text=True,
            check=False,
        )

    def server_log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""


def start_cluster() -> Cluster:
    bindir = find_bindir()
    owner = cluster_owner()
    root = Path(tempfile.mkdtemp(prefix="scorecards-pg-"))
    cluster = Cluster(bindir=bindir, root=root, owner=owner)

    try:
        if owner:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        cluster.initdb()
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster


def find_bindir() -> Path:
    for bindir in candidate_bindirs():
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir

    raise PostgresUnavailable(f"no initdb found ({INSTALL_HINT})")


def candidate_bindirs() -> list[Path]:
    candidates: list[Path] = []

    # pg_config may come from the client library package alone, so its answer is
    # only a first guess, checked for initdb like the others.
    pg_config = shutil.which("pg_config")
    if pg_config:
        answer = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        if answer.returncode == 0:
            candidates.append(Path(answer.stdout.strip()))

    installed = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(installed, key=major_version, reverse=True)

    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    return candidates


def major_version(bindir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in bindir.parent.name.split(".") if part.isdigit())


def cluster_owner() -> pwd.struct_passwd | None:
    """The account to run initdb and pg_ctl as: they refuse to run as root."""
    if os.geteuid() != 0:
        return None

    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable(
            f"running as root and there is no postgres user to run initdb as "
            f"({INSTALL_HINT})"
        ) from None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def telling_line(text: str) -> str:
    """The last error in a program's output, else its last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if ERROR_WORDS.intersection(line.split())]
    if errors:
        return errors[-1]
    return lines[-1] if lines else "no output"
