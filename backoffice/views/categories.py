"""Categories: the list, and adding or editing one (name, commission, minimum fee, position, active) with a reason."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils.functional import cached_property
from wagtail.admin.ui.tables import Column, StatusTagColumn, TitleColumn
from wagtail.admin.widgets.button import HeaderButton

from backoffice.forms import CategoryForm
from backoffice.permissions import MANAGE
from marketplace.catalog.models import Category
from marketplace.catalog.selectors import category_audit_trail, category_list_for_backoffice
from marketplace.catalog.services import category_create, category_update
from marketplace.core.money import Money, to_major_units

from .base import BackOfficeIndexView, ReasonActionView, paginator_counting


def commission_label(category: Category) -> str:
    if category.commission_bps is None:
        return f"Platform default ({settings.PLATFORM_COMMISSION_BPS / 100:g}%)"
    return f"{category.commission_bps / 100:g}%"


def minimum_fee_label(category: Category) -> str:
    currency = settings.MARKETPLACE_CURRENCY
    if category.minimum_fee_minor is None:
        platform = settings.PLATFORM_MINIMUM_FEE_MINOR
        return f"Platform default ({Money(platform, currency) if platform else 'no minimum'})"
    return str(Money(category.minimum_fee_minor, currency)) if category.minimum_fee_minor else "No minimum"


def page_label(category: Category) -> str:
    page = getattr(category, "page", None)  # the reverse one-to-one may not exist
    if page is None:
        return "No page yet"
    return "Live" if page.live else "Draft"


class CategoryIndexView(BackOfficeIndexView):
    page_title = "Categories"
    paginator_class = paginator_counting("category", "categories")
    url_namespace = None
    search_fields = ["name", "slug"]
    default_ordering = "position"

    def get_backoffice_queryset(self):
        return category_list_for_backoffice().select_related("page")

    def edit_url(self, category: Category) -> str | None:
        if not self.user_has_permission(MANAGE):
            return None
        return reverse(f"{self.url_namespace}:edit", args=(quote(category.pk),))

    @cached_property
    def columns(self):
        return [
            self._get_title_column_class(TitleColumn)("name", label="Name", sort_key="name", get_url=self.edit_url),
            Column("slug", label="Slug"),
            Column("position", label="Position", sort_key="position"),
            StatusTagColumn(
                "is_active",
                label="Status",
                accessor=lambda category: "Active" if category.is_active else "Inactive",
                primary=lambda category: category.is_active,
            ),
            Column("commission", label="Commission", accessor=commission_label, sort_key="commission_bps"),
            Column("minimum_fee", label="Minimum fee", accessor=minimum_fee_label, sort_key="minimum_fee_minor"),
            Column("service_count", label="Services", sort_key="service_count"),
            Column("page", label="Page", accessor=page_label),
        ]

    @cached_property
    def header_buttons(self):
        if not self.user_has_permission(MANAGE):
            return []
        return [HeaderButton("Add category", url=reverse(f"{self.url_namespace}:add"), icon_name="plus")]


class CategoryEditView(ReasonActionView):
    """Edit a category through ``category_update``; a commission or minimum fee change is audited on its own."""

    permission_required = MANAGE
    form_class = CategoryForm
    header_icon = "tag"
    action_label = "Save category"
    reason_help_text = "Required. Kept in the audit log with your name."

    page_title = "Edit category"
    # The service names what it refuses by its own field; the form shows it next to the one typed.
    error_fields = {"commission_bps": "commission_percent", "minimum_fee_minor": "minimum_fee"}

    def get_page_title(self):
        return self.page_title

    def get_object_url(self) -> str:
        return reverse(self.index_url_name)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        category = self.object
        kwargs["initial"] = {
            "name": category.name,
            "commission_percent": None
            if category.commission_bps is None
            else Decimal(category.commission_bps).scaleb(-2),
            "minimum_fee": None
            if category.minimum_fee_minor is None
            else to_major_units(category.minimum_fee_minor, settings.MARKETPLACE_CURRENCY),
            "position": category.position,
            "is_active": category.is_active,
        }
        return kwargs

    def get_summary(self):
        category = self.object
        return [
            ("Slug", category.slug),
            ("Services", category.services.count()),
            ("Commission now", commission_label(category)),
            ("Minimum fee now", minimum_fee_label(category)),
            ("Page", page_label(category)),
        ]

    def get_history(self):
        return category_audit_trail(category=self.object)

    def perform_action(self, reason: str) -> None:
        self.object = category_update(
            admin=self.request.user, category_id=self.object.pk, reason=reason, **self.form.category_values()
        )

    def get_success_message(self) -> str:
        return f"Category “{self.object.name}” saved."


class CategoryCreateView(CategoryEditView):
    """Add a category through ``category_create``. Marketing then publishes a page that presents it."""

    action_label = "Add category"
    page_title = "Add category"

    def get_object(self):
        return None

    def get_page_subtitle(self):
        return "New category"

    def get_form_kwargs(self):
        kwargs = super(CategoryEditView, self).get_form_kwargs()
        kwargs["editing"] = False
        return kwargs

    def get_summary(self):
        return []

    def get_history(self):
        return None

    def perform_action(self, reason: str) -> None:
        self.object = category_create(admin=self.request.user, reason=reason, **self.form.category_values())

    def get_success_message(self) -> str:
        return f"Category “{self.object.name}” added. An editor can now publish a page that presents it."
