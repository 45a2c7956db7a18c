from ninja import Query, Router, Schema, Status
from pydantic import Field

from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.payments.errors import BookingNotCompleted
from marketplace.reviews.errors import AlreadyReviewed, DisputeOpen
from marketplace.reviews.selectors import review_list_for_vendor
from marketplace.reviews.services import review_create
from marketplace.vendors.models import Vendor

from ..contract import raises
from ..pagination import PageOut, PageQuery, paginate
from ..schemas import ObjectId, ReviewOut
from ..security import jwt_auth

router = Router(tags=["reviews"])


class ReviewIn(Schema):
    booking_id: ObjectId
    rating: int = Field(ge=1, le=5, strict=True)
    title: str = Field(default="", max_length=120)
    body: str = Field(default="", max_length=5000)


class ReviewListQuery(PageQuery):
    vendor_id: ObjectId


class ReviewPage(PageOut):
    results: list[ReviewOut]


@router.post("", response={201: ReviewOut}, auth=jwt_auth)
@raises(NotFound, AlreadyReviewed, BookingNotCompleted, DisputeOpen, ValidationFailed)
def create_review(request, payload: ReviewIn):
    """The booking's customer reviews a completed booking, once."""
    return Status(201, review_create(customer=request.auth, **payload.dict()))


@router.get("", response={200: ReviewPage})
@raises(NotFound)
def list_reviews(request, filters: Query[ReviewListQuery]):
    """A verified organizer's reviews, newest first."""
    vendor = Vendor.objects.filter(pk=filters.vendor_id, verification_status="verified").first()
    if vendor is None:
        raise NotFound("Organizer not found.")
    return paginate(request, review_list_for_vendor(vendor=vendor), filters)
