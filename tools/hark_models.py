"""Shared helpers for Hark's model generators: file records and manifest upserts.

Each generator owns its own entry in a manifest (models/manifest.json for shipped
models, a manifest next to user-exported or fixture models) and rewrites only that
entry, so hand-written entries (e.g. the DSP encoder) survive regeneration.
"""

from __future__ import annotations

import hashlib
import json
import os

MANIFEST_FORMAT = "hark-models/1"

# The clip every encoder sees (src/shared/domain.ts: ANALYSIS_RATE, CLIP_SECONDS).
ANALYSIS_RATE = 16000
CLIP_SECONDS = 10
CLIP_SAMPLES = ANALYSIS_RATE * CLIP_SECONDS

# AST-style fbank as produced by src/main/audio/fbank.ts astInput(): 1024 frames x 128 bins.
AST_FRAMES = 1024
FBANK_BINS = 128
# Kaldi fbank frames of a 10 s clip at 25 ms / 10 ms (snip_edges): 1 + (160000 - 400) // 160.
CLIP_FBANK_FRAMES = 1 + (CLIP_SAMPLES - 400) // 160


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_record(path: str, manifest_dir: str, role: str = "model") -> dict:
    """A manifest file entry; the path is stored relative to the manifest when inside its folder."""
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(manifest_dir))
    stored = os.path.abspath(path) if rel.startswith("..") else rel.replace(os.sep, "/")
    return {"role": role, "path": stored, "sha256": sha256_file(path), "bytes": os.path.getsize(path)}


def upsert_entry(manifest_path: str, entry: dict, order: list[str] | None = None) -> None:
    """Replace (or add) the entry with entry['id'] and write the manifest back, stable order."""
    if os.path.exists(manifest_path):
        with open(manifest_path, "r", encoding="utf-8") as f:
            manifest = json.load(f)
        if manifest.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"{manifest_path}: format is {manifest.get('format')!r}, expected {MANIFEST_FORMAT!r}")
    else:
        manifest = {"format": MANIFEST_FORMAT, "encoders": []}
    entries = [e for e in manifest["encoders"] if e["id"] != entry["id"]] + [entry]
    rank = {name: i for i, name in enumerate(order or [])}
    entries.sort(key=lambda e: (rank.get(e["id"], len(rank)), e["id"]))
    manifest["encoders"] = entries
    os.makedirs(os.path.dirname(os.path.abspath(manifest_path)), exist_ok=True)
    with open(manifest_path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")


# Order of the shipped entries in models/manifest.json.
SHIPPED_ORDER = ["logmel_stats", "fbank_patch", "oww_speech", "ast", "beats"]

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MODELS_DIR = os.path.join(REPO_ROOT, "models")
SHIPPED_MANIFEST = os.path.join(MODELS_DIR, "manifest.json")


# ---- entries shared by the AST / BEATs exporters, their install templates and tiny stand-ins ----

AST_GEOMETRY = {"freq": 12, "time": 101, "timeStepS": 0.1, "timeSpanS": 0.16, "melStep": 10, "melSpan": 16, "melBins": 128}
BEATS_GEOMETRY = {"freq": 8, "time": 62, "timeStepS": 0.16, "timeSpanS": 0.16, "melStep": 16, "melSpan": 16, "melBins": 128}
KALDI_MEL_AXIS = {"bins": 128, "fmin_hz": 20, "fmax_hz": 8000, "scale": "kaldi"}


def ast_entry(*, entry_id: str = "ast", version: str, files: list, dim: int = 768, n_layers: int = 12,
              default_layers: list[int] | None = None, default_embedding_layer: int = 5,
              licence: dict | None = None, provenance: dict | None = None, install: dict | None = None,
              title: str = "AST (MIT/ast-finetuned-audioset-10-10-0.4593)") -> dict:
    """hidden_states_0 = patch embeddings + positions, hidden_states_k = output of transformer layer k."""
    layers = list(range(n_layers + 1))
    e = {
        "id": entry_id,
        "version": version,
        "title": title,
        "description": "Audio Spectrogram Transformer: 12 x 101 patch tokens (16 x 16, stride 10) per hidden state, "
                       "CLS and distillation tokens dropped. Approach A uses layers 1..11 (Wu et al., Interspeech 2025).",
        "runtime": "onnx",
        "kind": "both",
        "files": files,
        "licence": licence or {"name": "BSD-3-Clause (AST code and Hugging Face model card); weights trained on AudioSet",
                               "licence_restricted": False},
        "provenance": provenance or {"generator": "tools/export-ast-onnx.py",
                                     "source": "Hugging Face MIT/ast-finetuned-audioset-10-10-0.4593, exported by the user",
                                     "upstream": ["https://huggingface.co/MIT/ast-finetuned-audioset-10-10-0.4593",
                                                  "https://github.com/YuanGongND/ast"]},
        "input": {"type": "fbank", "name": "input_values", "preset": "ast", "frames": AST_FRAMES, "bins": FBANK_BINS},
        "layers": layers,
        "default_layers": default_layers if default_layers is not None else list(range(1, n_layers)),
        "patches": {
            "dim": dim, "grid": {"freq": 12, "time": 101}, "token_order": "freq-major", "skip_tokens": 2,
            "outputs": {str(k): f"hidden_states_{k}" for k in layers},
            "geometry": AST_GEOMETRY, "mel_axis": KALDI_MEL_AXIS,
        },
        "embedding": {"pooling": "time-mean-keep-freq", "layers": layers, "default_layer": default_embedding_layer},
    }
    if install:
        e["install"] = install
    return e


def beats_entry(*, entry_id: str = "beats", version: str, files: list, dim: int = 768, n_layers: int = 12,
                default_layers: list[int] | None = None, default_embedding_layer: int = 4,
                licence: dict | None = None, provenance: dict | None = None, install: dict | None = None,
                title: str = "BEATs (user checkpoint)") -> dict:
    """BEATs tokens are time-major in the graph (t*8 + f); Hark reorders them to frequency-major."""
    layers = list(range(n_layers + 1))
    e = {
        "id": entry_id,
        "version": version,
        "title": title,
        "description": "BEATs: 8 x 62 patch tokens (16 x 16, stride 16) per layer on the BEATs fbank. "
                       "Approach B's paper setting: time-mean pooling keeping the 8 frequency rows (8 x 768), layer 4 "
                       "of the AudioSet-fine-tuned checkpoint (GenRep, ICASSP 2025).",
        "runtime": "onnx",
        "kind": "both",
        "files": files,
        "licence": licence or {"name": "MIT (microsoft/unilm BEATs code and checkpoints)", "licence_restricted": False},
        "provenance": provenance or {"generator": "tools/export-beats-onnx.py",
                                     "source": "the user's BEATs checkpoint and the BEATs source files, exported by the user",
                                     "upstream": ["https://github.com/microsoft/unilm/tree/master/beats"]},
        "input": {"type": "fbank", "name": "fbank", "preset": "beats", "frames": CLIP_FBANK_FRAMES, "bins": FBANK_BINS},
        "layers": layers,
        "default_layers": default_layers if default_layers is not None else list(range(1, n_layers)),
        "patches": {
            "dim": dim, "grid": {"freq": 8, "time": 62}, "token_order": "time-major", "skip_tokens": 0,
            "outputs": {str(k): f"hidden_states_{k}" for k in layers},
            "geometry": BEATS_GEOMETRY, "mel_axis": KALDI_MEL_AXIS,
        },
        "embedding": {"pooling": "time-mean-keep-freq", "layers": layers, "default_layer": default_embedding_layer},
    }
    if install:
        e["install"] = install
    return e
