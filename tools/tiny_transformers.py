"""Tiny random-weight stand-ins with AST's and BEATs' ONNX signatures, for testing Hark's code path.

They are not AST or BEATs: same input tensor, same patch geometry and token order, same
output names (hidden_states_0..L), far smaller width and depth. Shared by
tools/make_tiny_ast_onnx.py and tools/make_tiny_beats_onnx.py.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import torch
from torch import nn


class Block(nn.Module):
    """One transformer layer; pre-LN as ViT/AST, or post-LN as BEATs' default."""

    def __init__(self, dim: int, heads: int, pre_ln: bool):
        super().__init__()
        self.heads, self.pre_ln = heads, pre_ln
        self.scale = 1.0 / math.sqrt(dim // heads)
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.fc1, self.fc2 = nn.Linear(dim, 2 * dim), nn.Linear(2 * dim, dim)

    def attend(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        w = torch.softmax((q @ k.transpose(-1, -2)) * self.scale, dim=-1)
        return self.proj((w @ v).transpose(1, 2).reshape(b, n, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pre_ln:
            x = x + self.attend(self.ln1(x))
            return x + self.fc2(torch.nn.functional.gelu(self.fc1(self.ln2(x))))
        x = self.ln1(x + self.attend(x))
        return self.ln2(x + self.fc2(torch.nn.functional.gelu(self.fc1(x))))


class TinyAST(nn.Module):
    """input_values (B, 1024, 128) -> hidden states (B, 2 + 12*101, dim), AST's embedding layout."""

    def __init__(self, dim: int = 32, layers: int = 3, heads: int = 2):
        super().__init__()
        self.projection = nn.Conv2d(1, dim, kernel_size=(16, 16), stride=(10, 10))
        self.cls_token = nn.Parameter(0.02 * torch.randn(1, 1, dim))
        self.distillation_token = nn.Parameter(0.02 * torch.randn(1, 1, dim))
        self.position_embeddings = nn.Parameter(0.02 * torch.randn(1, 2 + 12 * 101, dim))
        self.blocks = nn.ModuleList(Block(dim, heads, pre_ln=True) for _ in range(layers))

    def forward(self, input_values: torch.Tensor):
        x = input_values.unsqueeze(1).transpose(2, 3)  # (B, 1, freq, time), as HF ASTPatchEmbeddings
        x = self.projection(x).flatten(2).transpose(1, 2)  # token f*101 + t
        b = x.shape[0]
        x = torch.cat([self.cls_token.expand(b, -1, -1), self.distillation_token.expand(b, -1, -1), x], dim=1)
        x = x + self.position_embeddings
        hidden = [x]
        for blk in self.blocks:
            x = blk(x)
            hidden.append(x)
        return tuple(hidden)


class TinyBEATs(nn.Module):
    """fbank (B, 998, 128) -> hidden states (B, 62*8, dim), BEATs' time-major token layout (t*8 + f)."""

    def __init__(self, embed: int = 16, dim: int = 24, layers: int = 2, heads: int = 2):
        super().__init__()
        self.patch_embedding = nn.Conv2d(1, embed, kernel_size=16, stride=16, bias=False)
        self.layer_norm = nn.LayerNorm(embed)
        self.post_extract_proj = nn.Linear(embed, dim)
        self.blocks = nn.ModuleList(Block(dim, heads, pre_ln=False) for _ in range(layers))

    def forward(self, fbank: torch.Tensor):
        x = self.patch_embedding(fbank.unsqueeze(1))  # (B, E, time 62, freq 8)
        x = x.reshape(x.shape[0], x.shape[1], -1).transpose(1, 2)
        x = self.post_extract_proj(self.layer_norm(x))
        hidden = [x]
        for blk in self.blocks:
            x = blk(x)
            hidden.append(x)
        return tuple(hidden)


def export(model: nn.Module, example: torch.Tensor, path: str, input_name: str, n_outputs: int) -> None:
    kwargs = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter gives fixed, simple graphs
    torch.onnx.export(model, (example,), path, input_names=[input_name],
                      output_names=[f"hidden_states_{k}" for k in range(n_outputs)],
                      opset_version=14, do_constant_folding=True, **kwargs)


def test_input(frames: int, bins: int = 128) -> np.ndarray:
    """Deterministic input reproduced by the TS tests: 0.5 sin(0.013 t (b+1)) + 0.25 cos(0.07 b)."""
    t = np.arange(frames, dtype=np.float64)[:, None]
    b = np.arange(bins, dtype=np.float64)[None, :]
    return (0.5 * np.sin(0.013 * t * (b + 1)) + 0.25 * np.cos(0.07 * b)).astype(np.float32)[None]


def reference(model: nn.Module, x: np.ndarray, grid: tuple[int, int], skip: int, time_major: bool,
              layers: list[int], cells: list[tuple[int, int]], embed_layer: int) -> dict:
    """Token values at grid cells (Hark's frequency-major view) and a time-mean-keep-freq embedding."""
    with torch.no_grad():
        hidden = [h[0].double().numpy() for h in model(torch.from_numpy(x))]
    fr, tr = grid

    def row(h: np.ndarray, f: int, t: int) -> np.ndarray:
        return h[skip + (t * fr + f if time_major else f * tr + t)]

    tokens = [{"layer": l, "f": f, "t": t, "values": row(hidden[l], f, t).tolist()} for l in layers for f, t in cells]
    h = hidden[embed_layer]
    emb = np.concatenate([np.mean([row(h, f, t) for t in range(tr)], axis=0) for f in range(fr)])
    return {"tokens": tokens, "embedding": {"layer": embed_layer, "values": emb.tolist()}}
