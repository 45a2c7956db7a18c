"""Our checkout script (static/js/payment_step.js) run by Node against a stub page and a stub Stripe.js.

No browser is installed here: the stubs stand for the step page's element and form and
for Stripe.js (handleNextAction, as Stripe's has it; or only confirmCardPayment, as
localstripe's stand-in has it). The script must call the one there is with the page's
client secret, then post the form to our confirm view whatever Stripe.js answered
(the server asks Stripe for the truth). Skipped where Node is not installed.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

NODE = shutil.which("node")
SCRIPT = Path(settings.BASE_DIR) / "static" / "js" / "payment_step.js"

pytestmark = pytest.mark.skipif(NODE is None, reason="needs Node.js to run the script")

HARNESS = """
const fs = require("fs");
const [mode, script] = process.argv.slice(2);
const calls = [];
const button = { disabled: false, dataset: { busyLabel: "Waiting for your bank..." }, textContent: "Authenticate",
                 setAttribute(name, value) { this[name] = value; } };
const error = { hidden: true, textContent: "" };
let onSubmit = null;
const form = {
  querySelectorAll() { return [button]; },
  addEventListener(type, listener) { if (type === "submit") onSubmit = listener; },
  submit() { calls.push(["submit"]); report(); },
};
const step = {
  getAttribute(name) {
    return { "data-publishable-key": "pk_test_1", "data-client-secret": "pi_1_secret_2" }[name];
  },
  querySelector(selector) { return selector.includes("form") ? form : error; },
};
globalThis.document = { querySelector(selector) { return selector === "[data-stripe-payment-step]" ? step : null; } };
globalThis.window = {
  Stripe(key) {
    calls.push(["Stripe", key]);
    const stripe = {
      confirmCardPayment(secret) {
        calls.push(["confirmCardPayment", secret]);
        return Promise.resolve({ error: { message: "We are unable to authenticate your payment method." } });
      },
    };
    if (mode === "stripe") {
      stripe.handleNextAction = (options) => {
        calls.push(["handleNextAction", options.clientSecret]);
        return Promise.resolve({ paymentIntent: { status: "succeeded" } });
      };
    }
    return stripe;
  },
};
let prevented = false;
function report() {
  console.log(JSON.stringify({ calls, prevented, button: [button.disabled, button.textContent], error }));
}
eval(fs.readFileSync(script, "utf8"));
onSubmit({ preventDefault() { prevented = true; } });
"""


def _run(tmp_path, mode: str) -> dict:
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS)
    done = subprocess.run(
        [NODE, str(harness), mode, str(SCRIPT)], capture_output=True, text=True, timeout=30, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_with_stripe_js_it_hands_the_client_secret_to_handle_next_action_then_posts_the_form(tmp_path):
    result = _run(tmp_path, "stripe")

    assert result["calls"] == [["Stripe", "pk_test_1"], ["handleNextAction", "pi_1_secret_2"], ["submit"]]
    assert result["prevented"] is True  # the form waits for the bank's answer
    assert result["button"] == [True, "Waiting for your bank..."]
    assert result["error"] == {"hidden": True, "textContent": ""}


def test_with_localstripes_stand_in_it_calls_confirm_card_payment_and_posts_even_a_failure(tmp_path):
    result = _run(tmp_path, "localstripe")

    assert result["calls"] == [["Stripe", "pk_test_1"], ["confirmCardPayment", "pi_1_secret_2"], ["submit"]]
    assert result["error"] == {"hidden": False, "textContent": "We are unable to authenticate your payment method."}
