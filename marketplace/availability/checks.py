"""Start-up checks of the default booking rules: each in the range an organizer could set it in."""

from django.conf import settings
from django.core.checks import Error, register

from marketplace.core.checks import setting_between

from .limits import MAX_DAILY_CAP, MAX_HORIZON_DAYS, MAX_NOTICE_MINUTES, SLOT_STEPS_MINUTES


@register()
def check_booking_rule_settings(app_configs, **kwargs) -> list[Error]:
    hint = "Organizers who keep the platform's default follow it (availability.limits.booking_rules)."
    errors = setting_between("BOOKING_MIN_NOTICE_MINUTES", 0, MAX_NOTICE_MINUTES, hint=hint, id="marketplace.E009")
    errors += setting_between("BOOKING_HORIZON_DAYS", 1, MAX_HORIZON_DAYS, hint=hint, id="marketplace.E010")
    if settings.BOOKING_SLOT_STEP_MINUTES not in SLOT_STEPS_MINUTES:
        errors.append(
            Error(
                f"BOOKING_SLOT_STEP_MINUTES is {settings.BOOKING_SLOT_STEP_MINUTES}; it must be one of "
                f"{', '.join(str(step) for step in SLOT_STEPS_MINUTES)}.",
                hint="Offered starts lie on the quarter-hour grid bookings start on.",
                id="marketplace.E011",
            )
        )
    errors += setting_between("BOOKING_DAILY_CAP", 0, MAX_DAILY_CAP, hint="0 means no cap.", id="marketplace.E012")
    if not errors and settings.BOOKING_MIN_NOTICE_MINUTES >= settings.BOOKING_HORIZON_DAYS * 24 * 60:
        errors.append(
            Error(
                "BOOKING_MIN_NOTICE_MINUTES reaches past BOOKING_HORIZON_DAYS: nothing could be booked.",
                hint="Make the notice shorter than the horizon.",
                id="marketplace.E013",
            )
        )
    return errors
