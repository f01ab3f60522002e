"""Evaluate a small ONNX graph with PyTorch ops, in float64.

An independent reference for Hark's ONNX encoders where Python onnxruntime and
onnx.reference are unavailable (Debian ships onnx 1.12). Covers only the operators
used by the graphs Hark ships or checks; anything else raises, so a reference is
never silently wrong.

Usage: values = run_graph(model, {"input": array}, fetch=["name", ...])
"""

from __future__ import annotations

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

_ONNX_TO_NP = {
    onnx.TensorProto.FLOAT: np.float32,
    onnx.TensorProto.DOUBLE: np.float64,
    onnx.TensorProto.INT64: np.int64,
    onnx.TensorProto.INT32: np.int32,
}


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _as_float(t: torch.Tensor) -> torch.Tensor:
    return t.to(torch.float64) if t.is_floating_point() else t


def _split_pads(pads: list[int], rank: int) -> list[int]:
    """ONNX pads [b1, b2, .., e1, e2, ..] -> torch F.pad order (last axis first)."""
    out: list[int] = []
    for axis in reversed(range(rank)):
        out += [pads[axis], pads[axis + rank]]
    return out


def _conv(x, w, b, a):
    rank = w.dim() - 2
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise ValueError("Conv auto_pad is not supported by this reference")
    pads = list(a.get("pads", [0] * (2 * rank)))
    if any(pads):
        x = F.pad(x, _split_pads(pads, rank))
    strides = list(a.get("strides", [1] * rank))
    dil = list(a.get("dilations", [1] * rank))
    group = int(a.get("group", 1))
    fn = F.conv1d if rank == 1 else F.conv2d
    return fn(x, w, b, stride=strides, dilation=dil, groups=group)


def _maxpool(x, a):
    k = list(a["kernel_shape"])
    rank = len(k)
    pads = list(a.get("pads", [0] * (2 * rank)))
    if any(pads):
        x = F.pad(x, _split_pads(pads, rank), value=float("-inf"))
    if int(a.get("ceil_mode", 0)):
        raise ValueError("MaxPool ceil_mode is not supported by this reference")
    return F.max_pool2d(x, k, stride=list(a.get("strides", k)))


def _reduce(op, x, axes, keepdims):
    if axes is None:
        r = op(x.reshape(-1))
        return r.reshape([1] * x.dim()) if keepdims else r
    axes = sorted(int(v) % x.dim() for v in axes)
    for ax in reversed(axes):
        x = op(x, dim=ax, keepdim=True)
    if not keepdims:
        for ax in reversed(axes):
            x = x.squeeze(ax)
    return x


def _max_over(x, dim=None, keepdim=False):
    if dim is None:
        return x.max()
    return x.max(dim=dim, keepdim=keepdim).values


def run_graph(model: onnx.ModelProto, feeds: dict[str, np.ndarray], fetch: list[str]) -> dict[str, np.ndarray]:
    env: dict[str, torch.Tensor] = {}
    for init in model.graph.initializer:
        env[init.name] = _as_float(torch.from_numpy(numpy_helper.to_array(init).copy()))
    for name, arr in feeds.items():
        env[name] = _as_float(torch.from_numpy(np.asarray(arr).copy()))
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    with torch.no_grad():
        for node in model.graph.node:
            a = _attrs(node)
            ins = [env[n] if n else None for n in node.input]
            op = node.op_type
            if op == "Constant":
                out = _as_float(torch.from_numpy(numpy_helper.to_array(a["value"]).copy()))
            elif op == "Identity":
                out = ins[0]
            elif op == "Unsqueeze":
                axes = [int(v) for v in (ins[1].tolist() if len(ins) > 1 else a["axes"])]
                out = ins[0]
                for ax in sorted(v % (out.dim() + len(axes)) for v in axes):
                    out = out.unsqueeze(ax)
            elif op == "Squeeze":
                axes = [int(v) for v in (ins[1].tolist() if len(ins) > 1 and ins[1] is not None else a.get("axes", []))]
                out = ins[0]
                for ax in sorted((v % out.dim() for v in axes), reverse=True):
                    out = out.squeeze(ax)
            elif op == "Conv":
                out = _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
            elif op == "Transpose":
                out = ins[0].permute(*a["perm"])
            elif op == "Reshape":
                shape = [int(v) for v in ins[1].tolist()]
                shape = [ins[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
                out = ins[0].reshape(shape)
            elif op in ("Add", "Sub", "Mul", "Div", "Pow", "Max", "MatMul"):
                fn = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div,
                      "Pow": torch.pow, "Max": torch.maximum, "MatMul": torch.matmul}[op]
                out = ins[0]
                for other in ins[1:]:
                    out = fn(out, other)
            elif op == "Clip":
                lo = ins[1] if len(ins) > 1 and ins[1] is not None else None
                hi = ins[2] if len(ins) > 2 and ins[2] is not None else None
                out = ins[0]
                if lo is not None:
                    out = torch.maximum(out, lo)
                if hi is not None:
                    out = torch.minimum(out, hi)
            elif op == "Log":
                out = torch.log(ins[0])
            elif op == "Cast":
                out = ins[0].to(torch.from_numpy(np.zeros(1, _ONNX_TO_NP[a["to"]])).dtype)
                out = _as_float(out)
            elif op in ("ReduceMax", "ReduceMean"):
                if opset >= 18 and len(ins) > 1 and ins[1] is not None:
                    axes = ins[1].tolist()
                else:
                    axes = a.get("axes")
                keep = int(a.get("keepdims", 1))
                fn = _max_over if op == "ReduceMax" else torch.mean
                out = _reduce(fn, ins[0], axes, keep)
            elif op == "LeakyRelu":
                out = F.leaky_relu(ins[0], float(a.get("alpha", 0.01)))
            elif op == "MaxPool":
                out = _maxpool(ins[0], a)
            elif op == "Slice":
                starts, ends = ins[1].tolist(), ins[2].tolist()
                axes = ins[3].tolist() if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
                steps = ins[4].tolist() if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
                idx = [slice(None)] * ins[0].dim()
                for s, e, ax, st in zip(starts, ends, axes, steps):
                    if st != 1:
                        raise ValueError("Slice steps other than 1 are not supported by this reference")
                    n = ins[0].shape[int(ax)]
                    s, e = int(s), int(min(e, n))
                    idx[int(ax)] = slice(s + n if s < 0 else s, e + n if e < 0 else e)
                out = ins[0][tuple(idx)]
            elif op == "Concat":
                out = torch.cat(ins, dim=int(a["axis"]))
            elif op == "Gather":
                out = torch.index_select(ins[0], int(a.get("axis", 0)), ins[1].reshape(-1).long())
                out = out.reshape(list(ins[0].shape[: int(a.get("axis", 0))]) + list(ins[1].shape) +
                                  list(ins[0].shape[int(a.get("axis", 0)) + 1:]))
            else:
                raise ValueError(f"operator {op} ({node.name}) is not supported by this reference")
            if len(node.output) != 1:
                raise ValueError(f"operator {op} with {len(node.output)} outputs is not supported")
            env[node.output[0]] = out
    missing = [n for n in fetch if n not in env]
    if missing:
        raise KeyError(f"graph has no value named {missing}")
    return {n: env[n].numpy() for n in fetch}
