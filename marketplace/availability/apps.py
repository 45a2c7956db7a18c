from django.apps import AppConfig


class AvailabilityConfig(AppConfig):
    name = "marketplace.availability"
    label = "availability"
    verbose_name = "Availability"
