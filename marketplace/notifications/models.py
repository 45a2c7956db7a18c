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
