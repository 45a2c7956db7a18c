"""Storefront forms: they check the shape of the input; the domain services check the rules.

A form that passes here may still be refused by a service (a taken slot, a declined
card, an unverified organizer); the view then shows the service's message on the
form, next to the field it names.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.conf import settings
from django.utils import timezone

from marketplace.accounts.models import Role
from marketplace.availability.limits import BOOKING_RULE_FIELDS, SLOT_STEPS_MINUTES, duration_text, rule_defaults
from marketplace.availability.models import Weekday
from marketplace.availability.services import NOTE_MAX_LENGTH as EXCEPTION_NOTE_MAX_LENGTH
from marketplace.availability.services import validate_opening
from marketplace.bookings.services import ADDRESS_MAX_LENGTH, NOTE_MAX_LENGTH
from marketplace.catalog.cancellation import (
    DEFAULT_POLICY,
    CancellationPolicy,
    cancellation_terms,
    policy_summary,
    terms_lines,
)
from marketplace.catalog.limits import (
    HOURLY_BOOKING_MAX_MINUTES,
    HOURLY_BOOKING_STEP_MINUTES,
    MAX_PRICE_MINOR,
    SERVICE_DESCRIPTION_MAX_LENGTH,
    SERVICE_DURATION_MAX_MINUTES,
    SERVICE_DURATION_MIN_MINUTES,
    SERVICE_DURATION_STEP_MINUTES,
    SERVICE_SUMMARY_MAX_LENGTH,
    SERVICE_TITLE_MAX_LENGTH,
)
from marketplace.catalog.models import PricingModel
from marketplace.catalog.search.criteria import QUERY_MAX_LENGTH, SORT_LABELS, PartOfDay, Sort
from marketplace.core.errors import ValidationFailed
from marketplace.core.forms import AmountField
from marketplace.core.places import PLACE_MAX_LENGTH
from marketplace.payments.policy import PAYOUT_STATE_WORDS
from marketplace.reviews.services import BODY_MAX_LENGTH as REVIEW_BODY_MAX_LENGTH
from marketplace.reviews.services import TITLE_MAX_LENGTH as REVIEW_TITLE_MAX_LENGTH

from .security import stripe_js_url


class SignupExtraForm(forms.Form):
    """Extra fields on allauth's sign-up form: name and whether you book or organize."""

    full_name = forms.CharField(max_length=150, label="Full name")
    role = forms.ChoiceField(
        choices=[(Role.CUSTOMER, "I want to book an organizer"), (Role.VENDOR, "I am a professional organizer")],
        initial=Role.CUSTOMER,
        widget=forms.RadioSelect,
        label="I am joining as",
    )

    def signup(self, request, user):
        """allauth calls this after creating the user; the adapter already set the fields."""


# --- Finding services ------------------------------------------------------------------


PART_OF_DAY_LABELS = {
    PartOfDay.MORNING: "Morning (before noon)",
    PartOfDay.AFTERNOON: "Afternoon (noon to 5 PM)",
    PartOfDay.EVENING: "Evening (after 5 PM)",
}
RATING_CHOICES = [("", "Any rating"), ("4.5", "4.5 stars and up"), ("4", "4 stars and up"), ("3", "3 stars and up")]


def _search_price_field(currency: str, *, label: str, placeholder: str) -> AmountField:
    return AmountField(
        currency=currency,
        min_minor=0,
        max_minor=MAX_PRICE_MINOR,
        required=False,
        label=label,
        widget=forms.NumberInput(attrs={"placeholder": placeholder, "inputmode": "decimal"}),
    )


class SearchForm(forms.Form):
    """The search page's filters, by their names in the address (``?q=&place=&free_on=...``).

    The form checks what a person typed (a date, an amount of dollars); ``search_criteria``
    checks the rules (a known place, a date not past, a price range the right way round),
    and the view shows its refusals next to the field they concern.
    """

    q = forms.CharField(
        required=False,
        max_length=QUERY_MAX_LENGTH,
        label="What do you need help with?",
        widget=forms.TextInput(
            # static/js/search.js fills the list with titles from the suggestions API as one types.
            attrs={
                "type": "search",
                "placeholder": "Closet, garage, moving...",
                "autocomplete": "off",
                "list": "search-suggestions",
            }
        ),
    )
    place = forms.CharField(
        required=False,
        max_length=PLACE_MAX_LENGTH,
        label="Where",
        widget=forms.TextInput(attrs={"placeholder": "ZIP code or city, state"}),
    )
    # Filled by the "Use my location" button (static/js/search.js); search_criteria checks the values.
    latitude = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)
    longitude = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)
    free_on = forms.DateField(
        required=False,
        label="Free on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date, e.g. 2026-12-24."},
    )
    part_of_day = forms.ChoiceField(
        required=False,
        label="Time of day",
        choices=[("", "Any time"), *((part.value, label) for part, label in PART_OF_DAY_LABELS.items())],
    )
    category = forms.ChoiceField(required=False, label="Category")
    pricing = forms.ChoiceField(required=False, label="Pricing", choices=[("", "Any pricing"), *PricingModel.choices])
    min_rating = forms.ChoiceField(required=False, label="Rating", choices=RATING_CHOICES)
    sort = forms.ChoiceField(
        required=False,
        label="Sort by",
        choices=[(sort.value, label) for sort, label in SORT_LABELS.items()],
        widget=forms.Select(attrs={"data-autosubmit": ""}),
    )

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = {category.slug: category for category in categories}
        self.fields["category"].choices = [("", "All categories")] + [
            (category.slug, category.name) for category in categories
        ]
        # Typed in the marketplace's currency (dollars), cleaned to minor units (cents).
        self.currency = settings.MARKETPLACE_CURRENCY
        self.fields["min_price"] = _search_price_field(self.currency, label="Lowest price", placeholder="Min")
        self.fields["max_price"] = _search_price_field(self.currency, label="Highest price", placeholder="Max")
        # "Nearest" is offered only with a place or a location; asked for without one, the
        # criteria refuse it with their own words.
        if not self.has_location():
            self.fields["sort"].widget.choices = [
                (value, label) for value, label in self.fields["sort"].choices if value != Sort.DISTANCE
            ]

    def has_location(self) -> bool:
        return bool(self.data.get("place", "").strip() or self.data.get("latitude", "").strip())

    def clean_q(self):
        return self.cleaned_data["q"].strip()

    def clean_place(self):
        return self.cleaned_data["place"].strip()

    def clean_category(self):
        slug = self.cleaned_data["category"]
        return self.categories.get(slug) if slug else None

    def criteria_arguments(self) -> dict:
        """``search_criteria``'s arguments from the fields that are valid (the others are left out)."""
        data = getattr(self, "cleaned_data", {})
        category = data.get("category")
        return {
            "q": data.get("q") or "",
            "category_id": category.pk if category else None,
            "pricing_model": data.get("pricing") or None,
            "min_price_minor": data.get("min_price"),
            "max_price_minor": data.get("max_price"),
            "min_rating": data.get("min_rating") or None,
            "place": data.get("place") or "",
            "latitude": data.get("latitude") or None,
            "longitude": data.get("longitude") or None,
            "free_on": data.get("free_on"),
            "part_of_day": data.get("part_of_day") or None,
            "sort": data.get("sort") or None,
        }


# --- Booking ------------------------------------------------------------------------------


class SlotField(forms.CharField):
    """A start time picked from the slot list: an ISO 8601 datetime with its offset."""

    default_error_messages = {"invalid": "Choose one of the available start times."}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if timezone.is_naive(moment):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return moment


def duration_label(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} minutes"
    text = f"{hours} hour" + ("s" if hours != 1 else "")
    return f"{text} {rest} minutes" if rest else text


def booking_length_choices(service) -> list[tuple[int, str]]:
    """The booking lengths the service offers (``Service.booking_lengths``), labelled."""
    return [(minutes, duration_label(minutes)) for minutes in service.booking_lengths()]


class BookingForm(forms.Form):
    starts_at = SlotField(
        label="Start time", error_messages={"required": "Choose a start time from the available times."}
    )
    duration_minutes = forms.TypedChoiceField(coerce=int, required=False, label="How long")
    address = forms.CharField(
        max_length=ADDRESS_MAX_LENGTH,
        label="Address",
        help_text="Where the work takes place. Only your organizer sees it.",
        widget=forms.TextInput(attrs={"autocomplete": "street-address", "placeholder": "12 Elm St, Brooklyn, NY"}),
    )
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        label="Note for the organizer",
        help_text="Optional: rooms, stairs, parking, pets, what matters most to you.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, service, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = service
        if service.pricing_model == PricingModel.HOURLY:
            self.fields["duration_minutes"].choices = booking_length_choices(service)
            self.fields["duration_minutes"].required = True
        else:
            del self.fields["duration_minutes"]


class RescheduleForm(forms.Form):
    """A new start for a booking, picked from the booking page's free times (the UTC isoformat they post)."""

    starts_at = SlotField(label="New start time", error_messages={"required": "Choose one of the free times."})


class RescheduleProposalForm(RescheduleForm):
    """The organizer's proposed start, with a word to the customer."""

    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        label="Note to the customer (optional)",
        help_text="Why you ask to move it. The customer reads it with your proposal.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ProposalAnswerForm(forms.Form):
    """The customer's answer to the organizer's proposed time."""

    answer = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])


class SlotLengthForm(forms.Form):
    """The GET form above an hourly service's slot list: slots depend on the booking's length."""

    duration = forms.TypedChoiceField(coerce=int, required=False, label="How long")

    def __init__(self, *args, service, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["duration"].choices = booking_length_choices(service)


TEST_PAYMENT_METHODS = [
    ("pm_card_visa", "Visa ending 4242", "Test card: the payment succeeds."),
    ("pm_card_mastercard", "Mastercard ending 4444", "Test card: the payment succeeds."),
    (
        "pm_card_threeDSecure2Required",
        "Visa ending 3155",
        "Test card: your bank asks you to authenticate the payment (3-D Secure).",
    ),
    ("pm_card_chargeDeclined", "Visa ending 0002", "Test card: the bank declines the payment."),
]


# What Stripe.js's createPaymentMethod hands back: a PaymentMethod id (pm_ and letters, digits, underscores).
STRIPE_PAYMENT_METHOD_ID = re.compile(r"pm_[A-Za-z0-9_]+")
STRIPE_PAYMENT_METHOD_MAX_LENGTH = 255
CARD_NEEDS_JAVASCRIPT = (
    "Card payment needs JavaScript: your card details go straight to our payment provider, Stripe, "
    "through its secure card field. Turn on JavaScript in your browser and reload this page."
)


class PaymentForm(forms.Form):
    """The checkout's payment method: a test card with the local gateway, a card entered in Stripe Elements with Stripe.

    With Stripe configured for the browser (``stripe_js_url``), our script puts the PaymentMethod
    id Stripe.js made from the card into a hidden field; anything not shaped like one is refused
    here, and Stripe says whether the card pays. With the local gateway only the test cards exist.
    """

    payment_method = forms.ChoiceField(
        label="Payment method",
        choices=[(value, label) for value, label, _ in TEST_PAYMENT_METHODS],
        initial="pm_card_visa",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a payment method.", "invalid_choice": "Choose one of the test cards."},
    )

    descriptions = {value: description for value, _, description in TEST_PAYMENT_METHODS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.card_entry = bool(stripe_js_url())
        if self.card_entry:
            self.fields["payment_method"] = forms.CharField(
                label="Card",
                max_length=STRIPE_PAYMENT_METHOD_MAX_LENGTH,
                widget=forms.HiddenInput,
                error_messages={
                    "required": CARD_NEEDS_JAVASCRIPT,
                    "max_length": "That card could not be read. Enter your card details again.",
                },
            )

    def clean_payment_method(self) -> str:
        value = self.cleaned_data["payment_method"]
        if self.card_entry and not STRIPE_PAYMENT_METHOD_ID.fullmatch(value):
            raise forms.ValidationError("That card could not be read. Enter your card details again.")
        return value


class PaymentConfirmForm(forms.Form):
    """The payment the customer authenticated with their bank (a Stripe PaymentIntent id, pi_...)."""

    payment_reference = forms.CharField(max_length=128)


class LocalAuthenticationForm(PaymentConfirmForm):
    """The local gateway's stand-in for the bank's 3-D Secure challenge."""

    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("fail", "Fail")])


class CancelForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        label="Reason (optional)",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Let the other side know why."}),
    )
    # The refund the cancel step showed, in minor units: if a refund tier ended since the page
    # was opened, the view shows the new amounts instead of cancelling for less than was shown.
    expected_refund_minor = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        coerce=int,
        label="Your rating",
        choices=[(5, "5 - Excellent"), (4, "4 - Very good"), (3, "3 - Good"), (2, "2 - Fair"), (1, "1 - Poor")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a rating from 1 to 5 stars."},
    )
    title = forms.CharField(required=False, max_length=REVIEW_TITLE_MAX_LENGTH, label="Title")
    body = forms.CharField(
        required=False,
        max_length=REVIEW_BODY_MAX_LENGTH,
        label="Your review",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "What went well? What would you tell a friend?"}),
    )


# --- Organizer area -------------------------------------------------------------------------


class AcceptForm(forms.Form):
    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH, label="Note to the customer (optional)")


class DeclineForm(forms.Form):
    reason = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        label="Reason",
        help_text="The customer sees it, and gets a full refund.",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Tell the customer why you decline."},
    )


class QuoteForm(forms.Form):
    """An organizer's price for a quote request, typed in the booking's currency; ``price`` cleans to minor units."""

    note = forms.CharField(
        required=False, max_length=NOTE_MAX_LENGTH, label="Note (optional)", widget=forms.Textarea(attrs={"rows": 2})
    )
    field_order = ["price", "note"]

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price"] = AmountField(
            currency=currency,
            min_minor=1,
            max_minor=MAX_PRICE_MINOR,
            label="Your price",
            help_text="The full price for the job. The customer pays it into escrow to confirm.",
        )
        self.order_fields(self.field_order)


def _time_zone_choices():
    return [(name, name.replace("_", " ")) for name in sorted(available_timezones()) if "/" in name]


class VendorProfileForm(forms.Form):
    business_name = forms.CharField(max_length=120, label="Business name")
    tagline = forms.CharField(
        max_length=160,
        required=False,
        label="Tagline",
        help_text="One line on your cards, e.g. 'Calm closets in a day'.",
    )
    bio = forms.CharField(required=False, max_length=5000, label="About you", widget=forms.Textarea(attrs={"rows": 5}))
    city = forms.CharField(max_length=120, label="City")
    place = forms.CharField(
        max_length=PLACE_MAX_LENGTH,
        label="Centre of your service area",
        help_text="A ZIP code or a city with its state, e.g. 11216 or Brooklyn, NY. Customers within your "
        "service radius of it find you.",
    )
    service_radius_km = forms.IntegerField(label="Service radius (km)", min_value=1, max_value=500, initial=25)
    time_zone = forms.ChoiceField(
        label="Time zone", initial="America/New_York", help_text="Your weekly hours are in this time zone."
    )
    phone = forms.CharField(max_length=32, required=False, label="Phone")
    website = forms.URLField(max_length=200, required=False, label="Website", assume_scheme="https")
    years_in_business = forms.IntegerField(min_value=0, max_value=100, required=False, label="Years in business")
    certifications = forms.CharField(
        required=False,
        label="Certifications",
        help_text="One per line, e.g. NAPO member.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _time_zone_choices()

    def clean_certifications(self):
        lines = [line.strip() for line in self.cleaned_data["certifications"].splitlines()]
        return [line for line in lines if line]


def _service_duration_choices():
    lengths = range(SERVICE_DURATION_MIN_MINUTES, SERVICE_DURATION_MAX_MINUTES + 1, SERVICE_DURATION_STEP_MINUTES)
    return [(minutes, duration_label(minutes)) for minutes in lengths]


def _hourly_length_choices():
    lengths = range(HOURLY_BOOKING_STEP_MINUTES, HOURLY_BOOKING_MAX_MINUTES + 1, HOURLY_BOOKING_STEP_MINUTES)
    return [(minutes, duration_label(minutes)) for minutes in lengths]


class ServiceForm(forms.Form):
    title = forms.CharField(max_length=SERVICE_TITLE_MAX_LENGTH, label="Title")
    category = forms.ChoiceField(label="Category")
    summary = forms.CharField(
        max_length=SERVICE_SUMMARY_MAX_LENGTH,
        required=False,
        label="Summary",
        help_text="One or two sentences shown on cards.",
    )
    description = forms.CharField(
        required=False,
        max_length=SERVICE_DESCRIPTION_MAX_LENGTH,
        label="Description",
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    pricing_model = forms.ChoiceField(
        label="Pricing",
        choices=PricingModel.choices,
        widget=forms.RadioSelect,
        help_text="Hourly: the price is per hour. On quote: you price each request; the price is an optional 'from'.",
    )
    duration_minutes = forms.TypedChoiceField(
        coerce=int,
        label="Length",
        choices=_service_duration_choices(),
        help_text="Fixed and quote: the expected length. Hourly: the shortest booking.",
    )
    allowed_durations = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        label="Lengths customers may choose",
        choices=_hourly_length_choices(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-grid"}),
        help_text="Hourly services only. None ticked: any length from the shortest booking up, in half hours.",
    )
    instant_booking = forms.BooleanField(
        required=False,
        initial=True,
        label="Instant booking",
        help_text="Paid requests are confirmed at once. Off: you accept or decline each one. Never for quotes.",
    )
    # Not required: a form without it (opened before policies existed) keeps the service's policy,
    # or gives a new service the default one. An unknown value is an error.
    cancellation_policy = forms.ChoiceField(
        required=False,
        label="Cancellation policy",
        choices=CancellationPolicy.choices,
        initial=DEFAULT_POLICY,
        widget=forms.RadioSelect,
        help_text="What a customer who cancels gets back. Bookings already made keep the terms they were made on. "
        "If you cancel, the customer always gets a full refund, and the cancellation counts against you.",
        error_messages={"invalid_choice": "Choose one of the cancellation policies: flexible, moderate or strict."},
    )
    is_active = forms.BooleanField(
        required=False, initial=True, label="Published", help_text="Off hides the service from customers."
    )

    field_order = [
        "title",
        "category",
        "summary",
        "description",
        "pricing_model",
        "price",
        "duration_minutes",
        "allowed_durations",
    ]

    def __init__(self, *args, currency: str, categories=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        # Typed in the currency's main unit (12.50 dollars, 5000 yen); cleaned to minor units.
        self.fields["price"] = AmountField(
            currency=currency, min_minor=0, max_minor=MAX_PRICE_MINOR, label=f"Price ({currency})"
        )
        self.order_fields(self.field_order)
        self.fields["category"].choices = [("", "Choose a category")] + [(str(c.pk), c.name) for c in categories]
        if not editing:
            del self.fields["is_active"]

    def clean_category(self):
        return int(self.cleaned_data["category"])

    def cancellation_policy_options(self) -> list[dict]:
        """Each policy's radio button with its terms in words, so the organizer sees what they pick."""
        options = []
        for radio in self["cancellation_policy"]:
            policy = radio.data["value"]
            options.append(
                {"radio": radio, "summary": policy_summary(policy), "lines": terms_lines(cancellation_terms(policy))}
            )
        return options

    def clean(self):
        data = super().clean()
        price = data.get("price")
        if price is not None and data.get("pricing_model") in (PricingModel.FIXED, PricingModel.HOURLY) and price <= 0:
            self.add_error("price", "Fixed and hourly services need a price above zero.")
        return data

    def service_values(self) -> dict:
        """The cleaned data in the shape the catalog services take."""
        data = self.cleaned_data
        values = {
            "title": data["title"],
            "category_id": data["category"],
            "summary": data["summary"],
            "description": data["description"],
            "pricing_model": data["pricing_model"],
            "base_price_minor": data["price"],
            "duration_minutes": data["duration_minutes"],
            "allowed_durations": data["allowed_durations"],
            "instant_booking": data["instant_booking"],
        }
        if data.get("cancellation_policy"):
            values["cancellation_policy"] = data["cancellation_policy"]
        if "is_active" in data:
            values["is_active"] = data["is_active"]
        return values


class WeeklyHoursForm(forms.Form):
    """Up to two working windows per weekday, in the organizer's time zone."""

    WINDOWS_PER_DAY = 2

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.days = []
        for weekday, label in Weekday.choices:
            rows = []
            for index in range(self.WINDOWS_PER_DAY):
                start, end = f"d{weekday}_{index}_start", f"d{weekday}_{index}_end"
                widget = forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M")
                self.fields[start] = forms.TimeField(required=False, label=f"{label} from", widget=widget)
                self.fields[end] = forms.TimeField(required=False, label=f"{label} until", widget=widget)
                rows.append((self[start], self[end]))
            self.days.append((weekday, label, rows))

    @classmethod
    def initial_from_rules(cls, rules) -> dict:
        initial: dict[str, time] = {}
        counts: dict[int, int] = {}
        for rule in rules:
            index = counts.get(rule.weekday, 0)
            if index >= cls.WINDOWS_PER_DAY:
                continue
            counts[rule.weekday] = index + 1
            initial[f"d{rule.weekday}_{index}_start"] = rule.start_time
            initial[f"d{rule.weekday}_{index}_end"] = rule.end_time
        return initial

    def clean(self):
        data = super().clean()
        windows = []
        for weekday, label in Weekday.choices:
            for index in range(self.WINDOWS_PER_DAY):
                start_name, end_name = f"d{weekday}_{index}_start", f"d{weekday}_{index}_end"
                start, end = data.get(start_name), data.get(end_name)
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    self.add_error(start_name if start is None else end_name, f"{label}: give both times.")
                    continue
                try:
                    validate_opening(start, end, where=label)  # the domain's rule, next to the field
                except ValidationFailed as error:
                    self.add_error(start_name if error.field == "start_time" else end_name, error.message)
                    continue
                windows.append((weekday, start, end))
        data["windows"] = windows
        return data


# --- The organizer's earnings ------------------------------------------------------------------


class EarningsFilterForm(forms.Form):
    """Which payouts the earnings page and its CSV show: a state, and the days they were released on."""

    state = forms.ChoiceField(
        required=False,
        label="State",
        choices=[("", "Any state"), *((state.value, words) for state, words in PAYOUT_STATE_WORDS.items())],
    )
    released_from = forms.DateField(
        required=False, label="Released from", widget=forms.DateInput(attrs={"type": "date"})
    )
    released_to = forms.DateField(required=False, label="to", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("released_from"), data.get("released_to")
        if start and end and end < start:
            self.add_error("released_to", "The last day comes on or after the first.")
        return data

    def payout_filters(self, time_zone: str) -> dict:
        """The selector's filters: whole days in the organizer's time zone, the last day included."""
        zone = ZoneInfo(time_zone)
        start, end = self.cleaned_data.get("released_from"), self.cleaned_data.get("released_to")
        return {
            "state": self.cleaned_data.get("state") or None,
            "released_from": datetime.combine(start, time.min, tzinfo=zone) if start else None,
            "released_before": datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone) if end else None,
        }


class ExternalCalendarForm(forms.Form):
    """Add an external calendar: a name and its secret iCal address (checked by ``external_calendar_add``)."""

    name = forms.CharField(label="Name", max_length=80, help_text="What you call it, e.g. Work or Family.")
    url = forms.CharField(
        label="Secret iCal address",
        max_length=2000,
        help_text="From your calendar's sharing settings: Google Calendar's \u201csecret address in iCal format\u201d, "
        "Outlook's published calendar ICS link, or an iCloud public calendar (webcal://).",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"}),
    )


# --- The organizer's booking rules and days off -------------------------------------------------


def rule_value_text(field: str, value: int) -> str:
    """A booking rule's value in words: "2 hours", "180 days", "3 jobs", "no limit", "none"."""
    if field == "horizon_days":
        return "1 day" if value == 1 else f"{value} days"
    if field == "daily_cap":
        return "no limit" if value == 0 else ("1 job" if value == 1 else f"{value} jobs")
    return duration_text(value) if value else "none"


class BookingRulesForm(forms.Form):
    """The organizer's booking rules: blank follows the platform default (the domain checks each value).

    Field names are the Vendor fields, so a refusal of ``booking_rules_update`` lands on its field.
    """

    min_notice_minutes = forms.IntegerField(
        required=False, label="Minimum notice (minutes)", help_text="How long before a job starts it may be booked."
    )
    horizon_days = forms.IntegerField(
        required=False, label="Bookable ahead (days)", help_text="How far ahead customers may book you."
    )
    slot_step_minutes = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="Start times every",
        help_text="How far apart the start times customers see are, from the start of each opening.",
    )
    daily_cap = forms.IntegerField(
        required=False, label="Most jobs a day", help_text="At most this many jobs start on one day; 0 for no limit."
    )
    buffer_before_minutes = forms.IntegerField(
        required=False, label="Buffer before a job (minutes)", help_text="Kept free before each job, e.g. for travel."
    )
    buffer_after_minutes = forms.IntegerField(
        required=False, label="Buffer after a job (minutes)", help_text="Kept free after each job, e.g. to reset."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.defaults = rule_defaults()
        for field in BOOKING_RULE_FIELDS:
            words = rule_value_text(field, self.defaults[field])
            self.fields[field].help_text += f" Leave blank for the platform default: {words}."
            if field != "slot_step_minutes":  # a list: its first choice names the default
                self.fields[field].widget.attrs["placeholder"] = str(self.defaults[field])
        self.fields["slot_step_minutes"].choices = [
            ("", f"Platform default ({rule_value_text('slot_step_minutes', self.defaults['slot_step_minutes'])})"),
            *((step, duration_text(step)) for step in SLOT_STEPS_MINUTES),
        ]

    @staticmethod
    def initial_from_vendor(vendor) -> dict:
        return {field: getattr(vendor, field) for field in BOOKING_RULE_FIELDS}

    def rule_changes(self) -> dict:
        """Every rule, for ``booking_rules_update``: None follows the default (a buffer has one: 0)."""
        changes = {field: self.cleaned_data.get(field) for field in BOOKING_RULE_FIELDS}
        for field in ("buffer_before_minutes", "buffer_after_minutes"):
            if changes[field] is None:
                changes[field] = self.defaults[field]
        return changes


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_input():
    return forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M")


class DaysOffForm(forms.Form):
    """Close one day, or every day from the first to the last (a vacation)."""

    first_date = forms.DateField(label="First day off", widget=_date_input())
    last_date = forms.DateField(
        required=False, label="Last day off", widget=_date_input(), help_text="Leave blank for a single day."
    )
    note = forms.CharField(
        required=False, max_length=EXCEPTION_NOTE_MAX_LENGTH, label="Note", help_text="Only you see it."
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "days_off_%s")  # the days-off page shows this form and ExtraHoursForm
        super().__init__(*args, **kwargs)


class ExtraHoursForm(forms.Form):
    """Open extra hours on one date, beyond the weekly hours."""

    date = forms.DateField(label="Date", widget=_date_input())
    start_time = forms.TimeField(label="From", widget=_time_input())
    end_time = forms.TimeField(label="Until", widget=_time_input())
    note = forms.CharField(
        required=False, max_length=EXCEPTION_NOTE_MAX_LENGTH, label="Note", help_text="Only you see it."
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "extra_hours_%s")
        super().__init__(*args, **kwargs)
