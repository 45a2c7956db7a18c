from django.db.models import Avg, Count, QuerySet

from marketplace.vendors.models import Vendor

from .models import Review


def review_list_for_vendor(*, vendor: Vendor) -> QuerySet[Review]:
    return Review.objects.filter(vendor=vendor).select_related("customer", "service").order_by("-created_at", "-id")


def vendor_rating_summary(*, vendor: Vendor) -> dict:
    summary = Review.objects.filter(vendor=vendor).aggregate(average=Avg("rating"), count=Count("id"))
    average = summary["average"]
    return {"average": round(average, 1) if average is not None else None, "count": summary["count"]}
