"""Image bodies: which format a request carries, and a small decoder to grey pixels.

The decoder reads PNG (every colour type and bit depth, not interlaced) and
binary or plain PGM/PPM, with the standard library only (zlib): the runtime is
installed on edge nodes from a wheelhouse, and a function that needs grey
pixels of a small picture does not justify an imaging library there. JPEG and
the other formats are recognised, so that a caller is told plainly that they
are not decoded here.
"""

import struct
import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from dfaas_gateway.functions.base import (
    FunctionInputError,
    Invocation,
    UnsupportedMediaTypeError,
)

# Format name -> the media types that declare it.
MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    "png": ("image/png",),
    "jpeg": ("image/jpeg", "image/jpg", "image/pjpeg"),
    "tiff": ("image/tiff",),
    "pnm": (
        "image/x-portable-graymap",
        "image/x-portable-pixmap",
        "image/x-portable-anymap",
        "image/x-portable-bitmap",
    ),
    "bmp": ("image/bmp", "image/x-ms-bmp"),
    "gif": ("image/gif",),
    "webp": ("image/webp",),
}
_FORMAT_OF_MEDIA_TYPE = {media: fmt for fmt, medias in MEDIA_TYPES.items() for media in medias}

# What clients send when they declare nothing useful: curl --data-binary sends the
# form type. The body's own signature decides then.
UNDECLARED_MEDIA_TYPES = frozenset(
    {"", "application/octet-stream", "application/x-www-form-urlencoded"}
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Bounds for what the decoder accepts (a small body can inflate to a huge image).
MAX_DECODED_PIXELS = 2_000_000
MAX_SIDE = 8192


class ImageDecodeError(FunctionInputError):
    """The body claims an image format but is not a valid image of it (400)."""


# Leading bytes of each format (TIFF: either byte order).
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (PNG_SIGNATURE, "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"BM", "bmp"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


def sniff_format(body: bytes) -> str | None:
    """The image format that the body's first bytes announce, or None."""
    for signature, fmt in _SIGNATURES:
        if body.startswith(signature):
            return fmt
    if len(body) >= 3 and body[0:1] == b"P" and body[1:2] in b"123456" and body[2:3].isspace():
        return "pnm"
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "webp"
    return None


def _names(formats: Collection[str]) -> str:
    return ", ".join(fmt.upper() for fmt in sorted(formats))


def accepted_image_format(invocation: Invocation, formats: Collection[str]) -> str:
    """The format of the request's image, one of `formats`.

    A declared image media type must be one of `formats` (else 415) and the
    body must start like it (else 400); with no useful declaration the body's
    signature decides (415 when it is no image of `formats`).
    """
    name = invocation.function_name
    declared = invocation.content_type
    found = sniff_format(invocation.body)
    if declared in UNDECLARED_MEDIA_TYPES:
        if found is not None and found in formats:
            return found
        what = f"a {found.upper()} image" if found else "no image that this function recognises"
        raise UnsupportedMediaTypeError(
            f"{name}: the body is {what}; send {_names(formats)}"
            " (and say so with Content-Type, e.g. image/png)"
        )
    fmt = _FORMAT_OF_MEDIA_TYPE.get(declared)
    if fmt is None or fmt not in formats:
        raise UnsupportedMediaTypeError(
            f"{name}: Content-Type {declared} is not accepted; send {_names(formats)}"
            f" ({', '.join(media for f in sorted(formats) for media in MEDIA_TYPES[f][:1])})"
        )
    if found != fmt:
        raise ImageDecodeError(
            f"{name}: the body is not a {fmt.upper()} image although Content-Type says {declared}"
        )
    return fmt


@dataclass(frozen=True)
class GreyImage:
    """Luminance 0 (black) to 255 (white), row by row; transparency composed onto white."""

    width: int
    height: int
    pixels: Sequence[float]

    def at(self, x: int, y: int) -> float:
        return self.pixels[y * self.width + x]


def decode_grey(body: bytes, fmt: str) -> GreyImage:
    """Grey pixels of a PNG or PNM body; ImageDecodeError when it is not valid."""
    try:
        if fmt == "png":
            return _decode_png(body)
        if fmt == "pnm":
            return _decode_pnm(body)
    except (struct.error, zlib.error, IndexError, ValueError) as error:
        # ImageDecodeError is a ValueError too: every reason gets the same prefix.
        raise ImageDecodeError(f"cannot decode the {fmt.upper()} image: {error}") from None
    raise ImageDecodeError(f"{fmt.upper()} images are not decoded here")


def _check_size(width: int, height: int) -> None:
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise ImageDecodeError(f"image size {width}x{height} is outside 1..{MAX_SIDE} per side")
    if width * height > MAX_DECODED_PIXELS:
        raise ImageDecodeError(
            f"image of {width}x{height} pixels is larger than {MAX_DECODED_PIXELS} pixels"
        )


def _luminance(red: float, green: float, blue: float) -> float:
    # ITU-R BT.601, as most image libraries convert colour to grey.
    return 0.299 * red + 0.587 * green + 0.114 * blue


# ---- PNG (RFC 2083 / ISO 15948) -------------------------------------------------

_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_ALLOWED_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}


@dataclass(frozen=True)
class _PngHeader:
    width: int
    height: int
    depth: int
    colour: int

    @property
    def bits_per_pixel(self) -> int:
        return self.depth * _CHANNELS[self.colour]

    def row_bytes(self, width: int) -> int:
        return (width * self.bits_per_pixel + 7) // 8


def _png_chunks(body: bytes) -> list[tuple[bytes, bytes]]:
    chunks = []
    offset = len(PNG_SIGNATURE)
    while offset < len(body):
        if offset + 12 > len(body):
            raise ImageDecodeError("PNG is truncated inside a chunk header")
        length, kind = struct.unpack(">I4s", body[offset : offset + 8])
        if offset + 12 + length > len(body):
            raise ImageDecodeError(f"PNG chunk {kind!r} is truncated")
        data = body[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", body[offset + 8 + length : offset + 12 + length])
        if zlib.crc32(kind + data) != crc:
            raise ImageDecodeError(f"PNG chunk {kind!r} is corrupt (CRC mismatch)")
        chunks.append((kind, data))
        offset += 12 + length
        if kind == b"IEND":
            return chunks
    raise ImageDecodeError("PNG ends before its IEND chunk")


def _decode_png(body: bytes) -> GreyImage:
    chunks = _png_chunks(body)
    if not chunks or chunks[0][0] != b"IHDR":
        raise ImageDecodeError("PNG does not start with IHDR")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1]
    )
    if depth not in _ALLOWED_DEPTHS.get(colour, set()) or compression or filtering:
        raise ImageDecodeError(f"PNG colour type {colour} with bit depth {depth} is not valid")
    if interlace:
        raise ImageDecodeError("interlaced PNG is not decoded here: save it without interlacing")
    _check_size(width, height)
    header = _PngHeader(width, height, depth, colour)
    palette: list[tuple[int, int, int]] = []
    alpha: bytes = b""
    compressed = bytearray()
    for kind, data in chunks[1:]:
        if kind == b"PLTE":
            palette = [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data) - 2, 3)]
        elif kind == b"tRNS":
            alpha = data
        elif kind == b"IDAT":
            compressed += data
    if colour == 3 and not palette:
        raise ImageDecodeError("palette PNG without a PLTE chunk")
    raw = _inflate(bytes(compressed), height * (1 + header.row_bytes(width)))
    samples = _png_samples(header, raw)
    return GreyImage(width, height, _png_grey(header, samples, palette, alpha))


def _inflate(compressed: bytes, expected: int) -> bytes:
    inflater = zlib.decompressobj()
    raw = inflater.decompress(compressed, expected)
    if len(raw) < expected:
        raise ImageDecodeError(f"PNG image data holds {len(raw)} bytes, {expected} expected")
    return raw


def _unfilter(raw: bytes, offset: int, rows: int, row_bytes: int, bpp: int) -> list[bytearray]:
    """The rows of one (sub-)image, filters undone; bpp is bytes per complete pixel (>= 1)."""
    previous = bytearray(row_bytes)
    result = []
    for _ in range(rows):
        kind = raw[offset]
        row = bytearray(raw[offset + 1 : offset + 1 + row_bytes])
        offset += 1 + row_bytes
        if kind == 1:
            for i in range(bpp, row_bytes):
                row[i] = (row[i] + row[i - bpp]) & 0xFF
        elif kind == 2:
            row = bytearray((a + b) & 0xFF for a, b in zip(row, previous, strict=True))
        elif kind == 3:
            for i in range(row_bytes):
                left = row[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(row_bytes):
                left = row[i - bpp] if i >= bpp else 0
                up_left = previous[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + _paeth(left, previous[i], up_left)) & 0xFF
        elif kind != 0:
            raise ImageDecodeError(f"PNG row filter {kind} is not valid")
        result.append(row)
        previous = row
    return result


def _paeth(left: int, up: int, up_left: int) -> int:
    estimate = left + up - up_left
    to_left, to_up, to_up_left = abs(estimate - left), abs(estimate - up), abs(estimate - up_left)
    if to_left <= to_up and to_left <= to_up_left:
        return left
    return up if to_up <= to_up_left else up_left


def _row_samples(row: bytearray, depth: int, count: int) -> list[int]:
    if depth == 8:
        return list(row[:count])
    if depth == 16:
        return [row[2 * i] << 8 | row[2 * i + 1] for i in range(count)]
    per_byte = 8 // depth
    mask = (1 << depth) - 1
    return [(row[i // per_byte] >> (8 - depth * (i % per_byte + 1))) & mask for i in range(count)]


def _png_samples(header: _PngHeader, raw: bytes) -> list[int]:
    """Every sample of the image, row by row."""
    channels = _CHANNELS[header.colour]
    bpp = max(1, header.bits_per_pixel // 8)
    rows = _unfilter(raw, 0, header.height, header.row_bytes(header.width), bpp)
    count = header.width * channels
    return [sample for row in rows for sample in _row_samples(row, header.depth, count)]


def _png_grey(
    header: _PngHeader, samples: list[int], palette: list[tuple[int, int, int]], alpha: bytes
) -> list[float]:
    top = (1 << header.depth) - 1
    scale = 255 / top
    colour = header.colour
    if colour == 0:
        return [value * scale for value in samples]
    if colour == 2:
        return [
            _luminance(samples[i], samples[i + 1], samples[i + 2]) * scale
            for i in range(0, len(samples), 3)
        ]
    if colour == 3:
        greys = [_luminance(*rgb) for rgb in palette]
        opacity = [alpha[i] / 255 if i < len(alpha) else 1.0 for i in range(len(palette))]
        if any(index >= len(palette) for index in samples):
            raise ImageDecodeError("PNG pixel refers past the end of its palette")
        return [greys[i] * opacity[i] + 255 * (1 - opacity[i]) for i in samples]
    if colour == 4:
        return [
            _over_white(samples[i] * scale, samples[i + 1] / top) for i in range(0, len(samples), 2)
        ]
    return [
        _over_white(
            _luminance(samples[i], samples[i + 1], samples[i + 2]) * scale, samples[i + 3] / top
        )
        for i in range(0, len(samples), 4)
    ]


def _over_white(grey: float, opacity: float) -> float:
    return grey * opacity + 255 * (1 - opacity)


# ---- PNM (netpbm: P2/P5 grey, P3/P6 colour) ----------------------------------------


def _pnm_tokens(body: bytes, count: int) -> tuple[list[int], int]:
    """The first `count` header numbers after the magic, and where the binary data starts."""
    values: list[int] = []
    position = 2
    while len(values) < count:
        while position < len(body) and (
            body[position : position + 1].isspace() or body[position] == ord("#")
        ):
            if body[position] == ord("#"):
                end = body.find(b"\n", position)
                position = len(body) if end < 0 else end
            position += 1
        start = position
        while position < len(body) and body[position : position + 1].isdigit():
            position += 1
        if start == position:
            raise ImageDecodeError("PNM header is truncated or not numeric")
        values.append(int(body[start:position]))
    return values, position + 1  # exactly one whitespace byte ends the header


def _decode_pnm(body: bytes) -> GreyImage:
    magic = body[:2]
    channels = {b"P2": 1, b"P5": 1, b"P3": 3, b"P6": 3}.get(magic)
    if channels is None:
        raise ImageDecodeError(f"PNM type {magic.decode(errors='replace')} is not decoded here")
    (width, height, top), data_start = _pnm_tokens(body, 3)
    _check_size(width, height)
    if not 0 < top < 65536:
        raise ImageDecodeError(f"PNM maximum value {top} is outside 1..65535")
    count = width * height * channels
    samples: Sequence[int]
    if magic in (b"P5", b"P6"):
        size = 2 if top > 255 else 1
        data = body[data_start : data_start + count * size]
        if len(data) < count * size:
            raise ImageDecodeError(
                f"PNM pixel data holds {len(data)} bytes, {count * size} expected"
            )
        samples = data if size == 1 else struct.unpack(f">{count}H", data)
    else:
        samples = [int(token) for token in body[data_start - 1 :].split()[:count]]
        if len(samples) < count:
            raise ImageDecodeError(f"PNM holds {len(samples)} samples, {count} expected")
    scale = 255 / top
    if channels == 1:
        return GreyImage(width, height, [min(value, top) * scale for value in samples])
    return GreyImage(
        width,
        height,
        [
            min(_luminance(samples[i], samples[i + 1], samples[i + 2]), top) * scale
            for i in range(0, count, 3)
        ],
    )
