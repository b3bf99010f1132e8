"""A handwritten-digit classifier small enough to ship inside the package.

The model is a multinomial logistic regression (10 classes x 64 weights) trained
by agent/tools/train_digit_model.py on scikit-learn's copy of the UCI optical
digits data set (8x8 images, 0 to 16 ink per cell). Its weights are a JSON file
in this package; inference is plain Python, and it is never downloaded.

An image reaches the model the way the data set's digits were made: the
digit's bounding box, centred in a square frame, averaged down to 8x8 cells of
ink. The training script puts the data set's own samples through the same
`digit_features`, so that training and serving see alike features.
"""

import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

from dfaas_gateway.functions.base import FunctionInputError
from dfaas_gateway.functions.images import GreyImage

GRID = 8
MAX_INK = 16.0  # the data set's scale: ink pixels of a 4x4 block of a 32x32 bitmap
# A pixel counts for the bounding box from this share of the image's darkest ink,
# so that anti-aliasing and compression noise do not widen it.
BOX_THRESHOLD = 0.1
MODEL_RESOURCE = "digit_model.json"


def _ink(image: GreyImage) -> list[float]:
    """Ink 0..255 per pixel: dark on light, or light on dark when the border is dark."""
    width, height = image.width, image.height
    border = [image.at(x, y) for x in range(width) for y in {0, height - 1}]
    border += [image.at(x, y) for y in range(height) for x in {0, width - 1}]
    if sum(border) / len(border) >= 128:
        return [255.0 - value for value in image.pixels]
    return list(image.pixels)


def _cell_weights(start: float, side: float, size: int) -> list[list[tuple[int, float]]]:
    """For each pixel index 0..size-1 along one axis: (cell, share of the pixel in it)."""
    cell_side = side / GRID
    weights: list[list[tuple[int, float]]] = []
    for pixel in range(size):
        low, high = pixel - start, pixel + 1 - start  # the pixel in frame coordinates
        shares = []
        first = max(0, math.floor(low / cell_side))
        last = min(GRID - 1, math.ceil(high / cell_side) - 1)
        for cell in range(first, last + 1):
            overlap = min(high, (cell + 1) * cell_side) - max(low, cell * cell_side)
            if overlap > 0:
                shares.append((cell, overlap))
        weights.append(shares)
    return weights


def digit_features(image: GreyImage) -> list[float]:
    """64 cells of ink, 0..16, row by row: the digit boxed, centred, averaged to 8x8.

    The strongest cell is scaled to 16 (as in nearly every data-set sample), so
    that thin pens and grey ink read like the data set's thick binary strokes.
    """
    ink = _ink(image)
    strongest = max(ink)
    if strongest < 32:
        raise FunctionInputError("the image is blank: no digit to classify")
    threshold = strongest * BOX_THRESHOLD
    width = image.width
    columns = [i % width for i, value in enumerate(ink) if value >= threshold]
    rows = [i // width for i, value in enumerate(ink) if value >= threshold]
    left, right, top, bottom = min(columns), max(columns) + 1, min(rows), max(rows) + 1
    side = float(max(right - left, bottom - top))
    frame_x = (left + right - side) / 2
    frame_y = (top + bottom - side) / 2
    x_weights = _cell_weights(frame_x, side, width)
    y_weights = _cell_weights(frame_y, side, image.height)
    cells = [0.0] * (GRID * GRID)
    for y in range(top, bottom):
        row = y * width
        for y_cell, y_share in y_weights[y]:
            base = y_cell * GRID
            for x in range(left, right):
                value = ink[row + x]
                if value:
                    for x_cell, x_share in x_weights[x]:
                        cells[base + x_cell] += value * x_share * y_share
    peak = max(cells)
    return [MAX_INK * value / peak for value in cells]


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float


@dataclass(frozen=True)
class DigitModel:
    classes: tuple[str, ...]
    weights: tuple[tuple[float, ...], ...]  # one row of 64 per class
    intercepts: tuple[float, ...]
    feature_scale: float  # features are divided by this before the weights apply

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> "DigitModel":
        classes = tuple(str(label) for label in document["classes"])
        weights = tuple(tuple(float(w) for w in row) for row in document["coefficients"])
        intercepts = tuple(float(b) for b in document["intercepts"])
        if not (len(weights) == len(intercepts) == len(classes)) or any(
            len(row) != GRID * GRID for row in weights
        ):
            raise ValueError("digit model: shapes do not match 10 classes x 64 features")
        return cls(classes, weights, intercepts, float(document["feature_scale"]))

    def probabilities(self, features: list[float]) -> list[Prediction]:
        """Every class with its softmax probability, most likely first."""
        scaled = [value / self.feature_scale for value in features]
        logits = [
            intercept + sum(w * x for w, x in zip(row, scaled, strict=True))
            for row, intercept in zip(self.weights, self.intercepts, strict=True)
        ]
        top = max(logits)
        exponentials = [math.exp(logit - top) for logit in logits]
        total = sum(exponentials)
        ranked = sorted(
            zip(self.classes, exponentials, strict=True), key=lambda pair: pair[1], reverse=True
        )
        return [Prediction(label, value / total) for label, value in ranked]


def load_packaged_model() -> DigitModel:
    text = resources.files("dfaas_gateway.functions").joinpath(MODEL_RESOURCE).read_text()
    return DigitModel.from_json(json.loads(text))
