from collections.abc import Callable

from django.utils.text import slugify


def unique_slug(text: str, *, exists: Callable[[str], bool], max_length: int = 60) -> str:
    """A slug for ``text``, suffixed -2, -3... until ``exists(slug)`` is False."""
    base = (slugify(text) or "item")[:max_length].strip("-")
    slug, n = base, 2
    while exists(slug):
        slug = f"{base}-{n}"
        n += 1
    return slug
