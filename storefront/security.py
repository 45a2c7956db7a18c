"""The storefront's Content-Security-Policy, and whether its pages may load Stripe.js.

Every storefront page runs only our own scripts (``static/js``, loaded from the site
itself, never inline). Stripe.js is the one outside script, and only when the Stripe
gateway is configured: the checkout's card field (Stripe Elements, in Stripe's frame) and
its 3-D Secure step need it, and nothing else does. Its origin is then allowed for scripts,
frames (the card field, the bank's challenge) and connections, which is what Stripe
documents for Elements; with the local gateway the policy allows no other origin at all.

The Wagtail admin (``/admin/``, the back office too), the API (its docs page) and
Django's own error pages use inline scripts and set their own rules: the policy is
applied to storefront HTML only.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
# Paths whose pages are not the storefront's (they carry inline scripts of their own).
NOT_STOREFRONT = ("/admin/", "/api/", "/documents/")
# Where Stripe.js opens the bank's challenge, and the API it calls (Stripe's documented CSP).
STRIPE_FRAME_ORIGINS = ("https://hooks.stripe.com",)
STRIPE_CONNECT_ORIGINS = ("https://api.stripe.com",)


def stripe_js_url() -> str:
    """Stripe.js's address when the Stripe gateway is configured with a publishable key; else empty."""
    if settings.PAYMENTS_GATEWAY == "stripe" and settings.STRIPE_PUBLISHABLE_KEY and settings.STRIPE_JS_URL:
        return settings.STRIPE_JS_URL
    return ""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy() -> str:
    """The storefront's policy: our own origin only, plus Stripe's when Stripe.js may load."""
    scripts, frames, connections = ["'self'"], ["'none'"], ["'self'"]
    stripe_js = stripe_js_url()
    if stripe_js:
        stripe_origin = _origin(stripe_js)
        scripts.append(stripe_origin)
        frames = [stripe_origin, *STRIPE_FRAME_ORIGINS]
        connections += [stripe_origin, *STRIPE_CONNECT_ORIGINS]
    directives = {
        "default-src": ["'self'"],
        "script-src": scripts,
        "style-src": ["'self'", "'unsafe-inline'"],  # style attributes; scripts are what the policy guards
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": connections,
        "frame-src": frames,
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],  # the admin's page preview frames storefront pages
    }
    return "; ".join(f"{name} {' '.join(dict.fromkeys(values))}" for name, values in directives.items())


class ContentSecurityPolicyMiddleware:
    """Sets the storefront's Content-Security-Policy on its HTML pages (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            HEADER not in response
            and not request.path.startswith(NOT_STOREFRONT)
            and response.get("Content-Type", "").startswith("text/html")
            and not (settings.DEBUG and response.status_code >= 400)  # Django's technical error pages are inline
        ):
            response[HEADER] = content_security_policy()
        return response
