"""Train the image-classification built-in's digit model and write it into the package.

    python -m venv /tmp/train && /tmp/train/bin/pip install -r agent/tools/requirements-train.txt
    PYTHONPATH=agent/src /tmp/train/bin/python agent/tools/train_digit_model.py

scikit-learn is needed here only: the runtime reads the written JSON with plain
Python. The data set is scikit-learn's bundled copy of the UCI optical
recognition of handwritten digits (1797 samples, 8x8, 0..16), nothing is
downloaded. Every sample goes through the runtime's own `digit_features`
(boxing, centring, scaling to the data set's 8x8 grid) before training, as
every served image does; the regularisation is chosen by cross-validation on
the training part only, and the held-out part (25 %, stratified) is scored
twice: with scikit-learn, and with the exported JSON through the runtime's
image path (each held-out digit upscaled to 32x32 grey, dark ink on white).
A few held-out samples are written for the gateway's tests.
"""

import json
import sys
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import train_test_split

from dfaas_gateway.functions.digit_model import DigitModel, digit_features
from dfaas_gateway.functions.images import GreyImage

AGENT = Path(__file__).resolve().parents[1]
MODEL_PATH = AGENT / "src/dfaas_gateway/functions/digit_model.json"
SAMPLES_PATH = AGENT / "tests/gateway/data/digits_heldout.json"
FEATURE_SCALE = 16.0
SEED = 0
SAMPLES_PER_CLASS = 5
UPSCALE = 4


def as_image(cells: np.ndarray, upscale: int) -> GreyImage:
    """An 8x8 data-set sample as a grey picture with a white margin: ink 16 is black."""
    margin = upscale
    side = 8 * upscale + 2 * margin

    def grey(x: int, y: int) -> float:
        x, y = x - margin, y - margin
        if not (0 <= x < 8 * upscale and 0 <= y < 8 * upscale):
            return 255.0
        return 255.0 - float(cells[(y // upscale) * 8 + x // upscale]) * 255.0 / 16.0

    return GreyImage(side, side, [grey(x, y) for y in range(side) for x in range(side)])


def main() -> int:
    digits = load_digits()
    features = np.array([digit_features(as_image(row, 1)) for row in digits.data])
    train_x, test_x, train_y, test_y, _, test_index = train_test_split(
        features / FEATURE_SCALE,
        digits.target,
        np.arange(len(digits.target)),
        test_size=0.25,
        stratify=digits.target,
        random_state=SEED,
    )
    model = LogisticRegressionCV(Cs=10, cv=5, max_iter=5000, random_state=SEED)
    model.fit(train_x, train_y)
    sklearn_accuracy = float(model.score(test_x, test_y))

    document = {
        "model": "multinomial logistic regression, 10 classes x 64 features",
        "data_set": "scikit-learn load_digits (UCI optical recognition of handwritten digits)",
        "trained_with": f"scikit-learn {sklearn.__version__}, agent/tools/train_digit_model.py",
        "training_samples": len(train_y),
        "held_out_samples": len(test_y),
        "regularisation_C": float(model.C_[0]),
        "feature_scale": FEATURE_SCALE,
        "classes": [str(label) for label in model.classes_],
        "coefficients": [[round(float(w), 6) for w in row] for row in model.coef_],
        "intercepts": [round(float(b), 6) for b in model.intercept_],
    }
    exported = DigitModel.from_json(document)
    right = 0
    for index, label in zip(test_index, test_y, strict=True):
        image = as_image(digits.data[index], UPSCALE)
        predicted = exported.probabilities(digit_features(image))[0].label
        right += predicted == str(label)
    image_path_accuracy = right / len(test_y)
    document["held_out_accuracy"] = round(sklearn_accuracy, 4)
    document["held_out_accuracy_image_path"] = round(image_path_accuracy, 4)
    MODEL_PATH.write_text(json.dumps(document, indent=1) + "\n")

    samples = []
    for digit in range(10):
        chosen = [i for i, label in zip(test_index, test_y, strict=True) if label == digit]
        samples += [
            {"label": str(digit), "cells": [int(v) for v in digits.data[i]], "index": int(i)}
            for i in chosen[:SAMPLES_PER_CLASS]
        ]
    SAMPLES_PATH.parent.mkdir(parents=True, exist_ok=True)
    SAMPLES_PATH.write_text(
        json.dumps(
            {"source": "held-out part of load_digits, see train_digit_model.py", "samples": samples}
        )
        + "\n"
    )
    print(
        f"trained on {len(train_y)} samples (C={model.C_[0]:.4g});"
        f" held-out accuracy {sklearn_accuracy:.4f} on {len(test_y)} samples (scikit-learn),"
        f" {image_path_accuracy:.4f} through the runtime's image path with the exported JSON;"
        f" wrote {MODEL_PATH.relative_to(AGENT)} ({MODEL_PATH.stat().st_size} bytes)"
        f" and {SAMPLES_PATH.relative_to(AGENT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
