"""Our card field script (static/js/card_entry.js) run by Node against a stub page and a stub Stripe.js.

No browser is installed here: the stubs stand for the checkout's form (its card mount
point, error line, hidden payment_method field and button) and for Stripe.js
(``Stripe(key).elements().create("card")`` and ``createPaymentMethod``). The script must
mount the card field, then on submit ask Stripe.js for a PaymentMethod and post the form
with its id; when Stripe.js answers with an error (or with nothing, as localstripe's
stand-in does), show the message and post nothing. Skipped where Node is not installed.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

NODE = shutil.which("node")
SCRIPT = Path(settings.BASE_DIR) / "static" / "js" / "card_entry.js"

pytestmark = pytest.mark.skipif(NODE is None, reason="needs Node.js to run the script")

HARNESS = """
const fs = require("fs");
const [mode, script] = process.argv.slice(2);
const calls = [];
const button = {
  disabled: true, dataset: { busyLabel: "Processing payment..." }, innerHTML: "<svg></svg>Pay $300.00",
  set textContent(value) { this.innerHTML = value; },
  setAttribute(name, value) { this[name] = value; }, removeAttribute(name) { delete this[name]; },
};
const error = { hidden: true, textContent: "" };
const field = { name: "payment_method", value: "" };
const mountPoint = { id: "card-mount" };
let onSubmit = null;
const form = {
  getAttribute(name) { return { "data-publishable-key": "pk_test_1" }[name]; },
  querySelector(selector) {
    if (selector === "[data-card-element]") return mountPoint;
    if (selector === "[data-card-error]") return error;
    if (selector === "input[name=payment_method]") return field;
    return null;
  },
  querySelectorAll(selector) { return selector === "button[type=submit]" ? [button] : []; },
  addEventListener(type, listener) { if (type === "submit") onSubmit = listener; },
  submit() { calls.push(["submit", field.value]); },
};
globalThis.document = { querySelector(selector) { return selector === "form[data-card-form]" ? form : null; } };
let onChange = null;
const answers = {
  success: () => Promise.resolve({ paymentMethod: { id: "pm_1QxYz2AbCdEf", type: "card" } }),
  error: () => Promise.resolve({ error: { type: "validation_error", message: "Your card number is incomplete." } }),
  empty: async () => {},  // localstripe's stand-in: createPaymentMethod: async () => {}
  odd: () => Promise.resolve({ paymentMethod: { id: "tok_visa" } }),
  reject: () => Promise.reject(new Error("network")),
  throw: () => { throw new Error("IntegrationError"); },
};
globalThis.window = {};
if (mode !== "nostripe") {
  globalThis.window.Stripe = (key) => {
    calls.push(["Stripe", key]);
    return {
      elements() {
        calls.push(["elements"]);
        return {
          create(type) {
            calls.push(["create", type]);
            const card = {
              mount(target) { calls.push(["mount", target.id]); },
              on(type, listener) { if (type === "change") onChange = listener; },
            };
            return card;
          },
        };
      },
      createPaymentMethod(options) {
        calls.push(["createPaymentMethod", options.type, options.card && typeof options.card.mount]);
        return answers[mode]();
      },
    };
  };
}
eval(fs.readFileSync(script, "utf8"));
const state = () => ({ button: [button.disabled, button.innerHTML], error: { ...error }, field: field.value });
const log = { afterLoad: state() };
let prevented = 0;
const submitEvent = { preventDefault() { prevented += 1; } };
if (mode === "change") {
  onChange({ complete: false, error: { message: "Your card's expiration date is in the past." } });
  log.afterBadChange = state();
  onChange({ complete: true });
  log.afterGoodChange = state();
} else if (onSubmit) {
  onSubmit(submitEvent);
  onSubmit(submitEvent);  // a second click while Stripe.js is still answering
  log.whileWaiting = state();
}
setTimeout(() => {
  log.end = state();
  console.log(JSON.stringify({ calls, prevented, ...log }));
}, 0);
"""

PAY = "<svg></svg>Pay $300.00"
LOADED = [["Stripe", "pk_test_1"], ["elements"], ["create", "card"], ["mount", "card-mount"]]
ASKED = [["createPaymentMethod", "card", "function"]]
NO_ERROR = {"hidden": True, "textContent": ""}


def _run(tmp_path, mode: str) -> dict:
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS)
    done = subprocess.run(
        [NODE, str(harness), mode, str(SCRIPT)], capture_output=True, text=True, timeout=30, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_it_mounts_the_card_field_and_enables_the_button(tmp_path):
    result = _run(tmp_path, "change")

    assert result["calls"] == LOADED
    assert result["afterLoad"] == {"button": [False, PAY], "error": NO_ERROR, "field": ""}


def test_the_card_fields_own_errors_show_under_it_and_clear_when_fixed(tmp_path):
    result = _run(tmp_path, "change")

    assert result["afterBadChange"]["error"] == {
        "hidden": False,
        "textContent": "Your card's expiration date is in the past.",
    }
    assert result["afterGoodChange"]["error"] == NO_ERROR


def test_on_success_the_payment_method_id_goes_into_the_field_and_the_form_posts_once(tmp_path):
    result = _run(tmp_path, "success")

    assert result["calls"] == [*LOADED, *ASKED, ["submit", "pm_1QxYz2AbCdEf"]]
    assert result["prevented"] == 2  # the browser's own submit never posts: the script posts once
    assert result["whileWaiting"]["button"] == [True, "Processing payment..."]
    assert result["end"]["field"] == "pm_1QxYz2AbCdEf"
    assert result["end"]["error"] == NO_ERROR


def test_a_stripe_js_error_shows_its_message_and_posts_nothing(tmp_path):
    result = _run(tmp_path, "error")

    assert result["calls"] == [*LOADED, *ASKED]  # no submit
    assert result["end"] == {
        "button": [False, PAY],  # ready for another try
        "error": {"hidden": False, "textContent": "Your card number is incomplete."},
        "field": "",
    }


@pytest.mark.parametrize("mode", ["empty", "odd", "reject", "throw"])
def test_no_payment_method_from_stripe_js_posts_nothing(tmp_path, mode):
    result = _run(tmp_path, mode)

    assert result["calls"] == [*LOADED, *ASKED]
    assert result["end"] == {
        "button": [False, PAY],
        "error": {
            "hidden": False,
            "textContent": "Your card could not be checked. Please check its details and try again.",
        },
        "field": "",
    }


def test_without_stripe_js_the_button_stays_disabled_and_says_why(tmp_path):
    result = _run(tmp_path, "nostripe")

    assert result["calls"] == []
    assert result["end"] == {
        "button": [True, PAY],
        "error": {
            "hidden": False,
            "textContent": "The card field could not load. Check your connection and reload this page.",
        },
        "field": "",
    }
