"""The stdlib image decoder agrees with Pillow, and image bodies are accepted or refused by type."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageFont

from dfaas_gateway.functions.base import Invocation, UnsupportedMediaTypeError
from dfaas_gateway.functions.digit_model import digit_features
from dfaas_gateway.functions.images import (
    GreyImage,
    ImageDecodeError,
    accepted_image_format,
    decode_grey,
    sniff_format,
)


def _picture() -> Image.Image:
    picture = Image.new("RGB", (90, 60), (250, 245, 240))
    draw = ImageDraw.Draw(picture)
    draw.text((8, 4), "D7", fill=(20, 60, 200), font=ImageFont.load_default(size=40))
    draw.rectangle((70, 40, 85, 55), fill=(200, 30, 30))
    return picture


def _encoded(picture: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **options)
    return buffer.getvalue()


def _pillow_grey_over_white(picture: Image.Image) -> list[float]:
    white = Image.new("RGBA", picture.size, (255, 255, 255, 255))
    white.alpha_composite(picture.convert("RGBA"))
    return [float(value) for value in white.convert("L").tobytes()]


@pytest.mark.parametrize(
    ("mode", "options"),
    [
        ("RGB", {}),
        ("L", {}),
        ("RGBA", {}),
        ("LA", {}),
        ("1", {}),
        ("P", {}),
        ("P", {"bits": 2}),
        ("RGB", {"optimize": True}),
    ],
)
def test_png_decodes_to_the_grey_levels_pillow_computes(
    mode: str, options: dict[str, object]
) -> None:
    picture = _picture()
    if mode == "P" and "bits" in options:
        picture = picture.convert("L").convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    else:
        picture = picture.convert(mode)
    if mode == "RGBA":
        picture.putalpha(Image.linear_gradient("L").resize(picture.size))
    decoded = decode_grey(_encoded(picture, "PNG", **options), "png")
    expected = _pillow_grey_over_white(picture)
    assert (decoded.width, decoded.height) == picture.size
    # Pillow rounds to integers; the decoder keeps fractions.
    assert max(abs(a - b) for a, b in zip(decoded.pixels, expected, strict=True)) <= 1.0


@pytest.mark.parametrize("fmt", ["PPM", "PGM"])
def test_binary_pnm_decodes_like_png(fmt: str) -> None:
    picture = _picture().convert("L" if fmt == "PGM" else "RGB")
    decoded = decode_grey(_encoded(picture, "PPM"), "pnm")
    expected = _pillow_grey_over_white(picture)
    assert max(abs(a - b) for a, b in zip(decoded.pixels, expected, strict=True)) <= 1.0


def test_plain_pgm_with_comments_decodes() -> None:
    body = b"P2\n# a comment\n3 2\n# another\n10\n0 5 10\n10 5 0\n"
    assert decode_grey(body, "pnm") == GreyImage(3, 2, [0.0, 127.5, 255.0, 255.0, 127.5, 0.0])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_encoded(_picture(), "PNG")[:200], "truncated"),
        (_encoded(_picture(), "PNG")[:-12], "ends before its IEND"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, "corrupt"),
        (b"P5\n4 4\n255\n\x00\x01", "pixel data holds 2 bytes, 16 expected"),
        (b"P5\n99999 99999\n255\n", "outside 1..8192"),
        (b"P5\n4000 4000\n255\n", "larger than"),
    ],
)
def test_broken_images_are_refused_with_a_reason(body: bytes, message: str) -> None:
    fmt = sniff_format(body)
    assert fmt is not None
    with pytest.raises(ImageDecodeError, match=message):
        decode_grey(body, fmt)


def test_a_png_with_a_corrupt_crc_is_refused() -> None:
    body = bytearray(_encoded(_picture(), "PNG"))
    body[40] ^= 0xFF  # inside the first IDAT's data
    with pytest.raises(ImageDecodeError, match="corrupt"):
        decode_grey(bytes(body), "png")


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("PNG", "png"), ("JPEG", "jpeg"), ("TIFF", "tiff"), ("PPM", "pnm"), ("BMP", "bmp")],
)
def test_formats_are_recognised_by_their_first_bytes(fmt: str, expected: str) -> None:
    assert sniff_format(_encoded(_picture(), fmt)) == expected


def _invocation(body: bytes, content_type: str) -> Invocation:
    return Invocation("f", "POST", "/", {}, body, content_type)


def test_an_undeclared_body_is_taken_by_its_signature() -> None:
    png = _encoded(_picture(), "PNG")
    for declared in ("", "application/octet-stream", "application/x-www-form-urlencoded"):
        assert accepted_image_format(_invocation(png, declared), ["png"]) == "png"


@pytest.mark.parametrize(
    ("fmt", "content_type", "error", "message"),
    [
        ("JPEG", "image/jpeg", UnsupportedMediaTypeError, "Content-Type image/jpeg is not"),
        ("PNG", "text/plain", UnsupportedMediaTypeError, "Content-Type text/plain is not"),
        ("JPEG", "", UnsupportedMediaTypeError, "the body is a JPEG image"),
        (None, "", UnsupportedMediaTypeError, "no image that this function recognises"),
        ("JPEG", "image/png", ImageDecodeError, "not a PNG image although Content-Type"),
    ],
)
def test_wrong_types_are_refused_415_and_mislabelled_bodies_400(
    fmt: str | None, content_type: str, error: type[Exception], message: str
) -> None:
    body = _encoded(_picture(), fmt) if fmt else b"hello, not an image"
    with pytest.raises(error, match=message) as raised:
        accepted_image_format(_invocation(body, content_type), ["png", "pnm"])
    assert raised.value.status_code == (415 if error is UnsupportedMediaTypeError else 400)  # type: ignore[attr-defined]


def test_digit_features_ignore_the_ink_colour_and_the_digit_position() -> None:
    dark_on_light = Image.new("L", (120, 90), 255)
    ImageDraw.Draw(dark_on_light).line((30, 10, 45, 70), fill=0, width=8)
    light_on_dark = Image.new("L", (80, 140), 0)
    ImageDraw.Draw(light_on_dark).line((50, 50, 65, 110), fill=255, width=8)

    def features(picture: Image.Image) -> list[float]:
        return digit_features(decode_grey(_encoded(picture, "PNG"), "png"))

    first, second = features(dark_on_light), features(light_on_dark)
    assert max(first) == 16
    assert max(abs(a - b) for a, b in zip(first, second, strict=True)) < 0.5


def test_a_blank_image_has_no_digit() -> None:
    with pytest.raises(ValueError, match="blank"):
        digit_features(GreyImage(4, 4, [250.0] * 16))
