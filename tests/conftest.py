import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from marketplace.accounts.tokens import api_session_start
from marketplace.catalog.models import PricingModel

from .api_contract import ContractWatch
from .factories import (
    PASSWORD,
    AdminFactory,
    CustomerFactory,
    ServiceFactory,
    VendorFactory,
    VendorUserFactory,
    make_category,
    with_weekly_hours,
)
from .hypothesis_profiles import load_hypothesis_profile

load_hypothesis_profile()
CONTRACT = ContractWatch()


def pytest_configure(config):
    CONTRACT.install()


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    name = "PostgreSQL" if engine == "postgresql" else "SQLite" if engine == "sqlite3" else engine
    return f"database: {name} ({settings.DATABASES['default'].get('HOST') or settings.DATABASES['default']['NAME']})"


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _api_contract():
    """Every API answer in the test must be one the OpenAPI document describes (tests/api_contract.py)."""
    CONTRACT.violations.clear()
    yield
    found, CONTRACT.violations[:] = list(CONTRACT.violations), []
    if found and not CONTRACT.record_to:
        pytest.fail("The API answered outside its OpenAPI document:\n" + "\n".join(dict.fromkeys(found)))


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_private_files():
    """Private files (dispute evidence) are kept in memory in tests: every test starts with none."""
    from django.core.files.storage import storages

    def empty(storage, folder: str = "") -> None:
        try:
            folders, files = storage.listdir(folder)
        except FileNotFoundError:
            return
        for name in files:
            storage.delete(f"{folder}/{name}" if folder else name)
        for name in folders:
            empty(storage, f"{folder}/{name}" if folder else name)

    empty(storages["private"])
    yield
    empty(storages["private"])


class ApiClient:
    """A thin JSON client for /api/v1/ that can act as a user (bearer token)."""

    prefix = "/api/v1/"

    def __init__(self):
        self.client = Client()
        self.token: str | None = None

    def as_user(self, user) -> "ApiClient":
        self.token = api_session_start(user=user).access
        return self

    def anonymous(self) -> "ApiClient":
        self.token = None
        return self

    def _headers(self, headers: dict | None) -> dict:
        result = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        result.update(headers or {})
        return result

    def _url(self, path: str) -> str:
        return self.prefix + path.lstrip("/")

    def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        return self.client.get(self._url(path), params or {}, headers=self._headers(headers))

    def _send(self, method: str, path: str, body, headers: dict | None):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body if body is not None else {}, default=str)
        return getattr(self.client, method)(
            self._url(path), data=data, content_type="application/json", headers=self._headers(headers)
        )

    def post(self, path: str, body=None, headers: dict | None = None):
        return self._send("post", path, body, headers)

    def put(self, path: str, body=None, headers: dict | None = None):
        return self._send("put", path, body, headers)

    def patch(self, path: str, body=None, headers: dict | None = None):
        return self._send("patch", path, body, headers)

    def delete(self, path: str, headers: dict | None = None):
        return self.client.delete(self._url(path), headers=self._headers(headers))


@pytest.fixture
def api() -> ApiClient:
    return ApiClient()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def customer(db):
    return CustomerFactory(email="casey@example.com", full_name="Casey Customer", time_zone="America/New_York")


@pytest.fixture
def other_customer(db):
    return CustomerFactory(email="olive@example.com", full_name="Olive Other")


@pytest.fixture
def admin_user(db):
    return AdminFactory(email="admin@example.com", full_name="Ada Admin")


@pytest.fixture
def category(db):
    return make_category("Home decluttering")


@pytest.fixture
def category_page(category):
    """The live storefront page that presents ``category``."""
    return category.page


@pytest.fixture
def vendor(db):
    """A verified organizer, open every day 08:00-20:00 New York time."""
    return with_weekly_hours(VendorFactory(business_name="Calm Spaces", slug="calm-spaces"))


@pytest.fixture
def other_vendor(db):
    return with_weekly_hours(VendorFactory(business_name="Box & Order", slug="box-and-order"))


@pytest.fixture
def unverified_vendor_user(db):
    return VendorUserFactory(email="newbie@example.com")


@pytest.fixture
def service(vendor, category):
    """A fixed-price, instantly bookable 3-hour service at $300.00."""
    return ServiceFactory(vendor=vendor, category=category, title="Whole-home declutter", base_price_minor=30000)


@pytest.fixture
def hourly_service(vendor, category):
    return ServiceFactory(
        vendor=vendor,
        category=category,
        title="Hourly organizing help",
        pricing_model=PricingModel.HOURLY,
        base_price_minor=8550,
        duration_minutes=120,
    )


@pytest.fixture
def quote_service(vendor, category):
    return ServiceFactory(
        vendor=vendor,
        category=category,
        title="Full move management",
        pricing_model=PricingModel.QUOTE,
        base_price_minor=0,
        duration_minutes=480,
        instant_booking=False,
    )


def local_slot(days_ahead: int = 3, at: time = time(10, 0), zone: str = "America/New_York") -> datetime:
    """A start time ``days_ahead`` days from today at ``at`` local time, as an aware datetime."""
    day = timezone.now().astimezone(ZoneInfo(zone)).date() + timedelta(days=days_ahead)
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone))


@pytest.fixture
def slot():
    return local_slot()


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def make_vendor(db):
    """Make an organizer in a given verification status, open every day 08:00-20:00 New York time."""
    from marketplace.vendors.models import VerificationStatus

    def make(status: str = VerificationStatus.VERIFIED, **fields):
        return with_weekly_hours(VendorFactory(verification_status=status, **fields))

    return make


@pytest.fixture
def no_rate_limits(settings):
    """Tests that send many requests in a row should not meet the API's rate limits."""
    settings.API_RATE_LIMITS = {"auth": "10000/min", "search": "10000/min", "booking": "10000/min"}
