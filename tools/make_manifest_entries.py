#!/usr/bin/env python3
"""Write the hand-defined entries of models/manifest.json: the DSP encoder and the install templates.

- logmel_stats: Hark's DSP embedding (src/main/audio/logmel.ts logmelStats), 256 values.
- ast, beats: no files ship (AST needs Hugging Face access, BEATs the user's checkpoint);
  the templates say how to export them. The exporter writes a user manifest with the same
  id, which then takes the template's place.

Usage: python3 tools/make_manifest_entries.py [--manifest models/manifest.json]
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hark_models import SHIPPED_MANIFEST, SHIPPED_ORDER, ast_entry, beats_entry, upsert_entry  # noqa: E402

LOGMEL_STATS = {
    "id": "logmel_stats",
    "version": "1.0.0",
    "title": "Log-mel statistics (DSP)",
    "description": "Per-band mean then standard deviation over time of the 128-band log-mel (1024-point FFT, hop 512): "
                   "256 values. The seed's default embedding for approach B; no network.",
    "runtime": "dsp",
    "kind": "embedding",
    "files": [],
    "licence": {"name": "Hark project code", "licence_restricted": False},
    "provenance": {"source": "src/main/audio/logmel.ts logmelStats"},
    "input": {"type": "waveform", "sample_rate": 16000, "samples": 0},
    "layers": [],
    "default_layers": [],
    "embedding": {"pooling": "dsp", "layers": [], "dim": 256},
    "dsp": "logmel_stats",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--manifest", default=SHIPPED_MANIFEST)
    args = ap.parse_args()
    upsert_entry(args.manifest, LOGMEL_STATS, SHIPPED_ORDER)
    upsert_entry(args.manifest, ast_entry(version="mit-10-10-0.4593", files=[], install={
        "tool": "tools/export-ast-onnx.py",
        "command": "python3 tools/export-ast-onnx.py --out <folder>",
        "note": "Needs Python with torch and transformers, and Hugging Face access (or --model pointing at a downloaded copy).",
    }), SHIPPED_ORDER)
    upsert_entry(args.manifest, beats_entry(version="user-checkpoint", files=[], install={
        "tool": "tools/export-beats-onnx.py",
        "command": "python3 tools/export-beats-onnx.py --beats-src <unilm/beats folder> --checkpoint <BEATs .pt> --out <folder>",
        "note": "Needs Python with torch, the BEATs source files (BEATs.py, backbone.py, modules.py) and a BEATs checkpoint.",
    }), SHIPPED_ORDER)
    print(f"wrote logmel_stats, ast and beats entries in {args.manifest}")


if __name__ == "__main__":
    main()
