from django.utils.functional import SimpleLazyObject


def navigation(request):
    """Categories for the header menu and footer, from the page tree.

    One indexed query, run only if a template uses the menu, and shared by header and footer.
    """
    from .models import CategoryPage

    def categories():
        return list(CategoryPage.objects.live().public().only("title", "url_path", "slug", "icon").order_by("path"))

    return {"nav_categories": SimpleLazyObject(categories)}
