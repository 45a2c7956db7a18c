/*
 * The checkout's card field with Stripe (loaded only when the Stripe gateway is configured).
 * Stripe Elements shows the card field in Stripe's own frame, so card numbers never reach our
 * server. On submit, Stripe.js turns the card into a PaymentMethod (pm_...); its id goes into the
 * form's payment_method field and the form posts to our checkout, which pays with it exactly as
 * with any other payment method (and sends the customer to the 3-D Secure step when the bank asks).
 * When Stripe.js answers with an error, the message shows under the field and nothing is posted.
 * Without JavaScript the button stays disabled and the page says that card payment needs it.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-card-form]");
  if (!form) {
    return;
  }
  var mountPoint = form.querySelector("[data-card-element]");
  var error = form.querySelector("[data-card-error]");
  var field = form.querySelector("input[name=payment_method]");
  var buttons = form.querySelectorAll("button[type=submit]");
  var PAYMENT_METHOD_ID = /^pm_[A-Za-z0-9_]+$/;
  var UNREADABLE = "Your card could not be checked. Please check its details and try again.";

  function showError(message) {
    error.textContent = message || "";
    error.hidden = !message;
  }

  function setBusy(busy) {
    buttons.forEach(function (button) {
      button.disabled = busy;
      if (busy) {
        button.setAttribute("aria-busy", "true");
        button.dataset.idleLabel = button.innerHTML;
        if (button.dataset.busyLabel) {
          button.textContent = button.dataset.busyLabel;
        }
      } else {
        button.removeAttribute("aria-busy");
        if (button.dataset.idleLabel) {
          button.innerHTML = button.dataset.idleLabel;
        }
      }
    });
  }

  if (typeof window.Stripe !== "function") {
    // Stripe.js did not load (blocked or offline): the button stays disabled rather than post no card.
    showError("The card field could not load. Check your connection and reload this page.");
    return;
  }
  var stripe = window.Stripe(form.getAttribute("data-publishable-key"));
  var card = stripe.elements().create("card");
  card.mount(mountPoint);
  card.on("change", function (event) {
    // Stripe's card element reports what is wrong as the customer types; clear it once fixed.
    showError(event && event.error ? event.error.message : "");
  });
  buttons.forEach(function (button) {
    button.disabled = false;
  });

  var paying = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault(); // form.submit() below does not come back here
    if (paying) {
      return;
    }
    paying = true;
    setBusy(true);
    showError("");
    field.value = "";
    // Inside a promise, so that even a Stripe.js that throws ends in the error line, not a stuck button.
    new Promise(function (resolve) {
      resolve(stripe.createPaymentMethod({ type: "card", card: card }));
    })
      .then(function (result) {
        var method = result && result.paymentMethod;
        if (method && typeof method.id === "string" && PAYMENT_METHOD_ID.test(method.id)) {
          field.value = method.id;
          form.submit();
          return;
        }
        showError(result && result.error && result.error.message ? result.error.message : UNREADABLE);
        paying = false;
        setBusy(false);
      })
      .catch(function () {
        showError(UNREADABLE);
        paying = false;
        setBusy(false);
      });
  });
})();
