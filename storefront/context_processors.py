from django.utils.functional import SimpleLazyObject


def navigation(request):
    """The editors' header menu (``SiteMenus``, empty: the category pages), the category pages for
    the header and footer, and the page presenting each category.

    One indexed query, run only if a template uses either, and shared by header, footer
    and every service card (``category_url`` and ``category_icon`` read ``category_pages``).
    """
    from .models import CategoryPage

    pages = SimpleLazyObject(
        lambda: list(
            CategoryPage.objects.live()
            .public()
            .only("title", "url_path", "slug", "icon", "category_id")
            .order_by("path")
        )
    )

    def menu_links():
        from .models import SiteMenus

        return SiteMenus.for_request(request).header_links(request)

    return {
        "nav_links": SimpleLazyObject(menu_links),
        "nav_categories": pages,
        "category_pages": SimpleLazyObject(lambda: {page.category_id: page for page in pages}),
    }
