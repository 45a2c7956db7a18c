"""Failed background jobs (django-q2's Failure rows): what failed, with what, why; Retry or Delete with a reason.

A job is here from its first failure; the broker delivers it again until Q_CLUSTER
``max_attempts`` (the "Attempts" column says how far it got). Every job is safe to run
twice (``marketplace.core.jobs``), so Retry queues it again as it was; Delete forgets one
whose work was done another way. Both go through the core's services, which write the
audit entry; the listing shows the latest of them under the failures.
"""

from __future__ import annotations

from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.text import Truncator
from django_q.models import Failure
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.widgets.button import ListingButton

from backoffice.permissions import RETRY
from marketplace.core.jobs import failed_job_delete, failed_job_history, failed_job_retry

from .base import BackOfficeIndexView, BackOfficeInspectView, ReasonActionView, paginator_counting

ARGUMENTS_SHOWN = 120  # characters of a job's arguments in the listing (the job's page shows them whole)
ERROR_SHOWN = 160  # characters of the error's first line in the listing


def job_arguments_text(failure: Failure) -> str:
    """The arguments as Python would write the call: 12, 'sent', vendor_id=3 (escaped when shown, like all text)."""
    parts = [repr(value) for value in failure.args or ()]
    parts += [f"{name}={value!r}" for name, value in (failure.kwargs or {}).items()]
    return ", ".join(parts) or "—"


def job_error_text(failure: Failure) -> str:
    """The error's message: the first line of what django-q2 kept ("message : traceback")."""
    result = str(failure.result or "")
    return result.split(" : Traceback", 1)[0].strip().splitlines()[0] if result.strip() else "—"


class FailedJobIndexView(BackOfficeIndexView):
    page_title = "Failed jobs"
    template_name = "backoffice/jobs/index.html"
    paginator_class = paginator_counting("failed job", "failed jobs")
    search_fields = ["name", "func"]
    default_ordering = "-stopped"
    url_namespace = None

    def get_backoffice_queryset(self):
        return Failure.objects.all()

    @cached_property
    def verbose_name_plural(self):
        return "failed jobs"

    @cached_property
    def columns(self):
        return [
            self._get_title_column_class(TitleColumn)(
                "name", label="Job", sort_key="name", get_url=self.get_inspect_url
            ),
            Column("func", label="Function", sort_key="func"),
            Column(
                "arguments",
                label="Arguments",
                accessor=lambda f: Truncator(job_arguments_text(f)).chars(ARGUMENTS_SHOWN),
            ),
            Column("error", label="Error", accessor=lambda f: Truncator(job_error_text(f)).chars(ERROR_SHOWN)),
            DateColumn("stopped", label="Failed", sort_key="stopped"),
            Column("attempt_count", label="Attempts", sort_key="attempt_count"),
        ]

    def get_list_buttons(self, instance):
        buttons = []
        if self.user_has_permission(RETRY):
            buttons += [
                ListingButton(
                    "Retry", url=reverse(f"{self.url_namespace}:retry", args=(quote(instance.pk),)), priority=10
                ),
                ListingButton(
                    "Delete", url=reverse(f"{self.url_namespace}:discard", args=(quote(instance.pk),)), priority=20
                ),
            ]
        return buttons + super().get_list_buttons(instance)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["history"] = failed_job_history(limit=20)
        return context


class FailedJobInspectView(BackOfficeInspectView):
    """One failed job: its function, arguments and the whole error with its traceback."""

    page_title = "Failed job"
    template_name = "backoffice/jobs/inspect.html"
    url_namespace = None

    def get_backoffice_queryset(self):
        return Failure.objects.all()

    def get_page_subtitle(self):
        return self.object.name

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        failure = self.object
        context.update(
            failure=failure,
            arguments=job_arguments_text(failure),
            can_retry=self.user_has_permission(RETRY),
            retry_url=reverse(f"{self.url_namespace}:retry", args=(quote(failure.pk),)),
            discard_url=reverse(f"{self.url_namespace}:discard", args=(quote(failure.pk),)),
        )
        return context


class _FailedJobActionView(ReasonActionView):
    permission_required = RETRY
    index_label = "Failed jobs"
    reason_help_text = "Required. Kept in the audit log with your name."

    def get_backoffice_queryset(self):
        return Failure.objects.all()

    def get_page_subtitle(self):
        return self.object.name

    def get_object_url(self) -> str:
        return reverse(self.index_url_name)  # the job is gone once retried or deleted

    def get_summary(self):
        failure = self.object
        return [
            ("Job", failure.name),
            ("Function", failure.func),
            ("Arguments", job_arguments_text(failure)),
            ("Error", job_error_text(failure)),
            ("Failed", failure.stopped),
            ("Attempts", failure.attempt_count),
        ]


class FailedJobRetryView(_FailedJobActionView):
    """Queue the job again with the same function and arguments (``failed_job_retry``)."""

    header_icon = "rotate"
    action_label = "Retry job"
    intro = "The job is queued again as it was and leaves this list; if it fails again, it comes back."

    def perform_action(self, reason: str) -> None:
        failed_job_retry(failure_id=self.object.pk, actor=self.request.user, reason=reason)

    def get_success_message(self) -> str:
        return f"Job “{self.object.name}” queued again."


class FailedJobDeleteView(_FailedJobActionView):
    """Forget the failed job without running it (``failed_job_delete``)."""

    header_icon = "bin"
    action_label = "Delete failed job"
    submit_classname = "button no"
    intro = "The job will not run again. Delete it only when its work was done another way."

    def perform_action(self, reason: str) -> None:
        failed_job_delete(failure_id=self.object.pk, actor=self.request.user, reason=reason)

    def get_success_message(self) -> str:
        return f"Failed job “{self.object.name}” deleted."
