"""What every storefront view shares: paging, role checks, and turning domain errors into messages."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from marketplace.core.errors import DomainError, NotFound, ValidationFailed
from marketplace.core.validation import validate_time_zone


def paginate(request, items, *, per_page: int = 12):
    paginator = Paginator(items, per_page)
    return paginator.get_page(request.GET.get("page"))


def forbidden(request, *, title: str, message: str, action_url: str = "", action_label: str = ""):
    return render(
        request,
        "storefront/forbidden.html",
        {"title": title, "message": message, "action_url": action_url, "action_label": action_label},
        status=403,
    )


def customer_required(view):
    """Signed in as a customer. Organizers are sent to their own area; admins to the back office."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_customer:
            return view(request, *args, **kwargs)
        if request.user.is_vendor:
            messages.info(request, "Organizer accounts manage their bookings in the organizer area.")
            return redirect("storefront:vendor_dashboard")
        return forbidden(
            request,
            title="This page is for customers",
            message="Bookings are made and managed with a customer account. Admins work in the back office.",
            action_url="/admin/",
            action_label="Open the back office",
        )

    return wrapper


def vendor_required(view):
    """Signed in as an organizer. Customers are told how to become one."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_vendor:
            return view(request, *args, **kwargs)
        return forbidden(
            request,
            title="The organizer area is for organizers",
            message=(
                "You are signed in with a customer account. To offer your services on Tidy Nest, "
                "sign out and create an organizer account."
            ),
            action_url="/",
            action_label="Back to the home page",
        )

    return wrapper


def show_domain_error(form, error: DomainError, *, fields: dict[str, str] | None = None) -> None:
    """Put a service's refusal on the form: next to the field it names, or above the form."""
    name = (fields or {}).get(error.field or "", error.field)
    if name and name in form.fields:
        form.add_error(name, error.message)
    else:
        form.add_error(None, error.message)


def not_found_from(error: DomainError) -> None:
    """Other people's objects do not exist for you: a NotFound from a service is a 404 page."""
    if isinstance(error, NotFound):
        raise Http404(error.message) from error


# The visitor's time zone as their browser reports it (static/js/app.js sets the cookie).
TIME_ZONE_COOKIE = "tz"


def visitor_time_zone(request, *, default: str) -> str:
    """The zone to show times in: a signed-in person's own, else their browser's, else ``default``.

    The cookie is the browser's word and anyone can write it: an unknown zone is ignored.
    """
    user = request.user
    if user.is_authenticated and user.time_zone:
        return user.time_zone
    reported = request.COOKIES.get(TIME_ZONE_COOKIE, "")
    try:
        return validate_time_zone(reported)
    except ValidationFailed:
        return default
