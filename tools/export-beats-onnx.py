#!/usr/bin/env python3
"""Export a BEATs checkpoint to ONNX for Hark, with every layer's output as a graph output.

    python3 tools/export-beats-onnx.py --beats-src <unilm/beats folder> \
        --checkpoint BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt1.pt --out ~/hark-models/beats

Needs torch, the BEATs source files (BEATs.py, backbone.py, modules.py from
github.com/microsoft/unilm/tree/master/beats) and a checkpoint you downloaded. Writes
<out>/beats-<checkpoint name>.onnx and <out>/manifest.json (a Hark user model manifest);
add that manifest to Hark as a user model manifest.

Graph: input `fbank` float32 [1, 998, 128] = the normalised BEATs fbank of a 10 s clip
(waveform * 2^15, Kaldi fbank with the povey window, (x - 15.41663) / (2 * 6.55582): Hark's
normaliseFbank(fbank(wave, 'beats'), 'beats')). Outputs `hidden_states_0..L`, each
[1, 496, 768]: layer_results of BEATs' TransformerEncoder (0 = the encoder input after the
positional convolution, k = output of layer k), tokens in BEATs' order t*8 + f (time-major:
the patch conv runs on (B, 1, T, F)); Hark reorders them to frequency-major.
GenRep (ICASSP 2025) uses layer 4 of the AudioSet-fine-tuned checkpoint (cpt1), pooled over time.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hark_models import CLIP_FBANK_FRAMES, FBANK_BINS, beats_entry, file_record, upsert_entry  # noqa: E402


class LayerOutputs(torch.nn.Module):
    """BEATs.extract_features up to the encoder, returning every layer's output (B, T*F, C)."""

    def __init__(self, beats):
        super().__init__()
        self.beats = beats
        self.n_layers = len(beats.encoder.layers)
        params = inspect.signature(beats.encoder.extract_features).parameters
        self.layer_arg = "tgt_layer" if "tgt_layer" in params else "layer"

    def forward(self, fbank):
        b = self.beats
        x = b.patch_embedding(fbank.unsqueeze(1))  # (B, 512, T', F')
        x = x.reshape(x.shape[0], x.shape[1], -1).transpose(1, 2)
        x = b.layer_norm(x)
        if b.post_extract_proj is not None:
            x = b.post_extract_proj(x)
        x = b.dropout_input(x)
        _, layer_results = b.encoder.extract_features(x, padding_mask=None, **{self.layer_arg: self.n_layers - 1})
        if len(layer_results) != self.n_layers + 1:
            raise RuntimeError(f"expected {self.n_layers + 1} layer results, got {len(layer_results)}")
        return tuple(r[0].transpose(0, 1) for r in layer_results)  # (T, B, C) -> (B, T, C)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--beats-src", required=True, help="folder holding BEATs.py and backbone.py")
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--default-layer", type=int, default=4, help="embedding layer Hark uses when none is named")
    args = ap.parse_args()

    sys.path.insert(0, os.path.abspath(args.beats_src))
    from BEATs import BEATs, BEATsConfig  # the user's copy of the BEATs sources

    ckpt = torch.load(args.checkpoint, map_location="cpu")
    model = BEATs(BEATsConfig(ckpt["cfg"]))
    model.load_state_dict(ckpt["model"])
    model.eval()
    if model.input_patch_size != 16:
        raise SystemExit(f"{args.checkpoint}: patch size {model.input_patch_size}, Hark's BEATs geometry needs 16")
    wrapper = LayerOutputs(model).eval()
    dim = model.cfg.encoder_embed_dim

    # the wrapper must reproduce BEATs' own features (last layer, no final layer norm in between)
    wave = 0.1 * torch.randn(1, 160000)
    fbank = model.preprocess(wave)
    assert tuple(fbank.shape) == (1, CLIP_FBANK_FRAMES, FBANK_BINS), tuple(fbank.shape)
    with torch.no_grad():
        layers = wrapper(fbank)
        if not model.cfg.layer_norm_first:
            own = model.extract_features(wave)[0]
            if model.predictor is None and torch.max(torch.abs(own - layers[-1])) > 1e-4:
                raise SystemExit("wrapper's last layer differs from BEATs.extract_features: check the BEATs sources")

    os.makedirs(args.out, exist_ok=True)
    stem = os.path.splitext(os.path.basename(args.checkpoint))[0]
    path = os.path.join(args.out, f"beats-{stem}.onnx")
    kwargs = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    with torch.no_grad():
        torch.onnx.export(wrapper, (fbank,), path, input_names=["fbank"],
                          output_names=[f"hidden_states_{k}" for k in range(len(layers))],
                          opset_version=args.opset, do_constant_folding=True, **kwargs)
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime (Python) not installed: export not cross-checked; Hark checks shapes on load")
    else:
        got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"fbank": fbank.numpy()})
        worst = max(float(np.abs(g - e.numpy()).max()) for g, e in zip(got, layers))
        print(f"onnxruntime vs torch: max abs diff {worst:.2e}")
        if worst > 1e-3:
            raise SystemExit("export differs from torch by more than 1e-3")

    n_layers = len(layers) - 1
    manifest = os.path.join(args.out, "manifest.json")
    upsert_entry(manifest, beats_entry(version=f"user-{stem}", files=[file_record(path, args.out)], dim=dim, n_layers=n_layers,
                                       default_layers=list(range(1, n_layers)), default_embedding_layer=args.default_layer,
                                       title=f"BEATs ({stem})"))
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB) and {manifest}: add it to Hark as a user model manifest")


if __name__ == "__main__":
    main()
