#!/usr/bin/env python3
"""Export the Audio Spectrogram Transformer to ONNX for Hark, with all hidden states as outputs.

Run where Hugging Face is reachable (or pass --model a local copy of the model folder):

    python3 tools/export-ast-onnx.py --out ~/hark-models/ast

Needs torch and transformers. Writes <out>/ast-audioset-10-10-0.4593.onnx and
<out>/manifest.json (a Hark user model manifest with the file's sha256); add that manifest
to Hark as a user model manifest and the shipped 'ast' template becomes usable.

Graph: input `input_values` float32 [1, 1024, 128] = the normalised AST fbank (Hark's
astInput, equal to ASTFeatureExtractor's output); outputs `hidden_states_0` (patch
embeddings + positions) and `hidden_states_1..12` (output of each transformer layer),
each [1, 1214, 768]: CLS, distillation, then the 12 x 101 patch tokens in HF's order
(flatten of the conv output (B, C, F', T'): index f*101 + t). The final layer norm is not
applied to hidden states (as in HF's output_hidden_states).
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hark_models import AST_FRAMES, FBANK_BINS, ast_entry, file_record, upsert_entry  # noqa: E402

DEFAULT_MODEL = "MIT/ast-finetuned-audioset-10-10-0.4593"


class HiddenStates(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_values):
        out = self.model(input_values=input_values, output_hidden_states=True, return_dict=True)
        return tuple(out.hidden_states)


def load(model_id: str):
    from transformers import ASTModel
    try:
        model = ASTModel.from_pretrained(model_id, attn_implementation="eager")  # plain ops export cleanly
    except TypeError:
        model = ASTModel.from_pretrained(model_id)
    return model.eval()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=DEFAULT_MODEL, help="Hugging Face id or local folder")
    ap.add_argument("--out", required=True, help="output folder (created)")
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()

    model = load(args.model)
    cfg = model.config
    grid = ((cfg.num_mel_bins - cfg.patch_size) // cfg.frequency_stride + 1, (cfg.max_length - cfg.patch_size) // cfg.time_stride + 1)
    if (cfg.num_mel_bins, cfg.max_length, cfg.patch_size, cfg.frequency_stride, cfg.time_stride) != (FBANK_BINS, AST_FRAMES, 16, 10, 10):
        raise SystemExit(f"{args.model}: geometry {cfg.num_mel_bins} bins x {cfg.max_length} frames, patch {cfg.patch_size}, "
                         f"strides {cfg.frequency_stride}/{cfg.time_stride} is not AST's 128 x 1024, 16, 10/10")
    assert grid == (12, 101)
    n_layers, dim = cfg.num_hidden_layers, cfg.hidden_size

    os.makedirs(args.out, exist_ok=True)
    name = "ast-" + args.model.rstrip("/").split("/")[-1].replace("ast-finetuned-", "") + ".onnx"
    path = os.path.join(args.out, name)
    wrapper = HiddenStates(model).eval()
    example = torch.randn(1, AST_FRAMES, FBANK_BINS)
    kwargs = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    with torch.no_grad():
        torch.onnx.export(wrapper, (example,), path, input_names=["input_values"],
                          output_names=[f"hidden_states_{k}" for k in range(n_layers + 1)],
                          opset_version=args.opset, do_constant_folding=True, **kwargs)
        expected = [h.numpy() for h in wrapper(example)]

    # check the export with onnxruntime when it is installed
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime (Python) not installed: export not cross-checked; Hark checks shapes on load")
    else:
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        got = sess.run(None, {"input_values": example.numpy()})
        worst = max(float(np.abs(g - e).max()) for g, e in zip(got, expected))
        print(f"onnxruntime vs torch: max abs diff {worst:.2e} over {len(got)} hidden states")
        if worst > 1e-3:
            raise SystemExit("export differs from torch by more than 1e-3")

    manifest = os.path.join(args.out, "manifest.json")
    version = "mit-10-10-0.4593" if args.model == DEFAULT_MODEL else "user-" + os.path.basename(args.model.rstrip("/"))
    upsert_entry(manifest, ast_entry(version=version, files=[file_record(path, args.out)], dim=dim, n_layers=n_layers,
                                     default_layers=list(range(1, min(12, n_layers))),
                                     provenance={"generator": "tools/export-ast-onnx.py", "source": f"Hugging Face {args.model}",
                                                 "upstream": ["https://huggingface.co/MIT/ast-finetuned-audioset-10-10-0.4593",
                                                              "https://github.com/YuanGongND/ast"]}))
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB) and {manifest}: add it to Hark as a user model manifest")


if __name__ == "__main__":
    main()
