"""Helpers for the browser tests: Debian's Chromium driven by Playwright,
people logged in, screenshots, and what a browser keeps after logout."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    async_playwright,
)

from tests.conftest import ROOT, World

CHROMIUM = os.environ.get("PHONGHOP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
SCREENSHOTS = ROOT / "docs" / "screenshots"
LAPTOP: ViewportSize = {"width": 1366, "height": 768}
PROJECTOR: ViewportSize = {"width": 1920, "height": 1080}
# What a laptop may keep after logout: the device's language and name.
DEVICE_KEYS = {"phonghop.lang", "phonghop.device"}


def require_built() -> None:
    """The server serves clients/*/dist; without them every test would fail
    for a reason that has nothing to do with the clients."""
    missing = [c for c in ("web", "display")
               if not (ROOT / "clients" / c / "dist" / "index.html").exists()]
    if missing:
        pytest.fail(f"clients/{'/dist, clients/'.join(missing)}/dist missing: run `make clients`",
                    pytrace=False)
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)",
                    pytrace=False)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    playwright: Playwright
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                   headless=True)
        try:
            yield browser
        finally:
            await browser.close()


class Person:
    """One browser context: a laptop (or the projector) with one person on it."""

    def __init__(self, context: BrowserContext, page: Page, base: str) -> None:
        self.context = context
        self.page = page
        self.base = base
        self.errors: list[str] = []
        self.sockets: list[Any] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("websocket", lambda ws: self.sockets.append(ws))

    @classmethod
    async def open(cls, browser: Browser, base: str, *, viewport: ViewportSize = LAPTOP,
                   lang: str = "vi-VN") -> Person:
        context = await browser.new_context(viewport=viewport, locale=lang,
                                            timezone_id="Asia/Ho_Chi_Minh")
        return cls(context, await context.new_page(), base)

    async def login_api(self, username: str, password: str) -> None:
        """Log in without the login screen: the session cookie lands in this context."""
        response = await self.context.request.post(
            f"{self.base}/api/login", data={"username": username, "password": password})
        assert response.ok, await response.text()

    async def login_ui(self, username: str, password: str, path: str = "/") -> None:
        await self.page.goto(self.base + path)
        await self.page.fill("#login-username", username)
        await self.page.fill("#login-password", password)
        await self.page.click("form.login button[type=submit]")

    async def goto(self, path: str) -> None:
        await self.page.goto(self.base + path)

    async def storage(self) -> dict[str, Any]:
        """Everything of the person a page could leave in the browser."""
        kept: dict[str, Any] = await self.page.evaluate("""async () => ({
            local: Object.keys(localStorage),
            session: Object.keys(sessionStorage),
            caches: 'caches' in self ? await caches.keys() : [],
            idb: indexedDB.databases ? (await indexedDB.databases()).map((d) => d.name) : [],
            workers: navigator.serviceWorker
              ? (await navigator.serviceWorker.getRegistrations()).length : 0,
        })""")
        kept["cookies"] = [c["name"] for c in await self.context.cookies()]
        return kept

    async def close(self) -> None:
        await self.context.close()


async def shot(page: Page, name: str, *, full_page: bool = False) -> None:
    """A screenshot under test-artifacts/browser/; with PHONGHOP_SCREENSHOTS=1
    also the current one for docs/screenshots/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    if os.environ.get("PHONGHOP_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SCREENSHOTS / f"{name}.png")


def make_pdf(pages: list[str]) -> bytes:
    """A small PDF, one paragraph of text per page."""
    import pymupdf

    doc = pymupdf.open()
    try:
        for text in pages:
            page = doc.new_page(width=595, height=842)
            page.insert_textbox(pymupdf.Rect(60, 80, 535, 760), text, fontsize=18)
            page.draw_rect(pymupdf.Rect(40, 40, 555, 802), color=(0.04, 0.24, 0.57), width=2)
        data: bytes = doc.tobytes()
        return data
    finally:
        doc.close()


async def upload(base: str, token: str, meeting: int, data: bytes, filename: str,
                 **params: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        r = await client.post(f"/api/meetings/{meeting}/documents",
                              params={"filename": filename, **params}, content=data,
                              headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.text
    document: dict[str, Any] = r.json()["document"]
    return document


@dataclass
class Stage:
    """A meeting of its own on the module's server (conftest's build_world):
    its people log in as `code-who`."""

    world: World
    code: str

    def username(self, who: str) -> str:
        return f"{self.code}-{who}"

    @property
    def meeting(self) -> int:
        return self.world.meeting_id

    def user(self, who: str) -> int:
        return self.world.users[who]


@dataclass
class ReadingStage(Stage):
    """A stage with one readable document."""

    document: dict[str, Any]

    @property
    def doc(self) -> int:
        return int(self.document["id"])
