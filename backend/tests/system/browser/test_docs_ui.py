"""The docs UI in a real headless Chromium: the README's "press Authorize and paste the token".

The server runs as a child process (`todo-api serve`, SQLite in a temporary directory); the
token comes from the installed `todo-api token` command. Every request the page makes is
recorded: none may leave the service, which is what makes the page work with no internet.
"""

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import BrowserContext, ConsoleMessage, Locator, Page, Request, expect

from tests.conftest import TEST_SECRET
from tests.support.api_process import SERVE_EXECUTABLE, ApiProcess, running_api, server_environment
from tests.support.browser import launched_chromium
from tests.support.databases import sqlite_url

pytestmark = [pytest.mark.browser, pytest.mark.slow]

USER = "docs_ui_user"
TITLE = "Written from the docs UI"
ARTIFACT = Path(__file__).resolve().parents[4] / "test-artifacts" / "docs-ui.png"
WAIT_MS = 15_000  # the bound on every single wait for the page
TEST_BUDGET_SECONDS = 120  # and on the whole test
CREATE = "operations-tasks-create_task_api_v1__user_id__tasks_post"
LIST = "operations-tasks-list_tasks_api_v1__user_id__tasks_get"


@dataclass
class PageRecord:
    """What the page did: every request, and everything that went wrong."""

    urls: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext, page: Page) -> None:
        context.on("request", self._on_request)
        page.on("requestfailed", self._on_failed)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _on_request(self, request: Request) -> None:
        self.urls.append(request.url)

    def _on_failed(self, request: Request) -> None:
        self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def foreign_urls(self, origin: str) -> list[str]:
        return [url for url in self.urls if _origin(url) != origin]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[ApiProcess]:
    environment = server_environment(sqlite_url(tmp_path), TEST_SECRET)
    async with running_api(environment, tmp_path) as process:
        yield process


async def cli_token(user_id: str, workdir: Path) -> str:
    """A token from the installed CLI, as the README tells people to get one."""
    process = await asyncio.create_subprocess_exec(
        str(SERVE_EXECUTABLE),
        "token",
        user_id,
        env=server_environment(sqlite_url(workdir), TEST_SECRET),
        cwd=workdir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode(errors="replace")
    return stdout.decode().strip()


async def docs_rendered(page: Page) -> None:
    title = page.locator(".swagger-ui .info .title")
    await expect(title).to_contain_text("Todo Task API", timeout=WAIT_MS)


async def authorize(page: Page, token: str) -> None:
    await page.locator(".swagger-ui .scheme-container button.authorize").click()
    modal = page.locator(".modal-ux")
    await modal.locator("#auth-bearer-value").fill(token)
    await modal.get_by_role("button", name="Apply credentials").click()
    await expect(modal.get_by_role("heading", name="Authorized")).to_be_visible(timeout=WAIT_MS)
    await modal.get_by_role("button", name="Close").click()


async def execute(page: Page, operation_id: str, body: str | None = None) -> Locator:
    """Expand the operation, Try it out, fill the user (and body), Execute: the answer's row."""
    operation = page.locator(f"#{operation_id}")
    if "is-open" not in (await operation.get_attribute("class") or ""):
        await operation.locator(".opblock-summary").first.click()
    toggle = operation.locator("button.try-out__btn")  # "Try it out", or "Cancel" once on
    await expect(toggle).to_be_visible(timeout=WAIT_MS)
    if (await toggle.inner_text()).strip() == "Try it out":
        await toggle.click()
    await operation.locator('tr[data-param-name="user_id"] input').fill(USER)
    if body is not None:
        await operation.locator("textarea.body-param__text").fill(body)
    await operation.get_by_role("button", name="Execute").click()
    return operation.locator(".live-responses-table tr.response").first


async def answer(row: Locator, status: str) -> str:
    """The response body the panel shows, once it shows `status`."""
    await expect(row.locator(".response-col_status")).to_have_text(status, timeout=WAIT_MS)
    body = row.locator(".response-col_description .highlight-code pre").first
    await expect(body).to_be_visible(timeout=WAIT_MS)
    return await body.inner_text()


async def test_docs_ui_authorizes_creates_and_lists_with_no_outside_request(
    api: ApiProcess, tmp_path: Path
) -> None:
    token = await cli_token(USER, tmp_path)
    record = PageRecord()
    async with asyncio.timeout(TEST_BUDGET_SECONDS), launched_chromium() as browser:
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(WAIT_MS)
        page = await context.new_page()
        record.watch(context, page)

        await page.goto(f"{api.base_url}/docs", timeout=WAIT_MS)
        await docs_rendered(page)
        await authorize(page, token)

        created = await execute(page, CREATE, json.dumps({"title": TITLE}))
        task = json.loads(await answer(created, "201"))
        assert task["title"] == TITLE

        listed = await execute(page, LIST)
        assert [item["id"] for item in json.loads(await answer(listed, "200"))] == [task["id"]]
        ARTIFACT.parent.mkdir(exist_ok=True)
        # The viewport around the list's answer: the task, as the user sees it.
        await listed.scroll_into_view_if_needed()
        await page.screenshot(path=ARTIFACT)
        print(f"docs UI screenshot: {ARTIFACT}")

        # The page stored the token: after a reload it is still sent, without pasting it again.
        await page.reload(timeout=WAIT_MS)
        await docs_rendered(page)
        authorize_button = page.locator(".swagger-ui .scheme-container button.authorize")
        await expect(authorize_button).to_have_class(re.compile(r"\blocked\b"), timeout=WAIT_MS)
        relisted = await execute(page, LIST)
        assert [item["id"] for item in json.loads(await answer(relisted, "200"))] == [task["id"]]
        await context.close()

    assert f"{api.base_url}/openapi.json" in record.urls
    assert record.foreign_urls(api.base_url) == [], record.urls
    assert record.problems == []
