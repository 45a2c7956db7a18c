from django.apps import AppConfig


class AvailabilityConfig(AppConfig):
    name = "marketplace.availability"
    label = "availability"
    verbose_name = "Availability"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the start-up checks)
