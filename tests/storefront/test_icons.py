"""The storefront's icons are written through format_html: every value in them is escaped."""

from django.template import Context, Template

from storefront.templatetags.storefront_tags import ICON_SHAPES, ICONS, icon, stars


def test_every_icon_renders_its_shapes_unchanged():
    assert {name: str(shapes) for name, shapes in ICON_SHAPES.items()} == ICONS


def test_an_icon_escapes_its_name_and_css_class():
    # given a name and a class that try to break out of the class attribute
    markup = icon('"><script>alert(1)</script>', 'x" onmouseover="alert(2)')

    # then both stay inside it, escaped, and the unknown name gets the sparkle's shapes
    assert markup.startswith(
        '<svg class="icon icon-&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; x&quot; onmouseover=&quot;alert(2)" '
    )
    assert "<script>" not in markup
    assert markup.endswith(f"{ICONS['sparkle']}</svg>")


def test_the_icon_tag_and_the_stars_are_not_escaped_twice():
    rendered = Template('{% load storefront_tags %}{% icon "check" "big" %}').render(Context())

    assert rendered == (
        '<svg class="icon icon-check big" viewBox="0 0 24 24" width="24" height="24" fill="none" '
        'stroke="currentColor" stroke-width="1.75" stroke-linecap="round" stroke-linejoin="round" '
        'aria-hidden="true" focusable="false"><path d="m5 12.5 4.5 4.5L19 7.5"/></svg>'
    )
    assert str(stars(4.4)["star_svg"]) == str(icon("star"))
