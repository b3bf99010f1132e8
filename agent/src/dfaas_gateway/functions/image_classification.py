"""image-classification: which handwritten digit a PNG or PGM picture shows.

Upstream's function runs ResNet-50 on ImageNet; this built-in answers in the
same shape (a JSON list of up to 3 {class, probability}, probability >= 0.1,
POST with an image only) with a model small enough to ship in the package: a
logistic regression on 8x8 digits (digit_model.py). Decoding and inference are
pure Python, so they run in the bounded pool of worker processes that cpuburn
uses, and a timeout kills the worker.
"""

import json
from dataclasses import dataclass
from functools import cache

import anyio
import anyio.to_process

from dfaas_gateway.functions.base import (
    FunctionOutput,
    Invocation,
    MethodNotAllowedError,
)
from dfaas_gateway.functions.digit_model import DigitModel, digit_features, load_packaged_model
from dfaas_gateway.functions.images import accepted_image_format, decode_grey

ACCEPTED_FORMATS = ("png", "pnm")
TOP_CLASSES = 3
MIN_PROBABILITY = 0.1


@cache
def _model() -> DigitModel:
    """Read once per process (the gateway's and each worker's)."""
    return load_packaged_model()


def classify(body: bytes, fmt: str) -> list[dict[str, object]]:
    """The most likely classes of the image, as the response lists them."""
    features = digit_features(decode_grey(body, fmt))
    ranked = _model().probabilities(features)[:TOP_CLASSES]
    return [
        {"class": prediction.label, "probability": round(prediction.probability, 4)}
        for prediction in ranked
        if prediction.probability >= MIN_PROBABILITY
    ]


@dataclass(frozen=True)
class ImageClassification:
    workers: anyio.CapacityLimiter
    name: str = "image-classification"
    summary: str = (
        "the handwritten digit in a POSTed PNG/PGM image: top 3 {class, probability} as JSON"
    )

    def unavailable_reason(self) -> str | None:
        try:
            _model()
        except (OSError, ValueError, KeyError) as error:
            return f"its packaged digit model cannot be read: {error}"
        return None

    async def __call__(self, invocation: Invocation) -> FunctionOutput:
        if invocation.method != "POST":
            raise MethodNotAllowedError(
                f"{invocation.function_name}: POST an image (got {invocation.method})"
            )
        fmt = accepted_image_format(invocation, ACCEPTED_FORMATS)
        ranked = await anyio.to_process.run_sync(
            classify, invocation.body, fmt, cancellable=True, limiter=self.workers
        )
        return FunctionOutput(json.dumps(ranked).encode(), "application/json")
