"""A real OpenID Connect provider on loopback: oidc-provider under Node.js, from
tests/sso/provider/ (installed there by `make test` with `npm ci`).

Without Node.js or the installed package the tests that need it are skipped with
the reason, except on CI, where the run fails instead.
"""

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from scorecards.config.sso import PROVIDER_ID
from scorecards.testing.browser import on_ci, page
from scorecards.testing.loopback import free_port

__all__ = ["page"]

PROVIDER_DIR = Path(__file__).parent / "provider"
CLIENT_ID = "scorecards"
CLIENT_SECRET = "a-client-secret-for-the-sso-tests-only"


@dataclass
class OidcProvider:
    issuer: str
    accounts_file: Path
    log: Path
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def set_person(self, login: str, *, email: str, groups: list[str]) -> None:
        """What the provider says about ``login`` at their next sign-in."""
        people = json.loads(self.accounts_file.read_text())
        people[login] = {"email": email, "groups": groups}
        self.accounts_file.write_text(json.dumps(people))


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is not None and (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return node
    reason = (
        "the test OpenID Connect provider is not installed: needs Node.js, then "
        f"'npm ci' in {PROVIDER_DIR} (make test does it)"
    )
    if on_ci():
        pytest.fail(f"{reason}. CI must run the single sign-on tests.")
    pytest.skip(reason)


def discovery_answers(issuer: str) -> bool:
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


@pytest.fixture
def oidc_provider(live_server, tmp_path):
    """The provider, with one client: this app under ``live_server``."""
    node = node_or_skip()
    port = free_port()
    accounts = tmp_path / "accounts.json"
    accounts.write_text("{}")
    log = tmp_path / "provider.log"
    callback = f"{live_server.url}/sso/oidc/{PROVIDER_ID}/login/callback/"
    environment = {
        "PATH": "/usr/bin:/bin",
        "PORT": str(port),
        "ACCOUNTS_FILE": str(accounts),
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URI": callback,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [node, "provider.js"],
            cwd=PROVIDER_DIR,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    provider = OidcProvider(f"http://127.0.0.1:{port}", accounts, log)
    try:
        deadline = time.monotonic() + 30
        while not discovery_answers(provider.issuer):
            if process.poll() is not None or time.monotonic() > deadline:
                state = (
                    f"exited with {process.returncode}"
                    if process.returncode is not None
                    else "still running, not answering, after 30 s"
                )
                raise AssertionError(
                    f"the provider on port {port} did not start ({state}):\n"
                    f"{log.read_text()}"
                )
            time.sleep(0.05)
        yield provider
    finally:
        process.terminate()
        process.wait(timeout=10)
