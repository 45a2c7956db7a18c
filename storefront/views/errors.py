"""Pages for requests Django refuses before any view runs."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults

from marketplace.core.text import data_size

# Where Django logs every other 4xx; its own line for this one (with a traceback, on the
# django.security logger) is switched off in settings.LOGGING.
logger = logging.getLogger("django.request")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 handler (handler400 in marketplace/urls.py).

    A form over the body limit (REQUEST_BODY_LIMIT_MB) is not a broken request but one the
    site will not read: a 413 page that says so and names the limit. Anything else is
    Django's own 400.
    """
    if not isinstance(exception, RequestDataTooBig):
        return defaults.bad_request(request, exception)
    limit = data_size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    logger.warning("Request body over the %s limit: %s %s", limit, request.method, request.path)
    referer = request.headers.get("Referer", "")
    back = referer if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}) else ""
    context = {"limit": limit, "back_url": back}
    return render(request, "413.html", context, status=413)
