#!/usr/bin/env python3
"""Generate test/fixtures/encoders/tiny_beats.onnx: a random-weight stand-in with BEATs' ONNX signature.

Same input (`fbank` [1, 998, 128], the normalised BEATs fbank of a 10 s clip) and outputs
(`hidden_states_0..L`, each [1, 496, dim], BEATs' time-major token order t*8 + f) as
tools/export-beats-onnx.py produces for a real checkpoint. Also writes its user-manifest
entry and a torch reference (tiny_beats.reference.json) for tiny_transformers.test_input.

Usage: python3 tools/make_tiny_beats_onnx.py [--out-dir test/fixtures/encoders]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hark_models import CLIP_FBANK_FRAMES, REPO_ROOT, beats_entry, file_record, upsert_entry  # noqa: E402
from tiny_transformers import TinyBEATs, export, reference, test_input  # noqa: E402

DIM, LAYERS = 24, 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=os.path.join(REPO_ROOT, "test", "fixtures", "encoders"))
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    torch.manual_seed(20250102)
    model = TinyBEATs(dim=DIM, layers=LAYERS).eval()
    x = test_input(CLIP_FBANK_FRAMES)
    path = os.path.join(args.out_dir, "tiny_beats.onnx")
    export(model, torch.from_numpy(x), path, "fbank", LAYERS + 1)
    manifest = os.path.join(args.out_dir, "manifest.json")
    entry = beats_entry(entry_id="tiny_beats", version="test-1", title="Tiny BEATs stand-in (random weights, test fixture)",
                        files=[file_record(path, args.out_dir)], dim=DIM, n_layers=LAYERS, default_layers=[1, 2],
                        default_embedding_layer=1,
                        licence={"name": "Hark test fixture (random weights)", "licence_restricted": False},
                        provenance={"generator": "tools/make_tiny_beats_onnx.py", "source": "random weights, torch seed 20250102"})
    upsert_entry(manifest, entry)
    ref = reference(model, x, (8, 62), skip=0, time_major=True, layers=[0, LAYERS],
                    cells=[(0, 0), (7, 61), (3, 20), (6, 1)], embed_layer=1)
    with open(os.path.join(args.out_dir, "tiny_beats.reference.json"), "w", encoding="utf-8") as f:
        json.dump(ref, f)
    print(f"wrote {path} ({os.path.getsize(path)} bytes), its entry in {manifest} and tiny_beats.reference.json")


if __name__ == "__main__":
    main()
