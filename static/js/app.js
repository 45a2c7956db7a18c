/*
 * Tidy Nest: progressive enhancement only. Every page works without this file;
 * it adds small comforts (auto-submit, confirmations, no double submits).
 * Loaded with `defer` from static files, so it runs under a strict CSP.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  // The browser's time zone, for pages that show times to visitors who are not signed in
  // (storefront.views.common.visitor_time_zone); the server ignores a zone it does not know.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=" + zone) === -1) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (ignored) {
    // No Intl time zones: times stay in the organizer's zone.
  }

  // Selects marked data-autosubmit submit their form on change (e.g. an hourly booking's length).
  document.querySelectorAll("[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) {
        select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
      }
    });
  });

  // Forms marked data-confirm ask before doing something that cannot be undone.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    });
  });

  // Forms marked data-once disable their buttons after submitting: no double booking or charge.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (button) {
          button.disabled = true;
          button.setAttribute("aria-busy", "true");
          if (button.dataset.busyLabel) {
            button.textContent = button.dataset.busyLabel;
          }
        });
      }, 0);
    });
  });

  // The slot picker says which time is picked, in words, next to the button.
  var summary = document.querySelector("[data-slot-summary]");
  if (summary) {
    var text = summary.querySelector("[data-slot-summary-text]");
    var show = function (input) {
      if (input && input.checked) {
        text.textContent = input.getAttribute("data-label");
        summary.hidden = false;
      }
    };
    document.querySelectorAll("input[name=starts_at]").forEach(function (input) {
      input.addEventListener("change", function () {
        show(input);
      });
      show(input);
    });
  }

  // Messages can be dismissed.
  document.querySelectorAll("[data-dismiss]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = button.closest("[data-dismissible]");
      if (target) {
        target.remove();
      }
    });
  });

  // Dropdown menus (<details class="menu">) close on Escape and on a click elsewhere.
  var menus = document.querySelectorAll("details.menu");
  document.addEventListener("click", function (event) {
    menus.forEach(function (menu) {
      if (menu.open && !menu.contains(event.target)) {
        menu.open = false;
      }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      menus.forEach(function (menu) {
        if (menu.open) {
          menu.open = false;
          menu.querySelector("summary").focus();
        }
      });
    }
  });
})();
