"""Building blocks shared by the back-office screens.

Views are thin: check the back-office permission policy, read through selectors,
call one domain service for a change, and turn a DomainError into a message.
"""

from __future__ import annotations

from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton
from wagtail.permissions import policy_registry

from backoffice.forms import ReasonForm
from backoffice.permissions import EXPORT, VIEW
from backoffice.spreadsheets import FORMATS
from marketplace.core.errors import DomainError


class BackOfficePermissionMixin:
    """Asks the model's back-office permission policy before anything else happens.

    The check runs in ``setup()``, before any object is looked up, so a user without
    access is refused the same way whether or not the id exists. Wagtail turns the
    PermissionDenied into its standard "no permission" redirect (403 for XHR).
    """

    model = None
    permission_required = VIEW

    def setup(self, request, *args, **kwargs):
        policy = policy_registry.get_by_type(self.model)
        if not policy.user_has_permission(request.user, self.permission_required):
            raise PermissionDenied
        super().setup(request, *args, **kwargs)


def paginator_counting(singular: str, plural: str) -> type[WagtailPaginator]:
    """A paginator whose "N items" label names what the listing shows, not the model."""
    return type("BackOfficePaginator", (WagtailPaginator,), {"verbose_name": singular, "verbose_name_plural": plural})


class BackOfficeIndexView(BackOfficePermissionMixin, generic.IndexView):
    """A read-only Wagtail listing: rows link to the inspect (detail) view.

    A listing with an export (``exportable``, set by its viewset) shows "Export CSV" and
    "Export XLSX" to those who may export. Wagtail's own ``?export=csv`` is switched off: it
    writes the listing's queryset from memory (XLSX in a BytesIO), asks only the "view"
    permission, and with no ``list_export`` it wrote one blank line per row. The parameter
    now leads to the listing's own export, which checks the ``export`` permission itself.
    """

    exportable = False
    url_namespace = None

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.is_export = False

    def get(self, request, *args, **kwargs):
        wanted = request.GET.get("export")
        if self.exportable and wanted in FORMATS:
            return redirect(self.export_url(wanted))
        return super().get(request, *args, **kwargs)

    def export_url(self, file_format: str) -> str:
        """The export of this listing in ``file_format``, for the period in the query (``from``, ``to``) if any."""
        period = {name: self.request.GET[name] for name in ("from", "to") if self.request.GET.get(name)}
        url = reverse(f"{self.url_namespace}:export_{file_format}")
        return f"{url}?{urlencode(period)}" if period else url

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.exportable and self.user_has_permission(EXPORT):
            buttons += [
                HeaderButton(f"Export {file_format.upper()}", url=self.export_url(file_format), icon_name="download")
                for file_format in FORMATS
            ]
        return buttons

    def get_base_queryset(self):
        return self.get_backoffice_queryset()

    def get_backoffice_queryset(self):
        return self.model._default_manager.all()


class BackOfficeInspectView(BackOfficePermissionMixin, generic.InspectView):
    """A detail page rendered from a template of its own rather than a field list."""

    def get_fields(self):
        return []

    def get_object(self, queryset=None):
        return get_object_or_404(self.get_backoffice_queryset(), pk=self.pk)

    def get_backoffice_queryset(self):
        return self.model._default_manager.all()


class BackOfficeTemplateView(BackOfficePermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """A back-office page that is not about one object (e.g. ledger balances)."""

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]


class ReasonActionView(BackOfficePermissionMixin, WagtailAdminTemplateMixin, FormView):
    """An admin action on one object, confirmed with a reason.

    GET shows the form; a valid POST calls ``perform_action(reason)``, which calls one
    domain service. The service writes the audit entry with the reason. If it raises a
    DomainError (an illegal transition, a payout already released...), its transaction
    rolled back, nothing changed, and the error is shown as a message: never a 500.
    """

    template_name = "backoffice/reason_form.html"
    form_class = ReasonForm
    index_url_name = None
    inspect_url_name = None
    action_label = ""
    reason_required = True
    reason_label = "Reason"
    reason_help_text = ""
    submit_classname = "button"
    intro = ""
    # A DomainError's field -> the form field it belongs next to, where their names differ.
    error_fields: dict[str, str] = {}
    # Show every refusal on the form (above it when it names no field of the form), not as a message:
    # for actions where the admin will likely correct their input and try again.
    errors_on_form = False

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = self.get_object()

    def get_object(self):
        return get_object_or_404(self.get_backoffice_queryset(), pk=self.kwargs["pk"])

    def get_backoffice_queryset(self):
        return self.model._default_manager.all()

    def perform_action(self, reason: str) -> None:
        raise NotImplementedError

    def get_success_message(self) -> str:
        raise NotImplementedError

    def get_page_title(self):
        return self.action_label

    def get_page_subtitle(self):
        return str(self.object)

    def get_object_url(self) -> str:
        """Where the object is shown: its detail page, or the listing."""
        if self.inspect_url_name:
            return reverse(self.inspect_url_name, args=(quote(self.object.pk),))
        return reverse(self.index_url_name)

    def get_success_url(self) -> str:
        return self.get_object_url()

    def get_breadcrumbs_items(self):
        items = [{"url": reverse(self.index_url_name), "label": self.index_label}]
        if self.inspect_url_name:
            items.append({"url": self.get_object_url(), "label": str(self.object)})
        items.append({"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()})
        return self.breadcrumbs_items + items

    @cached_property
    def index_label(self) -> str:
        return self.model._meta.verbose_name_plural.capitalize()

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(required=self.reason_required, label=self.reason_label, help_text=self.reason_help_text)
        return kwargs

    def get_summary(self) -> list[tuple[str, object]]:
        """(label, value) pairs that remind the admin what they are acting on."""
        return []

    def get_history(self):
        """The object's audit trail, shown under the form when the form is the object's own page."""
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            object=self.object,
            summary=self.get_summary(),
            intro=self.intro,
            action_url=self.request.path,
            cancel_url=self.get_object_url(),
            submit_label=self.action_label,
            submit_classname=self.submit_classname,
            history=self.get_history(),
        )
        return context

    def form_valid(self, form):
        self.form = form  # actions with more fields than the reason read them from here
        try:
            self.perform_action(form.cleaned_data["reason"])
        except DomainError as error:
            field = self.error_fields.get(error.field, error.field)
            if field in form.fields or self.errors_on_form:
                form.add_error(field if field in form.fields else None, error.message)
                return self.form_invalid(form)
            messages.error(self.request, error.message)
            return redirect(self.get_object_url())
        messages.success(self.request, self.get_success_message())
        return redirect(self.get_success_url())

    def form_invalid(self, form):
        messages.error(self.request, "Nothing was changed. Please correct the error below.")
        return super().form_invalid(form)
