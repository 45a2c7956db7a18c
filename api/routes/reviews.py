from ninja import Query, Router, Schema, Status
from pydantic import Field

from marketplace.core.errors import NotFound
from marketplace.reviews.selectors import review_list_for_vendor
from marketplace.reviews.services import review_create
from marketplace.vendors.models import Vendor

from ..schemas import BODY_ERRORS, ERRORS, ObjectId, ReviewOut
from ..security import jwt_auth

router = Router(tags=["reviews"])


class ReviewIn(Schema):
    booking_id: ObjectId
    rating: int = Field(ge=1, le=5, strict=True)
    title: str = Field(default="", max_length=120)
    body: str = Field(default="", max_length=5000)


class ReviewListQuery(Schema):
    vendor_id: ObjectId
    limit: int = Field(default=20, ge=1, le=100)


@router.post("", response={201: ReviewOut, **BODY_ERRORS}, auth=jwt_auth)
def create_review(request, payload: ReviewIn):
    """The booking's customer reviews a completed booking, once."""
    return Status(201, review_create(customer=request.auth, **payload.dict()))


@router.get("", response={200: list[ReviewOut], **ERRORS})
def list_reviews(request, filters: Query[ReviewListQuery]):
    vendor = Vendor.objects.filter(pk=filters.vendor_id, verification_status="verified").first()
    if vendor is None:
        raise NotFound("Organizer not found.")
    return list(review_list_for_vendor(vendor=vendor)[: filters.limit])
