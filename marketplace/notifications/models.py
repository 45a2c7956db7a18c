from django.conf import settings
from django.db import models


class SentNotification(models.Model):
    """A notification that went out. The unique key makes a re-run of the job send nothing twice."""

    booking = models.ForeignKey("bookings.Booking", on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=32)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16, default="email")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["booking", "event", "recipient", "channel"], name="notification_once"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.recipient_id} ({self.channel})"


class NotificationEvent(models.Model):
    """One thing one person should hear about: a dispute's step, a verification decision, a payout.

    Not tied to any one kind of object. ``key`` makes it unique (for example
    ``dispute:12:resolved:user:45``), so a job that runs twice, or two jobs for the same
    step, make one event. The text is rendered once, when the event is made; each channel
    then delivers it once (``Delivery``). Channels and each person's preferences plug in
    at ``notifications.events.channels_for``.
    """

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=48, db_index=True, help_text="e.g. dispute.opened, vendor.verified")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_events"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True, help_text="Where to see or act on it, below SITE_URL.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id}"


class Delivery(models.Model):
    """An event delivered on one channel: at most once (a constraint)."""

    event = models.ForeignKey(NotificationEvent, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["event", "channel"], name="delivery_once_per_channel")]

    def __str__(self) -> str:
        return f"{self.event} by {self.channel}"
