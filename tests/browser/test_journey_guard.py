"""The journey fixture's own watchers: they must catch what they promise to catch."""

import pytest

from tests.browser.journey import assert_accessible

pytestmark = pytest.mark.browser


# The site's Content-Security-Policy already stops such a fetch inside the browser; it is
# bypassed here so that the fixture's own guard, which covers what a CSP does not, is tested.
@pytest.mark.browser_context_args(bypass_csp=True)
def test_it_blocks_and_reports_a_request_to_another_host(journey, transactional_db):
    """A fetch to another host never leaves the machine and is reported by name."""
    journey.open("/models/")
    journey.page.evaluate("() => fetch('http://cdn.example.invalid/lib.js').catch(() => null)")
    with pytest.raises(AssertionError, match="request to another host: GET http://cdn.example"):
        journey.assert_clean()


def test_it_reports_a_console_error_and_an_uncaught_exception(journey, transactional_db):
    """console.error and a thrown error both fail the page."""
    journey.open("/models/")
    journey.page.evaluate(
        "() => { console.error('boom'); setTimeout(() => { throw new Error('bang'); }); }"
    )
    journey.page.wait_for_timeout(100)
    with pytest.raises(AssertionError) as failure:
        journey.assert_clean()
    assert "console error: boom" in str(failure.value) and "bang" in str(failure.value)


def test_it_reports_a_missing_stylesheet_but_not_a_404_page(journey, transactional_db):
    """A 404 page is what the journey looks at; a 404 sub-resource is a broken page."""
    response = journey.open("/no-such-page/")
    assert response.status == 404
    journey.assert_clean()
    journey.page.evaluate(
        """() => new Promise(done => {
            const link = document.createElement('link');
            link.rel = 'stylesheet'; link.href = '/static/css/missing.css'; link.onerror = done;
            document.head.append(link);
        })"""
    )
    with pytest.raises(AssertionError, match="status of 404.*missing.css"):
        journey.assert_clean()


def test_it_reports_axe_violations_by_rule_impact_and_element(journey, transactional_db):
    """An image without alt text fails with the rule id, its impact and the element."""
    journey.open("/models/")
    journey.page.evaluate(
        "() => { const img = document.createElement('img'); img.id = 'no-alt';"
        " img.src = '/static/img/favicon.svg'; document.querySelector('main').append(img); }"
    )
    with pytest.raises(pytest.fail.Exception, match=r"image-alt \(critical\)[\s\S]*#no-alt"):
        assert_accessible(journey.page, where="models with an unlabelled image")
