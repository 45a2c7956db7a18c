from django.urls import path
from django_q.models import Failure

from backoffice.views.jobs import FailedJobDeleteView, FailedJobIndexView, FailedJobInspectView, FailedJobRetryView

from .base import FAILED_JOBS, BackOfficeViewSet


class FailedJobViewSet(BackOfficeViewSet):
    """Background jobs that failed (django-q2's Failure rows), with Retry and Delete (each with a reason, audited)."""

    model = Failure
    name = FAILED_JOBS
    icon = "warning"
    menu_label = "Failed jobs"
    index_view_class = FailedJobIndexView
    inspect_view_class = FailedJobInspectView

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("retry/<str:pk>/", self.construct_view(FailedJobRetryView), name="retry"),
            path("delete/<str:pk>/", self.construct_view(FailedJobDeleteView), name="discard"),
        ]
