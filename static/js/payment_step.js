/*
 * The checkout's 3-D Secure step with Stripe (loaded only when the Stripe gateway is configured).
 * Stripe.js opens the bank's check; whatever it answers, the form then posts to our confirm view,
 * which asks Stripe whether the payment went through: the browser's word never pays a booking.
 * Without JavaScript the button posts the form directly, and the server says where things stand.
 */
(function () {
  "use strict";

  var step = document.querySelector("[data-stripe-payment-step]");
  if (!step || typeof window.Stripe !== "function") {
    return;
  }
  var form = step.querySelector("form[data-payment-step-form]");
  var error = step.querySelector("[data-payment-step-error]");
  var stripe = window.Stripe(step.getAttribute("data-publishable-key"));
  var clientSecret = step.getAttribute("data-client-secret");

  function authenticate() {
    // handleNextAction is Stripe's call for a payment confirmed by the server; confirmCardPayment
    // does the same for a card payment waiting for its next action (and is what localstripe's stand-in has).
    if (typeof stripe.handleNextAction === "function") {
      return stripe.handleNextAction({ clientSecret: clientSecret });
    }
    return stripe.confirmCardPayment(clientSecret);
  }

  var started = false;
  form.addEventListener("submit", function (event) {
    if (started) {
      return; // the bank answered: let the form reach our confirm view
    }
    event.preventDefault();
    started = true;
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      if (button.dataset.busyLabel) {
        button.textContent = button.dataset.busyLabel;
      }
    });
    authenticate()
      .then(function (result) {
        if (result && result.error && result.error.message && error) {
          error.textContent = result.error.message;
          error.hidden = false;
        }
      })
      .catch(function () {
        /* the server asks Stripe either way */
      })
      .then(function () {
        form.submit();
      });
  });
})();
