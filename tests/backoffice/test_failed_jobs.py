"""Failed background jobs in the back office: listed with what failed and why, retried or deleted with a reason."""

import pytest
from django.urls import reverse
from django_q.models import Failure

from marketplace.core.errors import FailedJobGone
from marketplace.core.jobs import failed_job_retry
from marketplace.core.models import AuditLogEntry
from tests.factories.jobs import failed_job

from .conftest import client_for

pytestmark = pytest.mark.django_db

CALLS: list[tuple[tuple, dict]] = []


def record_call(*args, **kwargs):
    """The job that failed before and is retried in these tests: it notes what it was called with."""
    CALLS.append((args, kwargs))


@pytest.fixture(autouse=True)
def _no_calls_yet():
    CALLS.clear()


def test_the_listing_shows_each_failed_job_with_its_arguments_and_error_escaped(admin_user):
    failure = failed_job(
        func=f"{__name__}.record_call",
        args=(12, "<script>alert(1)</script>"),
        kwargs={"vendor_id": 3},
        result="Gateway said <b>no</b> : Traceback (most recent call last):\n  File ...",
        attempts=5,
    )

    html = client_for(admin_user).get(reverse("backoffice_failed_jobs:index")).content.decode()

    assert failure.name in html
    assert f"{__name__}.record_call" in html
    assert "12, &#x27;&lt;script&gt;alert(1)&lt;/script&gt;&#x27;, vendor_id=3" in html
    assert "Gateway said &lt;b&gt;no&lt;/b&gt;" in html
    assert "<script>alert(1)" not in html and "<b>no</b>" not in html
    assert reverse("backoffice_failed_jobs:retry", args=[failure.pk]) in html
    assert reverse("backoffice_failed_jobs:discard", args=[failure.pk]) in html


def test_the_jobs_page_shows_the_whole_error_escaped(admin_user):
    failure = failed_job(result='Refused <i>now</i> : Traceback (most recent call last):\n  File "x.py"')

    html = client_for(admin_user).get(reverse("backoffice_failed_jobs:inspect", args=[failure.pk])).content.decode()

    assert "Refused &lt;i&gt;now&lt;/i&gt; : Traceback (most recent call last):\n  File &quot;x.py&quot;" in html


def test_retry_runs_the_same_function_with_the_same_arguments_and_forgets_the_failure(admin_user):
    failure = failed_job(func=f"{__name__}.record_call", args=(12, "sent"), kwargs={"vendor_id": 3}, attempts=5)

    response = client_for(admin_user).post(
        reverse("backoffice_failed_jobs:retry", args=[failure.pk]), {"reason": "SMTP is back"}
    )

    assert response.status_code == 302
    assert response.url == reverse("backoffice_failed_jobs:index")
    assert CALLS == [((12, "sent"), {"vendor_id": 3})]  # the request id travelled beside, not into, the call
    assert not Failure.objects.filter(pk=failure.pk).exists()
    entry = AuditLogEntry.objects.get(action="job.retried")
    assert (entry.actor, entry.reason, entry.target_id) == (admin_user, "SMTP is back", failure.pk)
    assert entry.data == {
        "from": "failed",
        "to": "queued",
        "func": f"{__name__}.record_call",
        "name": failure.name,
        "attempts": 5,
    }


def test_delete_forgets_the_failure_without_running_it(admin_user):
    failure = failed_job(func=f"{__name__}.record_call", args=(1,))

    response = client_for(admin_user).post(
        reverse("backoffice_failed_jobs:discard", args=[failure.pk]), {"reason": "Paid by hand"}
    )

    assert response.status_code == 302
    assert CALLS == []
    assert not Failure.objects.filter(pk=failure.pk).exists()
    assert AuditLogEntry.objects.get(action="job.deleted").data["to"] == "deleted"


def test_a_retry_needs_a_reason_and_changes_nothing_without_one(admin_user):
    failure = failed_job(func=f"{__name__}.record_call")

    response = client_for(admin_user).post(reverse("backoffice_failed_jobs:retry", args=[failure.pk]), {"reason": ""})

    assert response.status_code == 200
    assert CALLS == []
    assert Failure.objects.filter(pk=failure.pk).exists()
    assert not AuditLogEntry.objects.filter(action="job.retried").exists()


def test_a_job_retried_twice_is_refused_the_second_time_and_runs_once(admin_user):
    failure = failed_job(func=f"{__name__}.record_call")
    failed_job_retry(failure_id=failure.pk, actor=admin_user, reason="First")

    with pytest.raises(FailedJobGone):
        failed_job_retry(failure_id=failure.pk, actor=admin_user, reason="Second")

    assert len(CALLS) == 1
    assert AuditLogEntry.objects.filter(action="job.retried").count() == 1


def test_support_and_finance_do_not_see_failed_jobs(support, finance):
    failure = failed_job(func=f"{__name__}.record_call")

    for user in (support, finance):
        client = client_for(user)
        for url in (
            reverse("backoffice_failed_jobs:index"),
            reverse("backoffice_failed_jobs:inspect", args=[failure.pk]),
            reverse("backoffice_failed_jobs:retry", args=[failure.pk]),
        ):
            refused = client.get(url)
            assert (refused.status_code, refused.url) == (302, reverse("wagtailadmin_home")), url
        assert (
            client.post(reverse("backoffice_failed_jobs:retry", args=[failure.pk]), {"reason": "x"}).status_code == 302
        )

    assert CALLS == []
    assert Failure.objects.filter(pk=failure.pk).exists()
