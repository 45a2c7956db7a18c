from django.urls import path

from backoffice.views.categories import CategoryCreateView, CategoryEditView, CategoryIndexView
from marketplace.catalog.models import Category

from .base import CATEGORIES, BackOfficeViewSet


class CategoryViewSet(BackOfficeViewSet):
    """The categories of services, with Add and Edit actions that go through the catalog services."""

    model = Category
    name = CATEGORIES
    icon = "tag"
    menu_label = "Categories"
    index_view_class = CategoryIndexView
    inspect_view_enabled = False

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("add/", self.construct_view(CategoryCreateView), name="add"),
            path("edit/<int:pk>/", self.construct_view(CategoryEditView), name="edit"),
        ]
