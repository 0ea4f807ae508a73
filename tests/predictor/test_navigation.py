"""The site's navigation links to the history and batch pages, and to login/logout."""

import pytest


@pytest.mark.parametrize("path", ["/", "/history/", "/batch/", "/history/outcomes/"])
def test_every_page_links_history_batch_and_login(client, db, path):
    """The nav of each page offers History, Batch and Log in, and marks the current one."""
    response = client.get(path)
    assert response.status_code == 200
    nav = response.content.decode().split('<nav aria-label="Main">')[1].split("</nav>")[0]
    assert 'href="/history/"' in nav and ">History<" in nav
    assert 'href="/batch/"' in nav and ">Batch<" in nav
    assert 'href="/accounts/login/"' in nav
    if path in ("/history/", "/batch/"):
        assert f'href="{path}" aria-current="page"' in nav
