#!/usr/bin/env python3
"""Generate the small ONNX graphs Hark's nearest-neighbour core runs on ONNX Runtime.

Run from the repository root:  /usr/bin/python3 tools/make_ops_onnx.py
Writes models/ops/*.onnx (a few hundred bytes each; committed). Every graph has dynamic
shapes so one session serves any bank size; rows are L2-normalised in TypeScript, so
the graphs hold only the matrix product and the reduction that must follow it.

  cosine_top1.onnx  Q[n,d], K[m,d]            -> max[n] f32, argmax[n] i64
                    S = Q K^T (Gemm transB); max and first arg max over each row.
  sqdist_topk.onnx  Q[n,d], K[m,d], KN[m], k[1] -> val[n,k] f32, idx[n,k] i64
                    P = KN - 2 Q K^T (one Gemm with C = squared key norms);
                    k smallest of each row, ascending. |q|^2 is added in TypeScript.
  matmul.onnx       A[n,d], B[d,m]            -> Y[n,m]    (plain MatMul: benchmark peak)
  gemm_nt.onnx      A[n,d], B[m,d]            -> Y[n,m]    (A B^T alone: benchmark)
"""
import os
import sys

import onnx
from onnx import TensorProto, helper

OPSET = 13  # ReduceMax with an axes attribute; every ONNX Runtime since 1.8 runs it
IR_VERSION = 7


def model(name, nodes, inputs, outputs, doc):
    graph = helper.make_graph(nodes, name, inputs, outputs)
    m = helper.make_model(
        graph,
        producer_name="hark tools/make_ops_onnx.py",
        opset_imports=[helper.make_opsetid("", OPSET)],
    )
    m.ir_version = IR_VERSION
    m.doc_string = doc
    onnx.checker.check_model(m, full_check=True)
    return m


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def i64(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.INT64, shape)


def cosine_top1():
    nodes = [
        helper.make_node("Gemm", ["Q", "K"], ["S"], transB=1),
        helper.make_node("ReduceMax", ["S"], ["max"], axes=[1], keepdims=0),
        helper.make_node("ArgMax", ["S"], ["argmax"], axis=1, keepdims=0, select_last_index=0),
    ]
    return model(
        "cosine_top1",
        nodes,
        [f32("Q", ["n", "d"]), f32("K", ["m", "d"])],
        [f32("max", ["n"]), i64("argmax", ["n"])],
        "Row-wise max of Q K^T and its first arg max (cosine max-sim on unit rows).",
    )


def sqdist_topk():
    nodes = [
        helper.make_node("Gemm", ["Q", "K", "KN"], ["P"], alpha=-2.0, beta=1.0, transB=1),
        helper.make_node("TopK", ["P", "k"], ["val", "idx"], axis=1, largest=0, sorted=1),
    ]
    return model(
        "sqdist_topk",
        nodes,
        [f32("Q", ["n", "d"]), f32("K", ["m", "d"]), f32("KN", ["m"]), i64("k", [1])],
        [f32("val", ["n", "kk"]), i64("idx", ["n", "kk"])],
        "k smallest of |k|^2 - 2 q.k per query row, ascending (squared distance minus |q|^2).",
    )


def matmul():
    nodes = [helper.make_node("MatMul", ["A", "B"], ["Y"])]
    return model(
        "matmul",
        nodes,
        [f32("A", ["n", "d"]), f32("B", ["d", "m"])],
        [f32("Y", ["n", "m"])],
        "Plain MatMul, the throughput reference for benchmarks.",
    )


def gemm_nt():
    nodes = [helper.make_node("Gemm", ["A", "B"], ["Y"], transB=1)]
    return model(
        "gemm_nt",
        nodes,
        [f32("A", ["n", "d"]), f32("B", ["m", "d"])],
        [f32("Y", ["n", "m"])],
        "A B^T alone, to separate the product from the reduction in benchmarks.",
    )


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = os.path.join(root, "models", "ops")
    os.makedirs(out, exist_ok=True)
    for build in (cosine_top1, sqdist_topk, matmul, gemm_nt):
        m = build()
        path = os.path.join(out, build.__name__ + ".onnx")
        onnx.save(m, path)
        print(f"wrote {os.path.relpath(path, root)} ({os.path.getsize(path)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
