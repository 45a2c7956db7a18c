from django.conf import settings
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from api.errors import api_path_not_found
from api.main import api
from storefront import urls as storefront_urls
from storefront.views import accounts as storefront_accounts

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", api.urls),
    re_path(r"^api/", api_path_not_found),  # unknown API addresses get a JSON 404
    # allauth's sign-up view, with the accounts service's refusals shown on the form
    path("accounts/signup/", storefront_accounts.SignupView.as_view()),
    path("accounts/", include("allauth.urls")),
    path("", include(storefront_urls)),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves every other path from the page tree (home, categories, landing pages, portfolios).
urlpatterns.append(path("", include(wagtail_urls)))
