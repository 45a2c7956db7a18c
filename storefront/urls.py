"""Storefront paths. Wagtail serves the page tree (/, /categories/..., /organizers/...) after these."""

from django.urls import path

from .views import (
    bookings,
    calendars,
    catalog,
    disputes,
    documents,
    earnings,
    external_calendars,
    payouts,
    vendor_area,
    vendor_schedule,
)

app_name = "storefront"

urlpatterns = [
    # Finding and booking
    path("search/", catalog.search, name="search"),
    path("services/<int:service_id>/<slug:slug>/", catalog.service_detail, name="service_detail"),
    path("vendors/<slug:slug>/", catalog.vendor_detail, name="vendor_detail"),
    # The customer's bookings
    path("account/bookings/", bookings.booking_list, name="booking_list"),
    path("account/bookings/<int:booking_id>/", bookings.booking_detail, name="booking_detail"),
    path("account/bookings/<int:booking_id>/pay/", bookings.booking_checkout, name="booking_pay"),
    path(
        "account/bookings/<int:booking_id>/pay/authenticate/",
        bookings.booking_pay_authenticate,
        name="booking_pay_authenticate",
    ),
    path("account/bookings/<int:booking_id>/pay/confirm/", bookings.booking_pay_confirm, name="booking_pay_confirm"),
    path(
        "account/bookings/<int:booking_id>/pay/authenticate/local/",
        bookings.booking_pay_local_step,
        name="booking_pay_local_step",
    ),
    path("account/bookings/<int:booking_id>/confirm/", bookings.booking_confirm, name="booking_confirm"),
    path("account/bookings/<int:booking_id>/cancel/", bookings.booking_cancel_view, name="booking_cancel"),
    path("account/bookings/<int:booking_id>/review/", bookings.booking_review, name="booking_review"),
    path("account/bookings/<int:booking_id>/move/", bookings.booking_reschedule_view, name="booking_reschedule"),
    path(
        "account/bookings/<int:booking_id>/move/answer/",
        bookings.booking_proposal_answer_view,
        name="booking_proposal_answer",
    ),
    path(
        "account/bookings/<int:booking_id>/calendar.ics",
        calendars.booking_ics_download,
        name="booking_calendar_file",
    ),
    # The organizer area
    path("vendor/", vendor_area.dashboard, name="vendor_dashboard"),
    path("vendor/profile/", vendor_area.profile, name="vendor_profile"),
    path("vendor/services/", vendor_area.service_list, name="vendor_services"),
    path("vendor/services/new/", vendor_area.service_new, name="vendor_service_new"),
    path("vendor/services/<int:service_id>/edit/", vendor_area.service_edit, name="vendor_service_edit"),
    path("vendor/hours/", vendor_area.weekly_hours, name="vendor_hours"),
    path("vendor/booking-rules/", vendor_schedule.booking_rules, name="vendor_booking_rules"),
    path("vendor/days-off/", vendor_schedule.days_off, name="vendor_days_off"),
    path("vendor/days-off/extra-hours/", vendor_schedule.extra_hours, name="vendor_extra_hours"),
    path("vendor/days-off/<int:exception_id>/remove/", vendor_schedule.day_off_remove, name="vendor_day_off_remove"),
    path("vendor/documents/", documents.documents, name="vendor_documents"),
    path("vendor/documents/<int:document_id>/file/", documents.document_download, name="vendor_document_file"),
    path("vendor/calendar/", calendars.vendor_calendar, name="vendor_calendar"),
    path("vendor/calendar/reset/", calendars.vendor_calendar_reset, name="vendor_calendar_reset"),
    path("vendor/calendar/turn-off/", calendars.vendor_calendar_turn_off, name="vendor_calendar_turn_off"),
    path("vendor/earnings/", earnings.earnings, name="vendor_earnings"),
    # Busy times from the organizer's own calendars (availability.calendars)
    path("vendor/external-calendars/", external_calendars.external_calendars, name="vendor_external_calendars"),
    path(
        "vendor/external-calendars/<int:calendar_id>/refresh/",
        external_calendars.external_calendar_refresh,
        name="vendor_external_calendar_refresh",
    ),
    path(
        "vendor/external-calendars/<int:calendar_id>/remove/",
        external_calendars.external_calendar_remove_view,
        name="vendor_external_calendar_remove",
    ),
    path("vendor/earnings/payouts.csv", earnings.earnings_csv, name="vendor_earnings_csv"),
    path("vendor/payouts/", payouts.payout_account, name="vendor_payout_account"),
    path("vendor/payouts/setup/", payouts.payout_account_setup, name="vendor_payout_account_setup"),
    path("vendor/payouts/return/", payouts.payout_account_return, name="vendor_payout_account_return"),
    path("vendor/payouts/refresh/", payouts.payout_account_refresh_link, name="vendor_payout_account_refresh"),
    path("vendor/bookings/<int:booking_id>/", vendor_area.booking_detail, name="vendor_booking"),
    path("vendor/bookings/<int:booking_id>/accept/", vendor_area.booking_accept_view, name="vendor_booking_accept"),
    path("vendor/bookings/<int:booking_id>/decline/", vendor_area.booking_decline_view, name="vendor_booking_decline"),
    path("vendor/bookings/<int:booking_id>/quote/", vendor_area.booking_quote_view, name="vendor_booking_quote"),
    path("vendor/bookings/<int:booking_id>/cancel/", vendor_area.booking_cancel_view, name="vendor_booking_cancel"),
    path(
        "vendor/bookings/<int:booking_id>/propose-time/",
        vendor_area.booking_propose_view,
        name="vendor_booking_propose",
    ),
    # The organizer's calendar feed: no sign-in, the secret in the address is the key (404 unless live)
    path("calendar/<str:token>.ics", calendars.calendar_feed, name="calendar_feed"),
    # The local gateway's stand-in for Stripe's hosted onboarding (404 unless PAYMENTS_GATEWAY=local)
    path("local-gateway/onboarding/<str:token>/", payouts.local_gateway_onboarding, name="local_gateway_onboarding"),
    # Disputes, from either side's booking page (file uploads: see the nginx location for these paths)
    *[
        route
        for area in (disputes.ACCOUNT, disputes.VENDOR)
        for route in (
            path(
                f"{area}/bookings/<int:booking_id>/dispute/",
                disputes.dispute_open_view,
                {"area": area},
                name=f"{area}_dispute_open",
            ),
            path(
                f"{area}/disputes/<int:dispute_id>/response/",
                disputes.dispute_respond_view,
                {"area": area},
                name=f"{area}_dispute_response",
            ),
            path(
                f"{area}/disputes/<int:dispute_id>/evidence/",
                disputes.dispute_evidence_view,
                {"area": area},
                name=f"{area}_dispute_evidence",
            ),
            path(
                f"{area}/disputes/<int:dispute_id>/withdraw/",
                disputes.dispute_withdraw_view,
                {"area": area},
                name=f"{area}_dispute_withdraw",
            ),
        )
    ],
    path(
        "disputes/<int:dispute_id>/evidence/<int:evidence_id>/",
        disputes.evidence_download,
        name="dispute_evidence_download",
    ),
]
