"""Browser journeys: Playwright driving Debian's Chromium against pytest-django's live server.

Every journey goes through the ``journey`` fixture, which

- fails on any request to a host other than the live server (the site must work offline:
  no CDN, no font service, no analytics), aborting it so nothing leaves the machine;
- fails on any console error or uncaught page error;
- takes full-page screenshots at 390 px (a phone) and 1280 px (a laptop) wide into
  ``test-artifacts/screenshots/`` (kept after the run, never committed);
- runs axe-core (bundled in axe-playwright-python, injected into the page, nothing fetched)
  and fails on any ``serious`` or ``critical`` violation.

Run them with ``python -m pytest -m browser``; the default run leaves them out.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.browser.journey import WIDTHS, Journey

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    # The CI machine runs as root in a container, where Chromium's sandbox cannot start.
    "--no-sandbox",
    "--disable-gpu",
    # Chromium's own background traffic (updates, sync, first-run pings) would reach
    # other hosts: keep the browser as offline as the site it tests.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(config, items):
    """Skip every browser test, saying why, on a machine without Debian's Chromium."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} is absent: install Debian's chromium (`apt-get install -y chromium`)"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium (never a browser downloaded by `playwright install`)."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A laptop-sized window, English, UTC: screenshots that do not depend on the machine."""
    return {
        **browser_context_args,
        "viewport": {"width": 1280, "height": WIDTHS[1280]},
        "locale": "en-US",
        "timezone_id": "UTC",
        "service_workers": "block",
    }


@pytest.fixture(scope="session")
def playwright(playwright):
    """Playwright's sync API, with Django's ORM allowed in the test's thread.

    The sync API keeps an asyncio loop running in the main thread for the whole session,
    and Django refuses ORM calls from a thread with a running loop. The calls here are
    plain synchronous ones (fixtures creating rows, tests reading them), so the check
    only gets in the way; it stays off until the session ends because the loop does too.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield playwright


@pytest.fixture(scope="session")
def screenshot_dir():
    """``test-artifacts/screenshots/``, emptied once per run so it holds this run only."""
    shutil.rmtree(SCREENSHOT_DIR, ignore_errors=True)
    SCREENSHOT_DIR.mkdir(parents=True)
    return SCREENSHOT_DIR


@pytest.fixture
def served_model(live_server, production_model):
    """The quick test model, registered and in production in the live server's database."""
    return production_model


@pytest.fixture
def journey(page, live_server, request, screenshot_dir):
    """A ``Journey`` on a fresh page of the live server; fails at the end if anything leaked."""
    # Only Chromium runs, so its parameter would only lengthen every file name.
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name.replace("[chromium]", ""))
    watched = Journey(page, live_server.url, test_name, screenshot_dir)
    yield watched
    watched.assert_clean()
