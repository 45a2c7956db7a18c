from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "marketplace.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the settings checks)
        from .jobs import connect_job_signals
        from .logs import install_request_id_on_records

        install_request_id_on_records()
        connect_job_signals()
