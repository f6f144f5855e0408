"""The Next.js reference client (examples/nextjs) in Chromium against a real `todo-api serve`.

What a user of the API would do: sign up with Better Auth, create, list newest first with the
count, toggle, edit with If-Match from the list item, delete; a second user sees nothing of the
first's; with the API stopped the page shows BACKEND_UNAVAILABLE. Once per credential the app
can send (TOKEN_MODE, and the cookie cache's strategy for the forwarded cookie). The API's
BETTER_AUTH_URL is the app's exact origin: it fetches the JWKS from the app's /api/auth/jwks.
"""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.conftest import TEST_SECRET
from tests.support.api_process import free_port, running_api, server_environment, stop
from tests.support.browser import launched_chromium
from tests.support.databases import sqlite_url
from tests.support.nextjs import app_environment, build_app, require_node, running_app

pytestmark = [pytest.mark.reference_client, pytest.mark.browser, pytest.mark.slow]

WAIT_MS = 20_000  # each wait for the page: a server action may retry for a few seconds
TEST_BUDGET_SECONDS = 180  # the whole flow for one credential
PASSWORD = "correct-horse-battery"
SESSION_DATA = "better-auth.session_data"  # the cookie cache (http: no __Secure- prefix)

# TOKEN_MODE, COOKIE_CACHE_STRATEGY
MODES = {
    "plugin-token": ("plugin", "compact"),
    "minted-token": ("minted", "compact"),
    "cookie-jwt": ("cookie", "jwt"),
    "cookie-compact": ("cookie", "compact"),
    "cookie-jwe": ("cookie", "jwe"),
}


@pytest.fixture(scope="module")
async def built_app() -> None:
    require_node()
    # Better Auth reads its settings at run time; the build only needs them to load quietly.
    await build_app(
        app_environment(BETTER_AUTH_SECRET=TEST_SECRET, BETTER_AUTH_URL="http://127.0.0.1")
    )


@pytest.fixture(scope="module")
async def browser(built_app: None) -> AsyncIterator[Browser]:
    async with launched_chromium() as launched:
        yield launched


async def sign_up(page: Page, origin: str, name: str) -> None:
    await page.goto(origin)
    form = page.get_by_test_id("sign-up")
    await form.get_by_placeholder("Name").fill(name)
    await form.get_by_placeholder("Email").fill(f"{name}@example.com")
    await form.get_by_placeholder("Password").fill(PASSWORD)
    await form.get_by_role("button", name="Sign up").click()
    await expect(page.get_by_test_id("user")).to_have_text(f"{name}@example.com", timeout=WAIT_MS)


async def create(page: Page, title: str) -> None:
    form = page.get_by_test_id("create")
    await form.get_by_placeholder("Title").fill(title)
    await form.get_by_role("button", name="Add").click()


async def expect_tasks(page: Page, titles: list[str]) -> None:
    """The list shows exactly these titles in this order, the count (X-Total-Count), no error.

    The page's error area, when it shows one, is the first thing a failure reports.
    """
    noun = "task" if len(titles) == 1 else "tasks"
    try:
        await expect(page.get_by_test_id("task").locator(".title")).to_have_text(
            titles, timeout=WAIT_MS
        )
        await expect(page.get_by_test_id("count")).to_have_text(
            f"{len(titles)} {noun}", timeout=WAIT_MS
        )
        await expect(page.get_by_test_id("error")).to_have_count(0, timeout=WAIT_MS)
    except AssertionError as failure:
        shown = await page.get_by_test_id("error").all_inner_texts()
        raise AssertionError(f"the page shows {shown}: {failure}") from None


def row(page: Page, title: str) -> Locator:
    return page.get_by_test_id("task").filter(has_text=title)


@pytest.mark.parametrize("mode", list(MODES))
async def test_reference_client_against_the_api(
    mode: str, browser: Browser, tmp_path: Path
) -> None:
    token_mode, strategy = MODES[mode]
    origin = f"http://127.0.0.1:{free_port()}"
    api_environment = server_environment(sqlite_url(tmp_path), TEST_SECRET, BETTER_AUTH_URL=origin)
    async with asyncio.timeout(TEST_BUDGET_SECONDS), running_api(api_environment, tmp_path) as api:
        settings = app_environment(
            BETTER_AUTH_URL=origin,
            BETTER_AUTH_SECRET=TEST_SECRET,
            BACKEND_URL=api.base_url,
            TOKEN_MODE=token_mode,
            COOKIE_CACHE_STRATEGY=strategy,
        )
        port = int(origin.rsplit(":", 1)[1])
        async with running_app(settings, port, tmp_path / "next.log"):
            context = await browser.new_context()
            context.set_default_timeout(WAIT_MS)
            outside: list[str] = []
            context.on(
                "request",
                lambda request: (
                    None if request.url.startswith(origin) else outside.append(request.url)
                ),
            )
            page = await context.new_page()

            await sign_up(page, origin, f"ada-{mode}")
            await expect_tasks(page, [])
            await create(page, "First task")
            await expect_tasks(page, ["First task"])
            await create(page, "Second task")
            await expect_tasks(page, ["Second task", "First task"])  # newest first

            await row(page, "First task").get_by_role("checkbox").click()
            await expect(row(page, "First task").get_by_role("checkbox")).to_be_checked(
                timeout=WAIT_MS
            )

            await row(page, "Second task").get_by_role("button", name="Edit").click()
            edit = page.get_by_test_id("edit")
            await edit.locator('input[name="title"]').fill("Second task, edited")
            await edit.get_by_role("button", name="Save").click()  # PUT with If-Match
            await expect_tasks(page, ["Second task, edited", "First task"])

            await row(page, "First task").get_by_role("button", name="Delete").click()
            await expect_tasks(page, ["Second task, edited"])

            # The cookie cache past its maxAge: the browser has dropped session_data. A render
            # (server component) still lists, with a fresh value it cannot store; the next
            # server action stores it again (nextCookies). The list shows what the API stored.
            await context.clear_cookies(name=SESSION_DATA)
            await page.reload()
            await expect_tasks(page, ["Second task, edited"])
            assert SESSION_DATA not in {cookie["name"] for cookie in await context.cookies()}
            await row(page, "Second task, edited").get_by_role("checkbox").click()
            await expect(row(page, "Second task, edited").get_by_role("checkbox")).to_be_checked(
                timeout=WAIT_MS
            )
            assert SESSION_DATA in {cookie["name"] for cookie in await context.cookies()}

            other = await browser.new_context()
            other.set_default_timeout(WAIT_MS)
            other_page = await other.new_page()
            await sign_up(other_page, origin, f"grace-{mode}")
            await expect_tasks(other_page, [])
            await other.close()

            await stop(api.process)
            await create(page, "Written while the API is down")
            await expect(page.get_by_test_id("error")).to_contain_text(
                "BACKEND_UNAVAILABLE", timeout=WAIT_MS
            )
            await context.close()
            assert outside == []
