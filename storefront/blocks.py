from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock


class CallToActionBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False)
    button_label = blocks.CharBlock(max_length=40)
    button_url = blocks.CharBlock(max_length=255, help_text="A path such as /search/ or a full URL.")

    class Meta:
        icon = "pick"
        template = "storefront/blocks/call_to_action.html"


class FeatureBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=80)
    text = blocks.TextBlock()


class FeatureListBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120, required=False)
    features = blocks.ListBlock(FeatureBlock())

    class Meta:
        icon = "list-ul"
        template = "storefront/blocks/feature_list.html"


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock()
    attribution = blocks.CharBlock(max_length=120, required=False)

    class Meta:
        icon = "openquote"
        template = "storefront/blocks/quote.html"


class FaqBlock(blocks.StructBlock):
    question = blocks.CharBlock(max_length=200)
    answer = blocks.RichTextBlock(features=["bold", "italic", "link", "ul"])

    class Meta:
        icon = "help"
        template = "storefront/blocks/faq.html"


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(form_classname="title", max_length=120, template="storefront/blocks/heading.html")
    paragraph = blocks.RichTextBlock(features=["bold", "italic", "link", "ul", "ol", "h3"])
    image = ImageChooserBlock(template="storefront/blocks/image.html")
    features = FeatureListBlock()
    quote = QuoteBlock()
    faq = FaqBlock()
    call_to_action = CallToActionBlock()


# A menu link goes to a page of the site, or to an address that is a path on it or on the web:
# never a javascript: or data: address an editor's typo or a stolen account could plant.
MENU_URL_PREFIXES = ("/", "https://", "http://", "mailto:")


class MenuLinkBlock(blocks.StructBlock):
    """One entry of an editor's menu: a label and either a page or an address."""

    label = blocks.CharBlock(max_length=40)
    page = blocks.PageChooserBlock(required=False, help_text="A page of the site; or give an address below.")
    url = blocks.CharBlock(
        required=False, max_length=255, help_text="A path such as /search/ or a full https:// address."
    )

    def clean(self, value):
        value = super().clean(value)
        page, url = value.get("page"), (value.get("url") or "").strip()
        errors = {}
        if bool(page) == bool(url):
            errors["url"] = ValidationError("Choose a page or give an address, one of the two.")
        elif url and not url.lower().startswith(MENU_URL_PREFIXES):
            errors["url"] = ValidationError("Give a path starting with / or an address starting with https://.")
        if errors:
            raise blocks.StructBlockValidationError(block_errors=errors)
        return value

    class Meta:
        icon = "link"


class MenuBlock(blocks.StreamBlock):
    link = MenuLinkBlock()
