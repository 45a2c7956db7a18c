import re

from django.conf import settings
from django.urls import include, path, re_path
from django.views.static import serve
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from api.errors import api_path_not_found
from api.main import api
from marketplace.core import health, metrics
from storefront import seo
from storefront import urls as storefront_urls
from storefront.views import accounts as storefront_accounts

urlpatterns = [
    # Probes for load balancers, systemd and Kubernetes (docs/operations.md): no session, no auth.
    path("health", health.health_view, name="health"),
    path("ready", health.ready_view, name="ready"),
    path("metrics", metrics.metrics_view, name="metrics"),  # Prometheus: METRICS_TOKEN or METRICS_ALLOWED_IPS
    path("sitemap.xml", seo.sitemap_xml, name="sitemap"),
    path("robots.txt", seo.robots_txt, name="robots"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", api.urls),
    re_path(r"^api/", api_path_not_found),  # unknown API addresses get a JSON 404
    # allauth's sign-up view, with the accounts service's refusals shown on the form
    path("accounts/signup/", storefront_accounts.SignupView.as_view()),
    path("accounts/", include("allauth.urls")),
    path("", include(storefront_urls)),
]

if settings.SERVE_MEDIA:
    # Not django.conf.urls.static.static(): that one serves nothing unless DEBUG is on.
    media_prefix = re.escape(settings.MEDIA_URL.lstrip("/"))
    urlpatterns.append(re_path(rf"^{media_prefix}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}))

# A form over the body limit (REQUEST_BODY_LIMIT_MB) gets the site's 413 page; other 400s Django's.
handler400 = "storefront.views.errors.bad_request"

# Wagtail serves every other path from the page tree (home, categories, landing pages, portfolios).
urlpatterns.append(path("", include(wagtail_urls)))
