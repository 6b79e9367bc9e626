"""A real headless Chromium for page tests, driven by Playwright.

Debian's Chromium is used (`apt-get install chromium`); Playwright's own browser
downloads are not. Without Chromium the browser tests are skipped with the
reason, except on CI, where the run fails instead.
"""

import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from playwright.sync_api import Page, sync_playwright

# Headless and quiet: no sandbox (CI runs as root), and none of the background
# calls home that this machine's closed network would refuse.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is not None:
        return path
    reason = "Chromium not available: install it with 'apt-get install chromium'"
    if on_ci():
        pytest.fail(f"{reason}. CI must run the browser tests.")
    pytest.skip(reason)


@pytest.fixture
def page() -> Iterator[Page]:
    """A fresh browser page in headless Chromium."""
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_FLAGS
        )
        try:
            yield browser.new_page()
        finally:
            browser.close()


def off_the_loop[T](work: Callable[[], T]) -> T:
    """Run database work in a thread of its own, as a worker would: Playwright's
    event loop runs in the test's thread, where Django refuses synchronous
    queries. The thread's connection is closed with it."""

    def in_thread() -> T:
        try:
            return work()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(in_thread).result()
