"""Placeholder pictures for the demo, drawn with Pillow: no network, no stock photos.

Each organizer gets a "before" and an "after" picture of the same shelving unit:
before, odd boxes lean and pile up on the floor; after, matching bins stand in
rows with labels. The colours come from a seeded random generator, so the same
organizer always gets the same pictures.
"""

from __future__ import annotations

import io
import math
import random

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 960, 640

# Soft wall colours and the bin palettes that go with them (RGB).
WALLS = [(236, 229, 218), (222, 233, 229), (229, 226, 240), (240, 228, 222), (226, 234, 242), (238, 236, 224)]
BIN_PALETTES = [
    [(94, 129, 117), (142, 174, 160), (203, 222, 211)],
    [(201, 123, 99), (232, 176, 146), (246, 219, 196)],
    [(84, 110, 150), (138, 163, 199), (199, 214, 235)],
    [(160, 120, 170), (200, 168, 210), (232, 214, 236)],
    [(190, 150, 80), (225, 196, 130), (244, 228, 190)],
    [(110, 110, 110), (170, 170, 170), (220, 220, 220)],
]
CLUTTER = [(178, 93, 80), (76, 120, 168), (214, 170, 66), (96, 150, 96), (150, 96, 140), (200, 200, 190), (120, 90, 70)]
WOOD, WOOD_DARK = (176, 136, 98), (140, 104, 72)
FLOOR = (198, 176, 150)


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def _gradient(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    """A vertical gradient, drawn as a 1-pixel-wide strip and stretched (fast)."""
    strip = Image.new("RGB", (1, HEIGHT))
    for y in range(HEIGHT):
        t = y / (HEIGHT - 1)
        strip.putpixel((0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    return strip.resize((WIDTH, HEIGHT))


def _shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return tuple(max(0, min(255, round(c * factor))) for c in colour)


def _rotated_box(draw: ImageDraw.ImageDraw, cx: float, cy: float, w: float, h: float, angle: float, fill) -> None:
    radians = math.radians(angle)
    cos, sin = math.cos(radians), math.sin(radians)
    corners = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    points = [(cx + x * cos - y * sin, cy + x * sin + y * cos) for x, y in corners]
    draw.polygon(points, fill=fill, outline=_shade(fill, 0.7))


def _scene(rng: random.Random, *, tidy: bool, caption: str) -> bytes:
    wall = rng.choice(WALLS)
    palette = rng.choice(BIN_PALETTES)
    image = _gradient(_shade(wall, 1.04), _shade(wall, 0.9))
    draw = ImageDraw.Draw(image)
    floor_y = int(HEIGHT * 0.78)
    draw.rectangle([0, floor_y, WIDTH, HEIGHT], fill=FLOOR)
    draw.line([0, floor_y, WIDTH, floor_y], fill=_shade(FLOOR, 0.8), width=3)

    # The shelving unit: two uprights and four boards.
    left, right, top = 150, 810, 90
    shelf_ys = [top + 20, 250, 390, floor_y - 14]
    draw.rectangle([left - 14, top, left, floor_y], fill=WOOD_DARK)
    draw.rectangle([right, top, right + 14, floor_y], fill=WOOD_DARK)
    for y in shelf_ys:
        draw.rectangle([left - 14, y, right + 14, y + 12], fill=WOOD)

    if tidy:
        # Matching bins in rows, each with a small label, and a plant on top.
        for row, y in enumerate(shelf_ys[1:]):
            colour = palette[row % len(palette)]
            bins, gap = 4, 22
            width = (right - left - gap * (bins + 1)) / bins
            height = y - shelf_ys[row] - 12 - 22
            for i in range(bins):
                x0 = left + gap + i * (width + gap)
                draw.rounded_rectangle(
                    [x0, y - height, x0 + width, y], radius=8, fill=colour, outline=_shade(colour, 0.75)
                )
                label_w = width * 0.5
                lx = x0 + (width - label_w) / 2
                draw.rounded_rectangle(
                    [lx, y - height + 22, lx + label_w, y - height + 44], radius=4, fill=(250, 248, 242)
                )
        draw.ellipse([WIDTH * 0.2, floor_y + 40, WIDTH * 0.8, HEIGHT - 20], fill=_shade(palette[2], 0.95))
        pot_x = right - 90
        draw.rounded_rectangle([pot_x, shelf_ys[0] - 44, pot_x + 50, shelf_ys[0]], radius=6, fill=(214, 140, 104))
        for dx, dy in ((-18, -70), (8, -86), (30, -66), (0, -60)):
            draw.ellipse(
                [pot_x + 25 + dx - 16, shelf_ys[0] + dy - 16, pot_x + 25 + dx + 16, shelf_ys[0] + dy + 16],
                fill=(92, 150, 100),
            )
        for i in range(5):  # a row of books
            bx = left + 30 + i * 26
            draw.rectangle([bx, shelf_ys[0] - 70 + (i % 2) * 8, bx + 22, shelf_ys[0]], fill=palette[i % len(palette)])
    else:
        # Odd boxes and bags, tilted, overflowing onto the floor.
        for row, y in enumerate(shelf_ys[1:]):
            room = y - shelf_ys[row] - 12
            x = left + 20
            while x < right - 60:
                w, h = rng.randint(50, 130), rng.randint(40, room - 4)
                _rotated_box(
                    draw, x + w / 2, y - h / 2 + rng.randint(0, 8), w, h, rng.uniform(-14, 14), rng.choice(CLUTTER)
                )
                x += w * rng.uniform(0.6, 1.0)
        for _ in range(9):
            w, h = rng.randint(60, 150), rng.randint(40, 110)
            cx = rng.randint(40, WIDTH - 40)
            _rotated_box(
                draw, cx, floor_y + rng.randint(-10, 40) - h / 3, w, h, rng.uniform(-30, 30), rng.choice(CLUTTER)
            )
        for _ in range(6):  # loose papers
            cx, cy = rng.randint(60, WIDTH - 60), rng.randint(floor_y + 10, HEIGHT - 20)
            _rotated_box(draw, cx, cy, 44, 30, rng.uniform(-60, 60), (248, 246, 238))

    # The caption tag in the top-left corner.
    font = _font(26)
    tag = caption.upper()
    box = draw.textbbox((0, 0), tag, font=font)
    pad = 14
    tag_fill = (60, 64, 72) if not tidy else palette[0]
    draw.rounded_rectangle(
        [24, 24, 24 + box[2] - box[0] + pad * 2, 24 + box[3] - box[1] + pad * 2], radius=10, fill=tag_fill
    )
    draw.text((24 + pad - box[0], 24 + pad - box[1]), tag, font=font, fill=(255, 255, 255))

    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=84, optimize=True)
    return buffer.getvalue()


def before_and_after(seed: str) -> tuple[bytes, bytes]:
    """JPEG bytes of a cluttered and a tidy version of one shelving unit."""
    before = _scene(random.Random(f"{seed}:before"), tidy=False, caption="Before")
    # The same seed for the palette, so before and after share the wall colour.
    after = _scene(random.Random(f"{seed}:before"), tidy=True, caption="After")
    return before, after


def evidence_photo() -> io.BytesIO:
    """A small PNG standing in for a customer's photo of unfinished work (dispute evidence)."""
    image = _gradient((188, 170, 150), (120, 104, 92))
    draw = ImageDraw.Draw(image)
    width, height = image.size
    for index in range(6):
        left = width * (0.08 + index * 0.15)
        draw.rectangle(
            (left, height * 0.45, left + width * 0.1, height * 0.9), fill=_shade((150, 120, 90), 1 - index / 12)
        )
    buffer = io.BytesIO()
    image.resize((width // 4, height // 4)).save(buffer, format="PNG")
    buffer.seek(0)
    return buffer
