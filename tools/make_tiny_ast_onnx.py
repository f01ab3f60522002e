#!/usr/bin/env python3
"""Generate test/fixtures/encoders/tiny_ast.onnx: a random-weight stand-in with AST's ONNX signature.

Same input (`input_values` [1, 1024, 128], the normalised AST fbank) and outputs
(`hidden_states_0..L`, each [1, 1214, dim]: CLS, distillation, then 12 x 101 patch tokens
in HF's order f*101 + t) as tools/export-ast-onnx.py produces for the real model, so the
whole Hark code path is tested without the 350 MB network. Also writes its user-manifest
entry and a torch reference (tiny_ast.reference.json) for the input in tiny_transformers.test_input.

Usage: python3 tools/make_tiny_ast_onnx.py [--out-dir test/fixtures/encoders]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hark_models import AST_FRAMES, REPO_ROOT, ast_entry, file_record, upsert_entry  # noqa: E402
from tiny_transformers import TinyAST, export, reference, test_input  # noqa: E402

DIM, LAYERS = 32, 3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=os.path.join(REPO_ROOT, "test", "fixtures", "encoders"))
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    torch.manual_seed(20250101)
    model = TinyAST(dim=DIM, layers=LAYERS).eval()
    x = test_input(AST_FRAMES)
    path = os.path.join(args.out_dir, "tiny_ast.onnx")
    export(model, torch.from_numpy(x), path, "input_values", LAYERS + 1)
    manifest = os.path.join(args.out_dir, "manifest.json")
    entry = ast_entry(entry_id="tiny_ast", version="test-1", title="Tiny AST stand-in (random weights, test fixture)",
                      files=[file_record(path, args.out_dir)], dim=DIM, n_layers=LAYERS, default_layers=[1, 2, 3],
                      default_embedding_layer=2,
                      licence={"name": "Hark test fixture (random weights)", "licence_restricted": False},
                      provenance={"generator": "tools/make_tiny_ast_onnx.py", "source": "random weights, torch seed 20250101"})
    upsert_entry(manifest, entry)
    ref = reference(model, x, (12, 101), skip=2, time_major=False, layers=[0, LAYERS],
                    cells=[(0, 0), (11, 100), (5, 37), (3, 99)], embed_layer=2)
    with open(os.path.join(args.out_dir, "tiny_ast.reference.json"), "w", encoding="utf-8") as f:
        json.dump(ref, f)
    print(f"wrote {path} ({os.path.getsize(path)} bytes), its entry in {manifest} and tiny_ast.reference.json")


if __name__ == "__main__":
    main()
