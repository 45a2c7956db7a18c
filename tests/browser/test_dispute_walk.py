"""One dispute walked in a real browser: the customer reports it, the organizer answers, support splits it.

Playwright for Python drives Debian's Chromium (``CHROMIUM``, default /usr/bin/chromium,
launched by path: no browser is downloaded) against the app served by pytest-django's live
server on 127.0.0.1. On every page it visits it runs axe-core (``tests/browser/node_modules``,
installed from npm by ``npm ci`` in this folder; never a CDN) and fails on any serious or
critical violation. Screenshots of each step go to ``var/browser/``.

Slow and needing Chromium, Node's axe-core and a free port, it runs only when
``BROWSER_TESTS=1``: ``.ci/run`` sets it once, in the PostgreSQL step, after installing both.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

from marketplace.disputes.models import Dispute
from marketplace.payments.models import Transaction
from tests.conftest import local_slot
from tests.factories import CustomerFactory
from tests.factories.bookings import past_paid_booking
from tests.payments.invariants import assert_money_invariants

HERE = Path(__file__).parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(settings.BASE_DIR) / "var" / "browser"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# The serious and critical violations on the page, each with the elements and what to fix.
AXE_RUN = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => [n.target.join(" "), n.html.slice(0, 200), n.failureSummary]),
    }))"""

pytestmark = [
    pytest.mark.skipif(os.environ.get("BROWSER_TESTS") != "1", reason="browser tests run with BROWSER_TESTS=1"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class Walk:
    """The pages one person visits, each checked by axe-core and photographed."""

    def __init__(self, browser, base_url: str, user, name: str, axe_source: str):
        # Reduced motion: Wagtail's messages slide in, and axe must not measure a colour mid-animation.
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
        session = _session_cookie(user)
        self.context.add_cookies([{**session, "url": base_url}])
        self.page = self.context.new_page()
        self.base_url = base_url
        self.name = name
        self.axe_source = axe_source
        self.steps = 0

    def visit(self, path: str) -> None:
        self.page.goto(self.base_url + path)
        self.check()

    def check(self) -> None:
        """axe-core on the page as it is now; a screenshot of it."""
        self.page.wait_for_load_state()
        # Colours are measured once the page's transitions (Wagtail's messages fade in) are over.
        self.page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")
        self.steps += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{self.name}-{self.steps}.png"), full_page=True)
        # Evaluated by the browser's debugger protocol, so the page's own Content-Security-Policy
        # (script-src 'self') does not apply to it, and the page is tested as it is served.
        self.page.evaluate(self.axe_source + ";0")
        violations = self.page.evaluate(AXE_RUN)
        assert violations == [], f"{self.page.url}:\n{json.dumps(violations, indent=1)}"


def _session_cookie(user) -> dict:
    """A signed-in session for ``user``, as the login page would make it."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    return {"name": settings.SESSION_COOKIE_NAME, "value": cookie.value}


@pytest.fixture
def chromium(monkeypatch):
    # Playwright's sync API keeps an event loop running in this thread; the test's own ORM calls
    # are still plain synchronous code, which Django allows once told (its documented escape hatch).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"BROWSER_TESTS=1 but there is no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    if not AXE.exists():
        pytest.fail(f"BROWSER_TESTS=1 but axe-core is missing: run `npm ci` in {HERE}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def test_a_dispute_from_the_customer_s_report_to_support_s_split(chromium, live_server, customer, service):
    booking = past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-1))
    support = CustomerFactory(email="support@example.com", full_name="Sam Support", role="staff", is_staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    axe = AXE.read_text()

    # The customer reports a problem from their booking page, with a photo.
    casey = Walk(chromium, live_server.url, customer, "1-customer", axe)
    casey.visit(f"/account/bookings/{booking.pk}/")
    casey.page.locator("summary", has_text="Report a problem").click()
    casey.page.select_option("select[name=reason]", "poor_quality")
    casey.page.fill("textarea[name=description]", "The closets were left as they were.")
    casey.page.set_input_files(
        "input[name=files]", files=[{"name": "closet.png", "mimeType": "image/png", "buffer": PNG}]
    )
    casey.page.get_by_role("button", name="Send the report").click()
    casey.check()
    assert "Waiting for the other side" in casey.page.content()

    # The organizer answers from the vendor area.
    organizer = Walk(chromium, live_server.url, service.vendor.user, "2-organizer", axe)
    organizer.visit(f"/vendor/bookings/{booking.pk}/")
    organizer.page.fill("textarea[name=statement]", "Two of the three closets were done; see the photo.")
    organizer.page.get_by_role("button", name="Send my answer").click()
    organizer.check()
    dispute = Dispute.objects.get(booking=booking)
    assert dispute.status == "under_review"

    # Support finds it in the back office queue and splits the money.
    sam = Walk(chromium, live_server.url, support, "3-support", axe)
    sam.visit("/admin/backoffice/disputes/")
    sam.visit(f"/admin/backoffice/disputes/{dispute.pk}/")
    sam.visit(f"/admin/backoffice/disputes/resolve/{dispute.pk}/")
    sam.page.get_by_label("Split between the customer and the organizer").check()
    sam.page.fill("input[name=refund]", "100.00")
    sam.page.fill("textarea[name=reason]", "One closet of three was left undone.")
    sam.page.get_by_role("button", name="Resolve").click()
    sam.check()
    held = sam.page.locator("dt", has_text="Held now").locator("xpath=following-sibling::dd[1]")
    assert held.inner_text() == "$0.00"  # released: the escrow holds nothing any more

    dispute.refresh_from_db()
    payment = Transaction.objects.get(booking=booking)
    assert (dispute.status, dispute.outcome, dispute.refunded_minor, dispute.decided_by) == (
        "resolved",
        "split",
        10000,
        support,
    )
    assert (payment.status, payment.refunded_minor) == ("released", 10000)
    assert_money_invariants()

    # Both sides read the decision on their booking page.
    casey.visit(f"/account/bookings/{booking.pk}/")
    assert "One closet of three was left undone." in casey.page.content()
    organizer.visit(f"/vendor/bookings/{booking.pk}/")
    assert "One closet of three was left undone." in organizer.page.content()
