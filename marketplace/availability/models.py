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
