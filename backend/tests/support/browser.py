"""Debian's Chromium driven by Playwright's async API, or a skip that says why.

No browser can be downloaded here, so Playwright launches the system's `chromium`. Where it
or Playwright's driver is missing the browser tests skip with the reason, unless
REQUIRE_BROWSER=1 (CI) asks for a failure instead.
"""

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import NoReturn

from playwright.async_api import Browser, async_playwright
from playwright.async_api import Error as PlaywrightError

from tests.support.requirements import missing

DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing the browser would fetch on its own (updates, sync, QUIC probes).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # the suite runs as root in CI, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAUNCH_TIMEOUT_MS = 30_000


def browser_unavailable(reason: str) -> NoReturn:
    missing(
        f"Chromium for the browser tests is unavailable: {reason}", required_by="REQUIRE_BROWSER"
    )


def chromium_executable() -> Path:
    if DEFAULT_CHROMIUM.is_file():
        return DEFAULT_CHROMIUM
    found = shutil.which("chromium")
    if found is None:
        browser_unavailable(f"neither {DEFAULT_CHROMIUM} nor `chromium` on PATH")
    return Path(str(found))


@asynccontextmanager
async def launched_chromium() -> AsyncIterator[Browser]:
    executable = chromium_executable()
    try:
        playwright = await async_playwright().start()
    except (PlaywrightError, OSError) as error:
        browser_unavailable(f"Playwright's driver did not start: {error}")
    try:
        try:
            browser = await playwright.chromium.launch(
                executable_path=executable,
                args=CHROMIUM_ARGS,
                headless=True,
                timeout=LAUNCH_TIMEOUT_MS,
            )
        except PlaywrightError as error:
            browser_unavailable(f"{executable} did not start: {error}")
        try:
            yield browser
        finally:
            await browser.close()
    finally:
        await playwright.stop()
