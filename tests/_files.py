"""Files in the tests: sweep specs written as TOML, tables compared without their timings, and
written images checked to be what they claim (a drawn PNG, a PDF), not merely non-empty."""

from __future__ import annotations

import json

import numpy as np


def write_toml(path, table):
    """Write ``table`` (flat: keys to numbers, strings or lists) to ``path`` as TOML; return ``path``."""
    path.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in table.items()))
    return path


def without_timings(df):
    """A sweep's table without its wall-clock column (the only one that differs between runs)."""
    return df.drop(columns=["seconds"])


def assert_drawn_png(path, min_pixels=100 * 100):
    """``path`` is a PNG image of at least ``min_pixels`` pixels with something drawn on it
    (more than one colour), not merely a non-empty file."""
    from matplotlib.image import imread

    with open(path, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG file"
    img = imread(path)
    assert img.shape[0] * img.shape[1] >= min_pixels, img.shape
    flat = img.reshape(-1, img.shape[-1]) if img.ndim == 3 else img.reshape(-1, 1)
    assert len(np.unique(flat, axis=0)) > 2, f"{path} is blank"


def assert_pdf(path):
    """``path`` is a whole PDF file: the header and the end-of-file marker."""
    data = open(path, "rb").read()
    assert data[:5] == b"%PDF-" and b"%%EOF" in data[-64:], f"{path} is not a whole PDF file"
