"""Wagtail page types: what marketing edits and the storefront serves."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Avg, Count
from django.http import Http404
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from marketplace.catalog.selectors import service_list_featured, service_list_for_category, service_list_for_vendor
from marketplace.reviews.selectors import review_list_for_vendor, vendor_rating_summary
from marketplace.vendors.selectors import vendor_list_verified

from .blocks import BodyBlock, MenuBlock
from .views.common import paginate


class HomePage(Page):
    hero_title = models.CharField(max_length=120, default="Find a professional organizer you can trust")
    hero_text = models.TextField(blank=True)
    body = StreamField(BodyBlock(), blank=True, use_json_field=True)

    content_panels = Page.content_panels + [
        MultiFieldPanel([FieldPanel("hero_title"), FieldPanel("hero_text")], heading="Hero"),
        FieldPanel("body"),
    ]
    subpage_types = ["storefront.CategoryIndexPage", "storefront.VendorIndexPage", "storefront.LandingPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["categories"] = CategoryPage.objects.live().public().specific().order_by("path")
        context["featured_services"] = service_list_featured(limit=6)
        # The page has its own "how it works" and organizer call to action; an editor's block of
        # either kind in the body takes its place, so the page never says it twice.
        own = {block.block_type for block in self.body}
        context["show_how_it_works"] = "features" not in own
        context["show_organizer_band"] = "call_to_action" not in own
        return context


class CategoryIndexPage(Page):
    intro = models.TextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["storefront.HomePage"]
    subpage_types = ["storefront.CategoryPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["categories"] = CategoryPage.objects.child_of(self).live().public().specific()
        return context


class CategoryPage(Page):
    """Marketing's page for one category of work: its story, its icon, and its services.

    The category itself (name, commission, whether it takes new services) is the
    domain's ``catalog.Category``; this page presents it, one to one, as a portfolio
    page presents a vendor.
    """

    ICON_CHOICES = [
        ("home", "Home"),
        ("box", "Moving box"),
        ("closet", "Closet"),
        ("garage", "Garage"),
        ("calendar", "Event"),
        ("office", "Office"),
        ("kitchen", "Kitchen"),
        ("paper", "Paperwork"),
        ("sparkle", "Sparkle"),
    ]

    summary = models.CharField(max_length=200, help_text="One line shown on cards and in search results.")
    intro = models.TextField(blank=True)
    icon = models.CharField(max_length=16, choices=ICON_CHOICES, default="sparkle")
    category = models.OneToOneField(
        "catalog.Category",
        on_delete=models.PROTECT,
        related_name="page",
        help_text="The category of services this page presents. Admins manage categories in the back office.",
    )
    body = StreamField(BodyBlock(), blank=True, use_json_field=True)

    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("intro")]
    content_panels = Page.content_panels + [
        FieldPanel("category"),
        FieldPanel("summary"),
        FieldPanel("intro"),
        FieldPanel("icon"),
        FieldPanel("body"),
    ]
    parent_page_types = ["storefront.CategoryIndexPage"]
    subpage_types: list[str] = []

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["page_obj"] = paginate(request, service_list_for_category(category=self.category), per_page=12)
        return context


class LandingPage(Page):
    hero_title = models.CharField(max_length=120)
    hero_text = models.TextField(blank=True)
    featured_category = models.ForeignKey(
        "storefront.CategoryPage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = StreamField(BodyBlock(), blank=True, use_json_field=True)

    content_panels = Page.content_panels + [
        MultiFieldPanel([FieldPanel("hero_title"), FieldPanel("hero_text")], heading="Hero"),
        FieldPanel("featured_category"),
        FieldPanel("body"),
    ]
    parent_page_types = ["storefront.HomePage"]
    subpage_types: list[str] = []

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        if self.featured_category_id:
            context["featured_services"] = service_list_for_category(category=self.featured_category.category)[:6]
        return context


class VendorIndexPage(Page):
    intro = models.TextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["storefront.HomePage"]
    subpage_types = ["storefront.VendorPortfolioPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["portfolios"] = (
            VendorPortfolioPage.objects.child_of(self)
            .live()
            .public()
            .filter(vendor__verification_status="verified")
            .select_related("vendor")
        )
        # Every verified organizer, linked to their portfolio page when they have a live one.
        vendors = (
            vendor_list_verified()
            .select_related("portfolio_page")
            .annotate(rating_average=Avg("reviews__rating"), rating_count=Count("reviews"))
            .order_by("business_name", "id")
        )
        context["page_obj"] = paginate(request, vendors, per_page=24)
        return context


class VendorPortfolioPage(Page):
    """An organizer's public portfolio: their story and before/after work."""

    vendor = models.OneToOneField("vendors.Vendor", on_delete=models.PROTECT, related_name="portfolio_page")
    headline = models.CharField(max_length=160, blank=True)
    body = StreamField(BodyBlock(), blank=True, use_json_field=True)

    search_fields = Page.search_fields + [index.SearchField("headline")]
    content_panels = Page.content_panels + [
        FieldPanel("vendor"),
        FieldPanel("headline"),
        FieldPanel("body"),
        InlinePanel("gallery_images", label="Gallery"),
    ]
    parent_page_types = ["storefront.VendorIndexPage"]
    subpage_types: list[str] = []

    def clean(self):
        """An editor presents a verified organizer, and a page stays with the organizer it was made for."""
        super().clean()
        if not self.vendor_id:
            return
        saved = VendorPortfolioPage.objects.filter(pk=self.pk).values_list("vendor_id", flat=True).first()
        if saved is not None and saved != self.vendor_id:
            raise ValidationError({"vendor": "A portfolio stays with the organizer it was made for."})
        if saved is None and not self.vendor.is_verified:
            name = self.vendor.business_name
            raise ValidationError({"vendor": f"{name} is not verified yet: only verified organizers have a portfolio."})

    def serve(self, request, *args, **kwargs):
        # Only a verified organizer is presented: a page made before a suspension answers 404 meanwhile.
        if not self.vendor.is_verified:
            raise Http404("Organizer not found.")
        return super().serve(request, *args, **kwargs)

    def get_sitemap_urls(self, request=None):
        return super().get_sitemap_urls(request) if self.vendor.is_verified else []

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["vendor"] = self.vendor
        context["services"] = service_list_for_vendor(vendor=self.vendor)
        context["reviews"] = review_list_for_vendor(vendor=self.vendor)[:10]
        context["rating"] = vendor_rating_summary(vendor=self.vendor)
        return context


class PortfolioGalleryImage(Orderable):
    page = ParentalKey(VendorPortfolioPage, on_delete=models.CASCADE, related_name="gallery_images")
    image = models.ForeignKey("wagtailimages.Image", on_delete=models.CASCADE, related_name="+")
    caption = models.CharField(max_length=200, blank=True)

    panels = [FieldPanel("image"), FieldPanel("caption")]


@register_setting(icon="list-ul")
class SiteMenus(BaseSiteSetting):
    """The menus editors manage (Settings > Menus in the Wagtail admin).

    Left empty, the header lists the live category pages and the organizer directory, as it
    always has; once an editor adds links, the header (and the footer's "Explore") show theirs,
    in their order.
    """

    header = StreamField(MenuBlock(), blank=True, use_json_field=True, help_text="The links under the search bar.")

    panels = [FieldPanel("header")]

    class Meta:
        verbose_name = "Menus"

    def header_links(self, request) -> list[dict]:
        """The header's links as {label, url}: a page's URL if it is live, else the address given."""
        links = []
        for block in self.header:
            page, url = block.value.get("page"), (block.value.get("url") or "").strip()
            if page is not None:
                url = page.get_url(request=request) if page.live else ""
            if url:
                links.append({"label": block.value["label"], "url": url})
        return links
