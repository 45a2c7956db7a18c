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


def data_size(size: int) -> str:
    """A number of bytes as people read it: 2.5 MB, 25 MB, 512 KB (1 MB = 1024 KB, as Django and nginx count)."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{round(size / factor, 2):g} {unit}"
    return f"{size} bytes"


# What makes Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP's "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """A text cell for a CSV file that a spreadsheet shows as text, never runs: a formula start gets an apostrophe."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
