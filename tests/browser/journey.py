"""What every journey checks on every page: offline, clean console, axe, layout, screenshots.

``Journey`` wraps a Playwright page of the live server; the ``journey`` fixture in
conftest.py makes one per test. The ``assert_*`` functions work on any Playwright page.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

# A phone (iPhone 12–15 class) and a common laptop width, with their window heights.
WIDTHS = {390: 844, 1280: 800}
BLOCKING_IMPACTS = ("serious", "critical")


class Journey:
    """A page of the live site watched for foreign requests and console errors.

    ``open(path)`` navigates; ``check(name)`` screenshots the page at both widths, runs
    axe at both widths and fails on anything the watchers recorded so far.
    """

    def __init__(self, page, base_url: str, test_name: str, screenshot_dir: Path):
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.origin = _origin(self.base_url)
        self.test_name = test_name
        self.screenshot_dir = screenshot_dir
        self.foreign_requests: list[str] = []
        self.console_errors: list[tuple[str, str]] = []
        self.page_errors: list[str] = []
        self.document_statuses: dict[str, int] = {}
        self.screenshots: list[Path] = []
        page.context.route("**/*", self._route)
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        page.on("response", self._on_response)

    def _route(self, route):
        url = route.request.url
        if _origin(url) == self.origin:
            route.continue_()
        else:
            self.foreign_requests.append(f"{route.request.method} {url}")
            route.abort("blockedbyclient")

    def _on_console(self, message):
        if message.type == "error":
            self.console_errors.append((message.text, message.location.get("url", "")))

    def _on_page_error(self, error):
        self.page_errors.append(f"page error: {error}")

    def _on_response(self, response):
        if response.request.is_navigation_request():
            self.document_statuses[response.url] = response.status

    def _is_echo_of_a_4xx_page(self, text: str, url: str) -> bool:
        # Chromium logs "Failed to load resource: ... status of 400" for a page that is
        # itself a 4xx answer, such as the form shown again with its errors (400) or a
        # 404 page. The page rendered and the journey asserts what it says; a failing
        # stylesheet, script or fetch (any sub-resource) and every 5xx still count.
        status = self.document_statuses.get(url)
        return (
            status is not None
            and 400 <= status < 500
            and text.startswith(
                f"Failed to load resource: the server responded with a status of {status}"
            )
        )

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on the live server."""
        return self.base_url + path

    def open(self, path: str):
        """Go to ``path`` and wait for the page and its files to load; returns the response."""
        return self.page.goto(self.url(path), wait_until="load")

    def problems(self) -> list[str]:
        """Everything the watchers recorded: foreign requests, console and page errors."""
        return [
            *(f"request to another host: {r}" for r in self.foreign_requests),
            *(
                f"console error: {text} ({url})"
                for text, url in self.console_errors
                if not self._is_echo_of_a_4xx_page(text, url)
            ),
            *self.page_errors,
        ]

    def assert_clean(self) -> None:
        """Fail, listing them, when the page asked another host or logged an error.

        What it reports is then forgotten, so the fixture's final check reports only what
        happened after the test's last check.
        """
        problems = self.problems()
        self.foreign_requests.clear()
        self.console_errors.clear()
        self.page_errors.clear()
        assert not problems, "the page was not clean:\n  " + "\n  ".join(problems)

    def check(self, name: str, *, exclude: list[str] | None = None) -> None:
        """Screenshot, axe and clean-page checks of the current page, at 390 and 1280 px.

        The page must have exactly one ``h1`` and one ``main`` landmark. ``name`` names
        the page in the screenshot files. ``exclude`` lists CSS selectors
        axe skips (only for third-party markup we do not control; say why at the call).
        At 390 px the page must not scroll sideways: a phone would cut it off.
        """
        page = self.page
        assert_one_h1_and_main(page, where=name)
        original = page.viewport_size
        try:
            for width, height in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": height})
                path = self.screenshot_dir / f"{self.test_name}--{name}--{width}px.png"
                page.screenshot(path=path, full_page=True)
                self.screenshots.append(path)
                assert_accessible(page, exclude=exclude, where=f"{name} at {width} px")
                if width < 600:
                    assert_no_sideways_scroll(page, where=f"{name} at {width} px")
        finally:
            page.set_viewport_size(original)
        self.assert_clean()


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def assert_accessible(page, *, exclude: list[str] | None = None, where: str = "") -> None:
    """Run axe-core on ``page``; fail on serious or critical violations, one line per node.

    The message names the rule, its impact, axe's help text and each offending element's
    selector, so the fix can start from the failure alone.
    """
    from axe_playwright_python.sync_playwright import Axe

    context = {"exclude": [[selector] for selector in exclude]} if exclude else None
    results = Axe().run(page, context=context, options={"resultTypes": ["violations"]})
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    if not blocking:
        return
    lines = []
    for violation in blocking:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    at {target}: {node.get('failureSummary', '').splitlines()[-1]}")
    pytest.fail(
        f"axe found {len(blocking)} serious/critical rule(s) on {where}:\n" + "\n".join(lines)
    )


def assert_no_sideways_scroll(page, *, where: str = "") -> None:
    """Fail when the document is wider than the window (text or tables cut off on a phone)."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], (
        f"{where}: the page is {widths[0]} px wide in a {widths[1]} px window"
    )


def assert_one_h1_and_main(page, *, where: str = "") -> None:
    """Fail unless the page has exactly one level-1 heading and one main landmark."""
    # A URL assertion passes as soon as navigation commits, before the new document has
    # parsed; all_inner_texts() does not wait, so wait for the page itself first.
    page.wait_for_load_state("load")
    # Without an h1 this times out quietly: the assertion below says what is missing.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.get_by_role("heading", level=1).first.wait_for(state="attached", timeout=10_000)
    headings = page.get_by_role("heading", level=1).all_inner_texts()
    assert len(headings) == 1, f"{where}: expected one h1, found {headings}"
    mains = page.get_by_role("main").count()
    assert mains == 1, f"{where}: expected one main landmark, found {mains}"
