def navigation(request):
    """Categories for the header menu, from the page tree (cheap: one indexed query)."""
    from .models import CategoryPage

    return {
        "nav_categories": CategoryPage.objects.live().public().only("title", "url_path", "slug").order_by("path"),
    }
