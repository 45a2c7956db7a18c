"""The checkout's card field (Stripe Elements) against localstripe, without a browser.

localstripe serves a stand-in for Stripe.js at ``/js.stripe.com/v3/``. For card entry it
implements ``Stripe(key).elements()`` whose ``create("card")`` returns an element with
``mount`` and ``on("change")`` (plain inputs instead of Stripe's frame), and
``createToken``; its ``createPaymentMethod`` is an empty stub (``async () => {}``) that
makes no PaymentMethod. So these tests check what can be checked without running a
browser: the checkout page points at that Stripe.js, which localstripe serves and which
exposes the functions our card_entry.js calls; the Content-Security-Policy allows its
origin; then, playing what Stripe.js's ``createPaymentMethod`` does (a PaymentMethod
made from a card on the Stripe server), the storefront's checkout pays with its id, and
shows the bank's message when the card is declined. Node (where installed) also runs our
script on localstripe's stand-in itself, over a stub page: the card field mounts, and the
stand-in's empty answer ends in our error line, with nothing posted. Our script's own
behaviour on a success and an error is tested in tests/storefront/test_card_entry_script.py.
"""

import json
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from marketplace.bookings.models import Booking
from marketplace.payments.models import Transaction
from marketplace.payments.selectors import escrow_held
from tests.conftest import local_slot
from tests.factories.bookings import request_booking

from .conftest import localstripe_only

pytestmark = [pytest.mark.django_db, localstripe_only]

PUBLISHABLE_KEY = "pk_test_tidynest_0000000000000000"
CARD_ENTRY_SCRIPT = Path(settings.BASE_DIR) / "static" / "js" / "card_entry.js"
NODE = shutil.which("node")
# Stripe's test card numbers, which localstripe takes raw: a Visa that pays; a card that attaches but is declined.
VISA_NUMBER = "4242424242424242"
DECLINED_ON_CHARGE_NUMBER = "4000000000000341"


@pytest.fixture
def stripe_checkout(settings, server_gateway, localstripe_url):
    """The Stripe gateway on localstripe, with the checkout loading localstripe's Stripe.js."""
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_JS_URL = f"{localstripe_url}/js.stripe.com/v3/"
    return server_gateway


@pytest.fixture
def booking(customer, service):
    return request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=5))


def _payment_method_from_card(client, number: str) -> str:
    """What Stripe.js's createPaymentMethod makes from the card typed into Elements."""
    card = {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    return client.v1.payment_methods.create(params={"type": "card", "card": card}).id


def _fetch(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read().decode()


def test_the_checkout_loads_localstripes_stripe_js_which_has_what_our_script_calls(
    stripe_checkout, localstripe_url, client, customer, booking
):
    client.force_login(customer)

    page = client.get(reverse("storefront:booking_pay", args=[booking.pk]))

    html = page.content.decode()
    stripe_js, ours = re.findall(r'<script src="([^"]+)"', html)[-2:]
    assert stripe_js == f"{localstripe_url}/js.stripe.com/v3/"
    assert re.fullmatch(r"/static/js/card_entry[^/]*\.js", ours)
    assert f'data-publishable-key="{PUBLISHABLE_KEY}"' in html
    assert "data-card-element" in html
    status, content_type, script = _fetch(stripe_js)
    assert (status, content_type.split(";")[0]) == (200, "application/javascript")
    assert "Stripe = (apiKey) =>" in script
    assert "elements: () =>" in script  # Stripe(key).elements()...
    assert "create: function(type, options)" in script  # ....create("card")
    assert "mount(domElement)" in script and "on(event, handler)" in script
    assert "createPaymentMethod: async () => {}," in script  # there, but makes nothing: our script says so
    source = CARD_ENTRY_SCRIPT.read_text()
    assert 'stripe.elements().create("card")' in source
    assert "card.mount(mountPoint)" in source
    assert 'card.on("change"' in source
    assert 'stripe.createPaymentMethod({ type: "card", card: card })' in source
    policy = page["Content-Security-Policy"]
    assert f"script-src 'self' {localstripe_url};" in policy
    assert f"frame-src {localstripe_url} https://hooks.stripe.com;" in policy
    assert f"connect-src 'self' {localstripe_url} https://api.stripe.com;" in policy


def test_a_payment_method_made_from_a_typed_card_pays_the_booking(
    stripe_checkout, server_client, client, customer, booking
):
    client.force_login(customer)
    payment_method = _payment_method_from_card(server_client, VISA_NUMBER)
    assert re.fullmatch(r"pm_[A-Za-z0-9_]+", payment_method)

    response = client.post(reverse("storefront:booking_pay", args=[booking.pk]), {"payment_method": payment_method})

    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:booking_detail", args=[booking.pk])
    assert Booking.objects.get().status == "confirmed"
    payment = Transaction.objects.get()
    assert (payment.status, payment.gateway) == ("held", "stripe")
    intent = server_client.v1.payment_intents.retrieve(payment.payment_reference)
    assert (intent.status, intent.payment_method) == ("succeeded", payment_method)
    assert escrow_held(currency="USD") == 30000


def test_a_declined_typed_card_shows_the_banks_message_and_pays_nothing(
    stripe_checkout, server_client, client, customer, booking
):
    client.force_login(customer)
    payment_method = _payment_method_from_card(server_client, DECLINED_ON_CHARGE_NUMBER)

    response = client.post(reverse("storefront:booking_pay", args=[booking.pk]), {"payment_method": payment_method})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Your card was declined. No money was taken. Try another card."
    ]
    assert "data-card-element" in response.content.decode()
    assert Booking.objects.get().status == "requested"
    assert not Transaction.objects.exists()


# A stub page just big enough for localstripe's stand-in (its mount adds inputs) and our script.
STAND_IN_HARNESS = """
const fs = require("fs");
const [standInPath, standInUrl, ours] = process.argv.slice(2);
globalThis.window = globalThis;
class Node_ {
  constructor(tag) { this.tag = tag; this.children = []; this.parentElement = null; this.style = {}; }
  setAttribute(name, value) { this[name] = value; }
  appendChild(child) { child.parentElement = this; this.children.push(child); }
  remove() {}
  focus() {}
  addEventListener() {}
}
window.Element = Node_;
const mountPoint = new Node_("div");
const error = { hidden: true, textContent: "" };
const field = { value: "" };
const button = { disabled: true, dataset: {}, innerHTML: "Pay", setAttribute() {}, removeAttribute() {} };
const posted = [];
let onSubmit = null;
const form = {
  getAttribute() { return "pk_test_1"; },
  querySelector(selector) {
    const parts = { "[data-card-element]": mountPoint, "[data-card-error]": error };
    return parts[selector] || (selector === "input[name=payment_method]" ? field : null);
  },
  querySelectorAll() { return [button]; },
  addEventListener(type, listener) { if (type === "submit") onSubmit = listener; },
  submit() { posted.push(field.value); },
};
globalThis.document = {
  currentScript: { src: standInUrl },
  getElementsByTagName() { return []; },
  createElement(tag) { return new Node_(tag); },
  querySelector(selector) { return selector === "form[data-card-form]" ? form : null; },
};
console.log = () => {};  // the stand-in announces itself
(0, eval)(fs.readFileSync(standInPath, "utf8"));
(0, eval)(fs.readFileSync(ours, "utf8"));
const inputs = mountPoint.children.filter((child) => child.tag === "input").map((child) => child.placeholder);
const enabled = !button.disabled;
const number = mountPoint.children.find((child) => child.placeholder === "number");
number.value = "4242424242424242";
number.oninput({ target: number });  // the stand-in's change listeners get no event
const afterTyping = { ...error };
onSubmit({ preventDefault() {} });
setTimeout(() => {
  process.stdout.write(JSON.stringify({ inputs, enabled, afterTyping, error, posted, field: field.value }) + "\\n");
}, 0);
"""


@pytest.mark.skipif(NODE is None, reason="needs Node.js to run the scripts")
def test_our_script_on_localstripes_stand_in_mounts_the_field_and_posts_nothing_without_a_payment_method(
    stripe_checkout, localstripe_url, tmp_path
):
    stand_in_url = f"{localstripe_url}/js.stripe.com/v3/"
    stand_in = tmp_path / "stand_in.js"
    stand_in.write_text(_fetch(stand_in_url)[2])
    harness = tmp_path / "harness.js"
    harness.write_text(STAND_IN_HARNESS)

    done = subprocess.run(
        [NODE, str(harness), str(stand_in), stand_in_url, str(CARD_ENTRY_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )

    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["inputs"] == ["number", "exp_month", "exp_year", "cvc", "postal_code"]  # mounted by the stand-in
    assert result["enabled"] is True
    assert result["afterTyping"] == {"hidden": True, "textContent": ""}
    assert result["error"] == {
        "hidden": False,
        "textContent": "Your card could not be checked. Please check its details and try again.",
    }
    assert (result["posted"], result["field"]) == ([], "")
