#!/usr/bin/env python3
"""Generate models/fbank_patch.onnx: AST's patch grid on the normalised AST fbank, no learning.

Input  `fbank`    float32 [1, 1024, 128]  normalised AST fbank (src/main/audio/fbank.ts astInput)
Output `tokens_0` float32 [1212, 256]     raw 16x16 patches
       `tokens_1` float32 [1212, 256]     patch minus its own mean
       `tokens_2` float32 [1212, 256]     mean-removed patch low-passed to its 8x8 lowest 2-D DCT orders

Geometry is AST's (HF ASTPatchEmbeddings): the fbank is read as (freq, time), 16x16
patches with stride 10 on both axes, so 128 bins -> (128-16)//10+1 = 12 rows and
1024 frames -> (1024-16)//10+1 = 101 columns; token index = f*101 + t (frequency-major,
the order of flatten(2) on the conv output (B, C, F', T')). Inside a token, element
i*16 + j is mel bin 10f+i at frame 10t+j.

Why these three layers (approach A compares tokens by cosine similarity):
- 0: the exact patch values, so the baseline matches AST's input patches.
- 1: cosine on raw log-fbank patches is dominated by the patch's overall level (every
  patch of a steady machine looks alike); removing the mean makes the cosine the
  Pearson correlation of the patch's spectro-temporal shape, invariant to gain.
- 2: layer 1 restricted to the 63 lowest 2-D DCT orders (8x8 minus DC): the coarse
  shape, insensitive to the frame-to-frame texture of stationary noise. Kept in the
  256-dim pixel domain (an orthogonal projection) so every layer shares one dim.
A full-rank random orthogonal projection or a full DCT was rejected: both preserve
cosine similarity exactly, so they would add cost and no information.

Usage: python3 tools/make_fbank_patch_onnx.py [--out models/fbank_patch.onnx] [--manifest models/manifest.json]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hark_models import AST_FRAMES, FBANK_BINS, MODELS_DIR, SHIPPED_MANIFEST, SHIPPED_ORDER, file_record, upsert_entry  # noqa: E402

PATCH = 16
STRIDE = 10
LOWPASS_ORDERS = 8
VERSION = "1.0.0"


def grid(n: int) -> int:
    return (n - PATCH) // STRIDE + 1


def dct_matrix(n: int) -> np.ndarray:
    """Orthonormal DCT-II: row k is the k-th basis vector."""
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    c = np.cos(np.pi * (2 * x + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    c[0] /= np.sqrt(2.0)
    return c


def lowpass_projection() -> np.ndarray:
    """256x256 symmetric projection onto the 2-D DCT orders (k1, k2) < 8, DC excluded."""
    c = dct_matrix(PATCH)
    k = np.kron(c, c)  # row-major vec(C x C^T) = (C kron C) vec(x)
    keep = np.zeros((PATCH, PATCH))
    keep[:LOWPASS_ORDERS, :LOWPASS_ORDERS] = 1.0
    keep[0, 0] = 0.0
    p = k.T @ np.diag(keep.reshape(-1)) @ k
    return p


def build() -> onnx.ModelProto:
    fr, tr = grid(FBANK_BINS), grid(AST_FRAMES)
    n_tok, dim = fr * tr, PATCH * PATCH
    eye = np.zeros((dim, 1, PATCH, PATCH), np.float32)
    for i in range(PATCH):
        for j in range(PATCH):
            eye[i * PATCH + j, 0, i, j] = 1.0  # channel i*16+j picks (freq i, time j)
    proj = lowpass_projection().astype(np.float32)
    inits = [
        numpy_helper.from_array(eye, "patch_picker"),
        numpy_helper.from_array(proj, "dct_lowpass"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
        numpy_helper.from_array(np.array([dim, n_tok], np.int64), "shape_c_tok"),
    ]
    nodes = [
        helper.make_node("Transpose", ["fbank"], ["fbank_ft"], perm=[0, 2, 1]),  # (1, freq, time)
        helper.make_node("Unsqueeze", ["fbank_ft", "axis1"], ["image"]),  # (1, 1, freq, time)
        helper.make_node("Conv", ["image", "patch_picker"], ["patches"], kernel_shape=[PATCH, PATCH],
                         strides=[STRIDE, STRIDE], pads=[0, 0, 0, 0]),  # (1, 256, 12, 101)
        helper.make_node("Reshape", ["patches", "shape_c_tok"], ["patches_ct"]),
        helper.make_node("Transpose", ["patches_ct"], ["tokens_0"], perm=[1, 0]),
        helper.make_node("ReduceMean", ["tokens_0"], ["patch_mean"], axes=[1], keepdims=1),
        helper.make_node("Sub", ["tokens_0", "patch_mean"], ["tokens_1"]),
        helper.make_node("MatMul", ["tokens_1", "dct_lowpass"], ["tokens_2"]),
    ]
    graph = helper.make_graph(
        nodes,
        "hark_fbank_patch",
        [helper.make_tensor_value_info("fbank", TensorProto.FLOAT, [1, AST_FRAMES, FBANK_BINS])],
        [helper.make_tensor_value_info(f"tokens_{k}", TensorProto.FLOAT, [n_tok, dim]) for k in range(3)],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="hark/tools/make_fbank_patch_onnx.py")
    model.ir_version = 7
    model.doc_string = "AST patch grid (16x16, stride 10, 12x101, frequency-major) on the normalised AST fbank; layers: raw, mean-removed, DCT low-pass."
    helper.set_model_props(model, {"hark.encoder": "fbank_patch", "hark.version": VERSION})
    onnx.checker.check_model(model, full_check=True)
    return model


def self_check(model: onnx.ModelProto) -> None:
    """The projection is idempotent, symmetric and kills constants; picker is a permutation."""
    p = lowpass_projection()
    assert np.allclose(p, p.T, atol=1e-12) and np.allclose(p @ p, p, atol=1e-12)
    assert np.abs(p @ np.ones(PATCH * PATCH)).max() < 1e-12
    assert abs(np.trace(p) - (LOWPASS_ORDERS * LOWPASS_ORDERS - 1)) < 1e-9
    assert grid(FBANK_BINS) == 12 and grid(AST_FRAMES) == 101
    # run the graph on random input and compare with direct slicing and a direct 2-D DCT
    from onnx_torch_eval import run_graph
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, AST_FRAMES, FBANK_BINS)).astype(np.float32)
    out = run_graph(model, {"fbank": x}, ["tokens_0", "tokens_1", "tokens_2"])
    c = dct_matrix(PATCH)
    for f, t in [(0, 0), (11, 100), (5, 37)]:
        patch = x[0, t * STRIDE:t * STRIDE + PATCH, f * STRIDE:f * STRIDE + PATCH].T.astype(np.float64)  # (freq, time)
        tok = f * grid(AST_FRAMES) + t
        assert np.array_equal(out["tokens_0"][tok], patch.reshape(-1))
        centred = patch - patch.mean()
        assert np.abs(out["tokens_1"][tok] - centred.reshape(-1)).max() < 1e-12
        coef = c @ centred @ c.T
        coef[LOWPASS_ORDERS:, :] = 0.0
        coef[:, LOWPASS_ORDERS:] = 0.0
        assert np.abs(out["tokens_2"][tok] - (c.T @ coef @ c).reshape(-1)).max() < 1e-5


def entry(record: dict) -> dict:
    fr, tr = grid(FBANK_BINS), grid(AST_FRAMES)
    return {
        "id": "fbank_patch",
        "version": VERSION,
        "title": "Fbank patches (AST geometry, no learning)",
        "description": "AST's 12 x 101 grid of 16 x 16 patches (stride 10) cut from the normalised AST fbank. "
                       "Layer 0 = raw patch, 1 = mean-removed patch, 2 = mean-removed patch low-passed to its 8 x 8 lowest 2-D DCT orders. "
                       "The training-free baseline for approach A with AST's exact geometry.",
        "runtime": "onnx",
        "kind": "both",
        "files": [record],
        "licence": {"name": "Hark project code (generated, no trained weights)", "licence_restricted": False},
        "provenance": {"generator": "tools/make_fbank_patch_onnx.py", "source": "constructed: identity patch picker and a DCT projection"},
        "input": {"type": "fbank", "name": "fbank", "preset": "ast", "frames": AST_FRAMES, "bins": FBANK_BINS},
        "layers": [0, 1, 2],
        "default_layers": [1, 2],
        "patches": {
            "dim": PATCH * PATCH,
            "grid": {"freq": fr, "time": tr},
            "token_order": "freq-major",
            "skip_tokens": 0,
            "outputs": {str(k): f"tokens_{k}" for k in range(3)},
            "geometry": {"freq": fr, "time": tr, "timeStepS": 0.1, "timeSpanS": 0.16, "melStep": STRIDE, "melSpan": PATCH, "melBins": FBANK_BINS},
            "mel_axis": {"bins": FBANK_BINS, "fmin_hz": 20, "fmax_hz": 8000, "scale": "kaldi"},
        },
        "embedding": {"pooling": "time-mean-keep-freq", "layers": [0, 1, 2], "default_layer": 1},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(MODELS_DIR, "fbank_patch.onnx"))
    ap.add_argument("--manifest", default=SHIPPED_MANIFEST)
    args = ap.parse_args()
    model = build()
    self_check(model)
    onnx.save(model, args.out)
    upsert_entry(args.manifest, entry(file_record(args.out, os.path.dirname(os.path.abspath(args.manifest)))), SHIPPED_ORDER)
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes) and its entry in {args.manifest}")


if __name__ == "__main__":
    main()
