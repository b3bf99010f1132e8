"""ocr and image-classification really run in the gateway: Tesseract reads text that the
test renders, the packaged digit model names digits, and bad requests get the right status."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image, ImageDraw, ImageFont

if TYPE_CHECKING:
    from conftest import GatewayProcess, GatewayStarter

pytestmark = pytest.mark.component

TESSERACT = shutil.which("tesseract")
needs_tesseract = pytest.mark.skipif(
    TESSERACT is None,
    reason="tesseract is not installed (scripts/install-system-deps.sh installs tesseract-ocr)",
)
HELD_OUT = json.loads((Path(__file__).parent / "data/digits_heldout.json").read_text())["samples"]
# The model's held-out accuracy is about 0.96 (digit_model.json); the sample must not fall far.
MIN_SAMPLE_ACCURACY = 0.9


def _encoded(picture: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, fmt)
    return buffer.getvalue()


def _text_picture(lines: list[str]) -> Image.Image:
    font = ImageFont.load_default(size=48)
    picture = Image.new("L", (60 + 30 * max(map(len, lines)), 40 + 70 * len(lines)), 255)
    draw = ImageDraw.Draw(picture)
    for number, line in enumerate(lines):
        draw.text((30, 20 + 70 * number), line, fill=0, font=font)
    return picture


def _data_set_sample(cells: list[int], scale: int = 6) -> Image.Image:
    """A data-set digit (8x8, ink 0..16) drawn as dark ink on white, with a margin."""
    small = Image.new("L", (8, 8))
    small.putdata([255 - value * 255 // 16 for value in cells])
    picture = Image.new("L", (8 * scale + 2 * scale, 8 * scale + 2 * scale), 255)
    picture.paste(small.resize((8 * scale, 8 * scale), Image.Resampling.NEAREST), (scale, scale))
    return picture


def _drawn_digit(digit: str) -> Image.Image:
    picture = Image.new("L", (100, 100), 255)
    draw = ImageDraw.Draw(picture)
    strokes = {
        "0": lambda: draw.ellipse((25, 10, 75, 90), outline=0, width=12),
        "1": lambda: draw.line((50, 10, 50, 90), fill=0, width=12),
        "4": lambda: draw.line([(60, 90), (60, 10), (20, 60), (80, 60)], fill=0, width=12),
        "7": lambda: draw.line([(25, 12), (75, 12), (40, 90)], fill=0, width=12),
    }
    strokes[digit]()
    return picture


@needs_tesseract
@pytest.mark.parametrize(("fmt", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_ocr_reads_the_text_of_a_rendered_image(
    image_functions_gateway: GatewayProcess, fmt: str, content_type: str
) -> None:
    lines = ["Edge nodes share", "load 4711 quickly"]
    body = _encoded(_text_picture(lines), fmt)
    with image_functions_gateway.client() as client:
        response = client.post(
            "/function/ocr", content=body, headers={"Content-Type": content_type}
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.split() == " ".join(lines).split()


@needs_tesseract
def test_ocr_takes_a_pgm_body_sent_without_a_content_type(
    image_functions_gateway: GatewayProcess,
) -> None:
    body = _encoded(_text_picture(["PGM 2026"]), "PPM")  # mode L: Pillow writes P5 (PGM)
    assert body.startswith(b"P5")
    with image_functions_gateway.client() as client:
        response = client.post("/function/ocr", content=body)
    assert response.status_code == 200, response.text
    assert response.text.split() == ["PGM", "2026"]


@needs_tesseract
@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (b"just some words", "text/plain", 415, "Content-Type text/plain is not accepted"),
        (b"just some words", "", 415, "no image that this function recognises"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png", 400, "tesseract cannot read the image"),
    ],
)
def test_ocr_refuses_a_body_that_is_not_an_image(
    image_functions_gateway: GatewayProcess,
    body: bytes,
    content_type: str,
    status: int,
    message: str,
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    with image_functions_gateway.client() as client:
        response = client.post("/function/ocr", content=body, headers=headers)
    assert response.status_code == status
    assert message in response.text


def test_ocr_cannot_be_deployed_without_tesseract_and_says_so(
    gateway_starter: GatewayStarter, tmp_path: Path
) -> None:
    gateway = gateway_starter("--tesseract", str(tmp_path / "no-such-tesseract"))
    response = gateway.deploy("ocr", "ocr")
    assert response.status_code == 400
    assert "tesseract binary" in response.text
    assert "apt-get install tesseract-ocr tesseract-ocr-eng" in response.text


@needs_tesseract
def test_ocr_answers_503_when_tesseract_disappears_after_deployment(
    gateway_starter: GatewayStarter, tmp_path: Path
) -> None:
    assert TESSERACT is not None
    binary = tmp_path / "tesseract"
    binary.symlink_to(TESSERACT)
    gateway = gateway_starter("--tesseract", str(binary))
    assert gateway.deploy("ocr", "ocr").status_code == 202
    binary.unlink()
    body = _encoded(_text_picture(["gone"]), "PNG")
    with gateway.client() as client:
        response = client.post("/function/ocr", content=body, headers={"Content-Type": "image/png"})
        health = client.get("/healthz")
    assert response.status_code == 503
    # A refusal before running: a member's sender may try another member with it.
    assert response.headers["DFaaS-Refused"] == "unavailable"
    assert f"tesseract binary {binary} is missing" in response.text
    assert health.status_code == 200


@needs_tesseract
def test_ocr_cannot_be_deployed_without_the_english_language_data(
    gateway_starter: GatewayStarter, tmp_path: Path
) -> None:
    empty = tmp_path / "tessdata"
    empty.mkdir()
    wrapper = tmp_path / "tesseract-without-eng"
    wrapper.write_text(f'#!/bin/sh\nTESSDATA_PREFIX={empty} exec {TESSERACT} "$@"\n')
    wrapper.chmod(0o755)
    gateway = gateway_starter("--tesseract", str(wrapper))
    response = gateway.deploy("ocr", "ocr")
    assert response.status_code == 400
    assert "no 'eng' language data" in response.text


def test_image_classification_names_held_out_data_set_digits(
    image_functions_gateway: GatewayProcess,
) -> None:
    right = 0
    with image_functions_gateway.client() as client:
        for sample in HELD_OUT:
            body = _encoded(_data_set_sample(sample["cells"]), "PNG")
            response = client.post(
                "/function/image-classification",
                content=body,
                headers={"Content-Type": "image/png"},
            )
            assert response.status_code == 200, response.text
            ranked = response.json()
            assert 1 <= len(ranked) <= 3
            probabilities = [entry["probability"] for entry in ranked]
            assert probabilities == sorted(probabilities, reverse=True)
            assert all(0.1 <= p <= 1 for p in probabilities)
            assert sum(probabilities) <= 1.0001
            right += ranked[0]["class"] == sample["label"]
    assert len(HELD_OUT) == 50
    assert right / len(HELD_OUT) >= MIN_SAMPLE_ACCURACY


@pytest.mark.parametrize("digit", ["0", "1", "4", "7"])
def test_image_classification_names_digits_drawn_by_the_test(
    image_functions_gateway: GatewayProcess, digit: str
) -> None:
    with image_functions_gateway.client() as client:
        png = client.post(
            "/function/image-classification",
            content=_encoded(_drawn_digit(digit), "PNG"),
            headers={"Content-Type": "image/png"},
        )
        inverted = Image.eval(_drawn_digit(digit), lambda value: 255 - value)
        pgm = client.post(
            "/function/image-classification",
            content=_encoded(inverted, "PPM"),
            headers={"Content-Type": "image/x-portable-graymap"},
        )
    assert png.status_code == pgm.status_code == 200
    assert png.json()[0]["class"] == digit
    assert pgm.json()[0]["class"] == digit  # light ink on dark reads the same


@pytest.mark.parametrize(
    ("method", "body", "content_type", "expected"),
    [
        ("GET", b"", "", (405, "POST an image (got GET)")),
        ("POST", b"{}", "application/json", (415, "Content-Type application/json is not accepted")),
        ("POST", "jpeg", "image/jpeg", (415, "Content-Type image/jpeg is not accepted")),
        ("POST", b"not a png at all", "image/png", (400, "not a PNG image although")),
        (
            "POST",
            b"\x89PNG\r\n\x1a\n\x00\x00",
            "image/png",
            (400, "cannot decode the PNG image: PNG is truncated"),
        ),
        ("POST", "blank", "image/png", (400, "the image is blank")),
    ],
)
def test_image_classification_refuses_bad_requests_with_their_status(
    image_functions_gateway: GatewayProcess,
    method: str,
    body: bytes | str,
    content_type: str,
    expected: tuple[int, str],
) -> None:
    if body == "jpeg":
        body = _encoded(_drawn_digit("7"), "JPEG")
    elif body == "blank":
        body = _encoded(Image.new("L", (40, 40), 255), "PNG")
    headers = {"Content-Type": content_type} if content_type else {}
    with image_functions_gateway.client() as client:
        response = client.request(
            method, "/function/image-classification", content=body, headers=headers
        )
    status, message = expected
    assert response.status_code == status
    assert message in response.text
