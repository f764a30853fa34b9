"""A black-ink interior's own parts (builder.black_ink): the press's grey output profile,
read by LittleCMS (through Pillow) as a colour engine reads it, and pictures made grey."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from builder.black_ink import grey_image, grey_output_profile


def test_the_grey_profile_is_an_output_profile_a_colour_engine_reads() -> None:
    data = grey_output_profile()
    profile = ImageCms.ImageCmsProfile(io.BytesIO(data))
    assert (profile.profile.device_class, profile.profile.xcolor_space) == ("prtr", "GRAY")
    assert int.from_bytes(data[:4], "big") == len(data)
    to_ink = ImageCms.buildTransform(ImageCms.createProfile("sRGB"), profile, "RGB", "L")
    grey = [ImageCms.applyTransform(Image.new("RGB", (1, 1), (v, v, v)), to_ink).getpixel((0, 0))
            for v in (0, 64, 128, 192, 255)]
    assert grey == sorted(grey) and grey[0] < 8 and grey[-1] > 247, grey
    # Dot gain: a middle grey is sent lighter than it is, as the ink spreads on paper.
    assert grey[2] < 128


def test_the_profile_is_the_same_bytes_every_time() -> None:
    grey_output_profile.cache_clear()
    first = grey_output_profile()
    grey_output_profile.cache_clear()
    assert grey_output_profile() == first


@pytest.mark.parametrize(("mode", "colour", "kind", "grey_mode"), [
    ("RGB", (200, 30, 30), "JPEG", "L"),
    ("RGB", (200, 30, 30), "PNG", "L"),
    ("RGBA", (30, 30, 200, 128), "PNG", "LA"),
    ("P", 3, "GIF", "L"),
])
def test_a_picture_is_made_grey_and_keeps_its_kind_and_transparency(
        mode: str, colour: object, kind: str, grey_mode: str) -> None:
    out = io.BytesIO()
    Image.new(mode, (40, 20), colour).save(out, kind, **({"dpi": (300, 300)} if kind != "GIF" else {}))
    grey = Image.open(io.BytesIO(grey_image(out.getvalue())))
    assert grey.mode == grey_mode
    assert grey.format == ("JPEG" if kind == "JPEG" else "PNG")
    assert grey.size == (40, 20)
    if kind != "GIF":
        assert round(grey.info["dpi"][0]) == 300
    if grey_mode == "LA":
        assert grey.getpixel((0, 0))[1] == 128


def test_grey_pictures_and_unreadable_bytes_are_left_as_they_are() -> None:
    out = io.BytesIO()
    Image.new("L", (4, 4), 90).save(out, "PNG")
    assert grey_image(out.getvalue()) == out.getvalue()
    assert grey_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>") == b"<svg xmlns='http://www.w3.org/2000/svg'/>"
