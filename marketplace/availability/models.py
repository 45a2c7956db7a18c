from django.db import models
from django.db.models import F, Q


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class AvailabilityRule(models.Model):
    """A weekly working window, in the vendor's own time zone (wall-clock times).

    Kept as local times so 9:00-17:00 stays 9:00-17:00 across daylight-saving changes.
    """

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, related_name="availability_rules")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["vendor", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="availability_weekday_range"),
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="availability_rule_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class AvailabilityException(models.Model):
    """A dated change to the weekly rules, in the vendor's time zone.

    Without times it closes the whole day (holiday); with times and
    ``is_available=False`` it blocks that window; with ``is_available=True`` it
    opens extra hours on that date.
    """

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, related_name="availability_exceptions")
    date = models.DateField()
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    is_available = models.BooleanField(default=False)
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["vendor", "date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(start_time__isnull=True, end_time__isnull=True, is_available=False))
                | Q(start_time__isnull=False, end_time__isnull=False, end_time__gt=F("start_time")),
                name="availability_exception_window",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {'open' if self.is_available else 'closed'}"


class ExternalCalendar(models.Model):
    """An organizer's own calendar (Google, Outlook/Exchange, Apple), read by its secret iCal address.

    Its busy times (``BusyTime``) block slots and bookings. The address is a secret (anyone
    with it can read the calendar): it is stored to be fetched and never shown back in full
    (``calendars.mask_url``). A read that fails keeps the busy times of the last good read
    and records why (``last_error``), so the organizer can fix it.
    """

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, related_name="external_calendars")
    name = models.CharField(max_length=80)
    url = models.CharField(max_length=2000)
    # The address's SHA-256, so one organizer cannot add the same calendar twice.
    url_digest = models.CharField(max_length=64)
    refresh_minutes = models.PositiveIntegerField()
    next_fetch_at = models.DateTimeField(db_index=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)  # the last attempt, good or not
    last_good_at = models.DateTimeField(null=True, blank=True)  # the last read that gave a calendar (or 304)
    parsed_at = models.DateTimeField(null=True, blank=True)  # when the busy times were last worked out of a file
    last_error = models.CharField(max_length=500, blank=True)  # why the last attempt failed, in words; "" if it did not
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["vendor", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "url_digest"], name="external_calendar_unique_url"),
            models.CheckConstraint(condition=Q(refresh_minutes__gte=5), name="external_calendar_refresh_min"),
        ]

    def __str__(self) -> str:
        return self.name


class BusyTime(models.Model):
    """A time the organizer is busy according to one of their external calendars, in UTC.

    Replaced all at once on each good read of the calendar, in one transaction.
    """

    calendar = models.ForeignKey(ExternalCalendar, on_delete=models.CASCADE, related_name="busy_times")
    # Denormalised from the calendar so slots and bookings read one indexed table.
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, related_name="busy_times")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["vendor", "starts_at"], name="busy_time_vendor_start")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="busy_time_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M} UTC"
