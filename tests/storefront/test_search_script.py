"""The search page's script (static/js/search.js) run by Node against a stub page.

The stubs stand for the search form (the words box and its <datalist>, the place box, the
hidden latitude/longitude fields, the "Use my location" button and its message line), for
``fetch`` answering the suggestions API, and for the browser's geolocation. Skipped where
Node is not installed.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

NODE = shutil.which("node")
SCRIPT = Path(settings.BASE_DIR) / "static" / "js" / "search.js"

pytestmark = pytest.mark.skipif(NODE is None, reason="needs Node.js to run the script")

HARNESS = """
const fs = require("fs");
const [mode, script] = process.argv.slice(2);
const calls = [];
const listeners = {};
const input = (name, value) => ({
  name, value, disabled: false,
  setAttribute() {},
  addEventListener(type, listener) { listeners[name + ":" + type] = listener; },
});
const words = input("q", "");
const place = input("place", "Brooklyn, NY");
const latitude = input("latitude", "");
const longitude = input("longitude", "");
const locate = { hidden: true, disabled: false, addEventListener(type, l) { listeners["locate:" + type] = l; } };
const message = { hidden: true, textContent: "" };
const list = {
  children: [],
  get firstChild() { return this.children[0] || null; },
  removeChild(child) { this.children.splice(this.children.indexOf(child), 1); },
  appendChild(child) { this.children.push(child); },
  set innerHTML(value) { calls.push(["innerHTML", value]); },
};
const form = {
  getAttribute(name) { return name === "data-suggestions-url" ? "/api/v1/catalog/search/suggestions" : null; },
  querySelector(selector) {
    return {
      "input[name=q]": words, "input[name=place]": place, "input[name=latitude]": latitude,
      "input[name=longitude]": longitude, "[data-locate]": locate, "[data-locate-message]": message,
    }[selector] || null;
  },
  elements: [words, place, latitude, longitude],
  addEventListener(type, listener) { listeners["form:" + type] = listener; },
  querySelectorAll() { return []; },
  requestSubmit() { calls.push(["submit", place.value, latitude.value, longitude.value]); },
};
globalThis.document = {
  querySelector(selector) { return selector === "form[data-search-form]" ? form : null; },
  getElementById(id) { return id === "search-suggestions" ? list : null; },
  createElement(tag) { return { tag, value: "" }; },
};
const titles = ["Closet organizing", "<img src=x onerror=alert(1)>"];
globalThis.navigator = {
  geolocation: {
    getCurrentPosition(success, failure) {
      if (mode === "refused") failure({ code: 1 });
      else success({ coords: { latitude: 40.678212345, longitude: -73.944198765 } });
    },
  },
};
globalThis.window = {
  addEventListener() {},
  setTimeout: (callback) => { callback(); return 1; },
  clearTimeout() {},
  fetch(url) {
    calls.push(["fetch", url]);
    return Promise.resolve({ ok: true, json: () => Promise.resolve({ suggestions: titles }) });
  },
};
eval(fs.readFileSync(script, "utf8"));
if (mode === "suggest") {
  words.value = "c";
  listeners["q:input"]();
  words.value = "clo <b>";
  listeners["q:input"]();
} else if (mode === "submit") {
  words.value = "closet";
  place.value = "";
  listeners["form:submit"]();
} else {
  listeners["locate:click"]();
}
setTimeout(() => {
  console.log(JSON.stringify({
    calls, options: list.children.map((o) => [o.tag, o.value]), message, locateHidden: locate.hidden,
    place: place.value, latitude: latitude.value, longitude: longitude.value,
    disabled: [words, place, latitude, longitude].filter((e) => e.disabled).map((e) => e.name),
  }));
}, 10);
"""


def _run(tmp_path, mode: str) -> dict:
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS)
    done = subprocess.run(
        [NODE, str(harness), mode, str(SCRIPT)], capture_output=True, text=True, timeout=30, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_suggestions_are_asked_from_two_letters_and_shown_as_text(tmp_path):
    result = _run(tmp_path, "suggest")

    assert result["calls"] == [["fetch", "/api/v1/catalog/search/suggestions?q=clo%20%3Cb%3E"]]  # not for "c"
    assert result["options"] == [["option", "Closet organizing"], ["option", "<img src=x onerror=alert(1)>"]]


def test_the_location_fills_the_hidden_fields_clears_the_place_and_searches(tmp_path):
    result = _run(tmp_path, "located")

    assert result["locateHidden"] is False  # the button shows only where the script runs
    assert result["calls"] == [["submit", "", "40.67821", "-73.94420"]]


def test_a_refused_location_says_so_and_searches_nothing(tmp_path):
    result = _run(tmp_path, "refused")

    assert result["calls"] == []
    assert result["message"] == {
        "hidden": False,
        "textContent": "We could not get your location. Type a ZIP code or a city instead.",
    }
    assert result["place"] == "Brooklyn, NY"


def test_fields_left_empty_are_not_sent(tmp_path):
    result = _run(tmp_path, "submit")

    assert result["disabled"] == ["place", "latitude", "longitude"]
