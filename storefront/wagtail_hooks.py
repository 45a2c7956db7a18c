"""The storefront's wiring into the Wagtail admin: what editors may not do to its pages."""

from django.shortcuts import redirect
from django.urls import reverse
from wagtail import hooks
from wagtail.admin import messages

from marketplace.catalog.selectors import service_list_in_category

from .models import CategoryPage, VendorPortfolioPage

NAMED_SERVICES = 5


def _category_pages_in_use(pages) -> list[tuple[CategoryPage, list]]:
    """Category pages among ``pages`` or below them whose category still has services."""
    in_use = []
    for page in pages:
        candidates = CategoryPage.objects.descendant_of(page, inclusive=True).select_related("category")
        for category_page in candidates:
            services = list(service_list_in_category(category=category_page.category)[: NAMED_SERVICES + 1])
            if services:
                in_use.append((category_page, services))
    return in_use


def _refusal(category_page: CategoryPage, services: list) -> str:
    named = ", ".join(f"“{s.title}” ({s.vendor.business_name})" for s in services[:NAMED_SERVICES])
    more = " and more" if len(services) > NAMED_SERVICES else ""
    return (
        f"“{category_page.title}” cannot be deleted: it presents the category “{category_page.category.name}”, "
        f"which still lists services: {named}{more}. Its organizers move them to another category first, "
        "or an admin retires the category in the back office; you can unpublish the page meanwhile."
    )


@hooks.register("before_delete_page")
def refuse_deleting_category_pages_in_use(request, page):
    """Deleting a category page (or a page above one) whose services customers still find is refused."""
    in_use = _category_pages_in_use([page])
    if not in_use:
        return None
    for category_page, services in in_use:
        messages.error(request, _refusal(category_page, services))
    return redirect(reverse("wagtailadmin_explore", args=[page.get_parent().pk]))


@hooks.register("before_bulk_action")
def refuse_bulk_deleting_category_pages_in_use(request, action_type, objects, action_class_instance):
    if action_type != "delete":
        return None
    in_use = _category_pages_in_use(objects)
    if not in_use:
        return None
    for category_page, services in in_use:
        messages.error(request, _refusal(category_page, services))
    return redirect(action_class_instance.next_url or reverse("wagtailadmin_home"))


PORTFOLIO_DELETE_REFUSAL = (
    "“{title}” is {organizer}'s portfolio: editors moderate portfolios but do not delete them. "
    "Unpublish it to take it off the site; an admin can delete it."
)


def _portfolios_refused(request, pages) -> list:
    """Portfolio pages among ``pages`` or below them, unless the user is an admin (who may delete them)."""
    if request.user.is_superuser or getattr(request.user, "is_platform_admin", False):
        return []
    found = []
    for page in pages:
        found += list(VendorPortfolioPage.objects.descendant_of(page, inclusive=True).select_related("vendor"))
    return found


@hooks.register("before_delete_page")
def refuse_editors_deleting_portfolios(request, page):
    refused = _portfolios_refused(request, [page])
    for portfolio in refused:
        messages.error(request, PORTFOLIO_DELETE_REFUSAL.format(title=portfolio.title, organizer=portfolio.vendor))
    return redirect(reverse("wagtailadmin_explore", args=[page.get_parent().pk])) if refused else None


@hooks.register("before_bulk_action")
def refuse_editors_bulk_deleting_portfolios(request, action_type, objects, action_class_instance):
    if action_type != "delete":
        return None
    refused = _portfolios_refused(request, objects)
    for portfolio in refused:
        messages.error(request, PORTFOLIO_DELETE_REFUSAL.format(title=portfolio.title, organizer=portfolio.vendor))
    return redirect(action_class_instance.next_url or reverse("wagtailadmin_home")) if refused else None
