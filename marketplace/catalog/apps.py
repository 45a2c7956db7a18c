from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _service_changed(sender, instance, **kwargs) -> None:
    """Queue the service's search entry for a refresh, whatever wrote it (services, admin, data loads)."""
    from marketplace.core.jobs import enqueue

    if kwargs.get("raw"):  # loaddata: the data is indexed by the rebuild that follows
        return
    enqueue("marketplace.catalog.tasks.service_reindex", service_ids=[instance.pk])


class CatalogConfig(AppConfig):
    name = "marketplace.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from .models import Service

        post_save.connect(_service_changed, sender=Service, dispatch_uid="catalog.service_saved")
        post_delete.connect(_service_changed, sender=Service, dispatch_uid="catalog.service_deleted")
