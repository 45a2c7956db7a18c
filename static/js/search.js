/*
 * The search page (templates/storefront/search.html): suggestions under the words box,
 * "Use my location", and the filters folded away on small screens. Progressive only:
 * the form works without this file. Loaded with `defer` from static files (strict CSP).
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-search-form]");
  if (!form) {
    return;
  }

  // --- Suggestions: titles from GET /api/v1/catalog/search/suggestions?q= in the <datalist>.
  var words = form.querySelector("input[name=q]");
  var list = document.getElementById("search-suggestions");
  var suggestionsUrl = form.getAttribute("data-suggestions-url");
  var SUGGEST_DELAY_MS = 200;
  var SUGGEST_MIN_LETTERS = 2;
  var timer = null;
  var pending = null;

  function showSuggestions(titles) {
    // option.value only: a title is text, never markup.
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    titles.forEach(function (title) {
      var option = document.createElement("option");
      option.value = String(title);
      list.appendChild(option);
    });
  }

  function suggest() {
    var typed = words.value.trim();
    if (typed.length < SUGGEST_MIN_LETTERS) {
      showSuggestions([]);
      return;
    }
    if (pending && pending.abort) {
      pending.abort();
    }
    pending = window.AbortController ? new AbortController() : null;
    window
      .fetch(suggestionsUrl + "?q=" + encodeURIComponent(typed), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: pending ? pending.signal : undefined,
      })
      .then(function (response) {
        return response.ok ? response.json() : { suggestions: [] };
      })
      .then(function (body) {
        showSuggestions(Array.isArray(body.suggestions) ? body.suggestions.slice(0, 8) : []);
      })
      .catch(function () {
        // Aborted by a newer keystroke, or offline: the box works without suggestions.
      });
  }

  if (words && list && suggestionsUrl && window.fetch) {
    words.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(suggest, SUGGEST_DELAY_MS);
    });
  }

  // --- Use my location: the browser's position in the hidden latitude/longitude fields, then search.
  var locate = form.querySelector("[data-locate]");
  var message = form.querySelector("[data-locate-message]");
  var place = form.querySelector("input[name=place]");
  var latitude = form.querySelector("input[name=latitude]");
  var longitude = form.querySelector("input[name=longitude]");

  function say(text) {
    if (message) {
      message.textContent = text;
      message.hidden = !text;
    }
  }

  if (locate && latitude && longitude && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      locate.disabled = true;
      say("Finding your location\u2026");
      navigator.geolocation.getCurrentPosition(
        function (position) {
          latitude.value = position.coords.latitude.toFixed(5);
          longitude.value = position.coords.longitude.toFixed(5);
          if (place) {
            place.value = ""; // a place or a location, not both
          }
          say("");
          form.requestSubmit ? form.requestSubmit() : form.submit();
        },
        function () {
          locate.disabled = false;
          say("We could not get your location. Type a ZIP code or a city instead.");
        },
        { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 }
      );
    });
  }

  // Typing a place replaces the location the button found.
  if (place && latitude && longitude) {
    place.addEventListener("input", function () {
      latitude.value = "";
      longitude.value = "";
    });
  }

  // --- A short address: the fields left empty are not sent (the server reads a missing one as empty).
  form.addEventListener("submit", function () {
    Array.prototype.forEach.call(form.elements, function (element) {
      if (element.name && !element.disabled && element.value === "") {
        element.disabled = true;
        element.setAttribute("data-emptied", "");
      }
    });
  });
  // Coming back to the page (the back button) finds the fields as they were.
  window.addEventListener("pageshow", function () {
    form.querySelectorAll("[data-emptied]").forEach(function (element) {
      element.disabled = false;
      element.removeAttribute("data-emptied");
    });
  });

  // --- Filters: folded on small screens, where they would push the results down.
  var filters = form.querySelector("details[data-filters]");
  if (filters && window.matchMedia && window.matchMedia("(max-width: 900px)").matches) {
    filters.open = false;
  }
})();
