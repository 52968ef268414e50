"""Thumbnail of an image drawn by the workload itself, with Pillow (SeBS
210.thumbnailer; FunctionBench image_processing)."""

import hashlib
import io
import random

from PIL import Image, ImageDraw


def make_input():
    rng = random.Random(8)
    image = Image.new("RGB", (800, 600), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for _ in range(300):
        x, y = rng.randrange(800), rng.randrange(600)
        box = (x, y, x + rng.randrange(10, 120), y + rng.randrange(10, 120))
        draw.ellipse(box, fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def handler(png):
    image = Image.open(io.BytesIO(png))
    image.thumbnail((128, 128))
    pixels = image.convert("RGB").tobytes()
    return f"{image.size[0]}x{image.size[1]}-{hashlib.sha256(pixels).hexdigest()[:12]}"
