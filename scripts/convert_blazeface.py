"""Convert mediapipe's full-range BlazeFace (TFLite) into the ONNX file crowdveil ships.

    python3.11 -m venv /tmp/convvenv
    /tmp/convvenv/bin/pip install tflite==2.18.0 flatbuffers==25.12.19 onnx==1.17.0 numpy==1.26.4
    /tmp/convvenv/bin/python scripts/convert_blazeface.py \\
        face_detection_full_range_sparse.tflite src/crowdveil/models/blazeface_full_range.onnx

Run once, by hand, in a venv of its own: `onnx` needs a protobuf that has nothing to do with
crowdveil's dependencies, and nothing here is imported at run time. The input is the file
`mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite` of the
mediapipe 0.10.21 wheel (SHA-256 checked below); the output is byte-for-byte reproducible
(no timestamps, names derived from operator positions), so a second run gives the same SHA-256.

Why our own converter rather than tf2onnx: the model's weights are float16, half of them stored
sparse (TFLite DENSIFY + DEQUANTIZE operators), and the graph is small (pad, convolution,
depthwise convolution, add, ReLU, bilinear resize, depth-to-space, reshape). Weights are
densified and widened to float32 here (float16 -> float32 is exact), each explicit zero PAD is
folded into the convolution that reads it (the same zeros), and the graph is written in NCHW
between a transpose at the input and one before each output, so its inputs and outputs keep the
TFLite layout: input [batch, 192, 192, 3] NHWC in [-1, 1]; outputs `regressors`
[batch, 2304, 16] and `classificators` [batch, 2304, 1] (raw logits).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper

SOURCE_SHA256 = "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1"
OPSET = 13
IR_VERSION = 8  # onnxruntime 1.17 (our floor) reads IR <= 9

_OPS = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_NP_TYPES = {
    tflite.TensorType.FLOAT32: np.float32,
    tflite.TensorType.FLOAT16: np.float16,
    tflite.TensorType.INT32: np.int32,
}
_SAME = tflite.Padding.SAME
_NONE, _RELU = tflite.ActivationFunctionType.NONE, tflite.ActivationFunctionType.RELU


def _op_name(model: tflite.Model, op: tflite.Operator) -> str:
    code = model.OperatorCodes(op.OpcodeIndex())
    return _OPS[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]


def _shape(tensor: tflite.Tensor) -> list[int]:
    return [int(d) for d in tensor.ShapeAsNumpy()] if tensor.ShapeLength() else []


def _int_vector(union_type: int, table: object) -> list[int]:
    """A DimensionMetadata segments/indices union (Int32/Uint16/Uint8Vector) as ints."""
    if table is None:
        return []
    cls = {
        tflite.SparseIndexVector.Int32Vector: tflite.Int32Vector,
        tflite.SparseIndexVector.Uint16Vector: tflite.Uint16Vector,
        tflite.SparseIndexVector.Uint8Vector: tflite.Uint8Vector,
    }[union_type]
    vec = cls()
    vec.Init(table.Bytes, table.Pos)
    return [int(v) for v in vec.ValuesAsNumpy()]


def densify(
    values: np.ndarray, shape: list[int], sparsity: tflite.SparsityParameters
) -> np.ndarray:
    """The dense array a TFLite sparse constant stands for (the DENSIFY operator's result).

    Levels follow `traversal_order`; a DENSE level enumerates `dense_size` positions, a
    SPARSE_CSR level lists, for its parent position, the stored coordinates. Levels past the
    tensor's rank are block dimensions, folded back into the dimension `block_map` names.
    """
    order = [int(v) for v in sparsity.TraversalOrderAsNumpy()]
    block_map = [int(v) for v in sparsity.BlockMapAsNumpy()] if sparsity.BlockMapLength() else []
    levels = []
    for i in range(sparsity.DimMetadataLength()):
        dm = sparsity.DimMetadata(i)
        if dm.Format() == tflite.DimensionType.DENSE:
            levels.append(("dense", dm.DenseSize(), [], []))
        else:
            levels.append((
                "csr", 0,
                _int_vector(dm.ArraySegmentsType(), dm.ArraySegments()),
                _int_vector(dm.ArrayIndicesType(), dm.ArrayIndices()),
            ))
    rank = len(shape)
    block_size = [levels[rank + j][1] for j in range(len(block_map))]
    dense = np.zeros(shape, values.dtype)
    flat = values.reshape(-1)
    cursor = 0

    def visit(level: int, coords: list[int], parent: int) -> None:
        nonlocal cursor
        if level == len(levels):
            index = [0] * rank
            for pos in range(rank):
                index[order[pos]] = coords[pos]
            for pos in range(rank, len(levels)):
                block = order[pos] - rank
                dim = block_map[block]
                index[dim] = index[dim] * block_size[block] + coords[pos]
            dense[tuple(index)] = flat[cursor]
            cursor += 1
            return
        kind, size, segments, indices = levels[level]
        if kind == "dense":
            for i in range(size):
                visit(level + 1, coords + [i], parent * size + i)
        elif parent + 1 < len(segments):
            for i in range(segments[parent], segments[parent + 1]):
                visit(level + 1, coords + [indices[i]], i)

    visit(0, [], 0)
    if cursor != flat.size:
        raise ValueError(f"sparse constant: used {cursor} of {flat.size} stored values")
    return dense


class _Converter:
    def __init__(self, model: tflite.Model) -> None:
        if model.SubgraphsLength() != 1:
            raise ValueError("expected one subgraph")
        self.model = model
        self.graph = model.Subgraphs(0)
        self.consts: dict[int, np.ndarray] = {}  # tensor index -> constant value
        self.folded_pad: dict[int, tuple[int, list[int]]] = {}  # PAD output -> (input, pads)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.names: dict[int, str] = {}
        self.consumers: dict[int, list[str]] = {}
        for i in range(self.graph.OperatorsLength()):
            op = self.graph.Operators(i)
            for t in op.InputsAsNumpy():
                self.consumers.setdefault(int(t), []).append(_op_name(model, op))

    def buffer(self, index: int) -> np.ndarray | None:
        tensor = self.graph.Tensors(index)
        data = self.model.Buffers(tensor.Buffer()).DataAsNumpy()
        if not isinstance(data, np.ndarray) or data.size == 0:
            return None
        raw = np.frombuffer(data.tobytes(), _NP_TYPES[tensor.Type()])
        if tensor.Sparsity() is not None:
            return densify(raw, _shape(tensor), tensor.Sparsity())
        return raw.reshape(_shape(tensor))

    def const(self, index: int) -> np.ndarray:
        if index not in self.consts:
            value = self.buffer(index)
            if value is None:
                raise ValueError(f"tensor {index} is not a constant")
            self.consts[index] = value
        return self.consts[index]

    def name(self, index: int) -> str:
        if index not in self.names:
            self.names[index] = f"t{index}"
        return self.names[index]

    def initializer(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def activation(self, fused: int, out: str, pre: str) -> None:
        if fused == _RELU:
            self.nodes.append(helper.make_node("Relu", [pre], [out], name=f"{out}_relu"))
        elif fused != _NONE:
            raise ValueError(f"unsupported fused activation {fused}")

    def conv(self, pos: int, op: tflite.Operator, depthwise: bool) -> None:
        x, w, b = (int(v) for v in op.InputsAsNumpy())
        out = int(op.Outputs(0))
        opts_cls = tflite.DepthwiseConv2DOptions if depthwise else tflite.Conv2DOptions
        opts = opts_cls()
        table = op.BuiltinOptions()
        opts.Init(table.Bytes, table.Pos)
        if opts.DilationHFactor() != 1 or opts.DilationWFactor() != 1:
            raise ValueError("dilated convolution not supported")
        weight = self.const(w).astype(np.float32)  # OHWI, or 1HW(C*M) for depthwise
        bias = self.const(b).astype(np.float32)
        kh, kw = weight.shape[1], weight.shape[2]
        # SAME on a 1x1 stride-1 convolution pads nothing, like VALID: both start unpadded.
        if opts.Padding() == _SAME and (
                (kh, kw) != (1, 1) or opts.StrideH() != 1 or opts.StrideW() != 1):
            raise ValueError("SAME padding only handled for 1x1 stride-1 convolutions")
        pads = [0, 0, 0, 0]
        if x in self.folded_pad:
            x, pads = self.folded_pad[x]
        if depthwise:
            channels = weight.shape[3]
            if opts.DepthMultiplier() != 1:
                raise ValueError("depth multiplier != 1 not supported")
            weight = weight.transpose(3, 0, 1, 2)  # -> (C, 1, H, W)
            group = channels
        else:
            weight = weight.transpose(0, 3, 1, 2)  # -> (O, I, H, W)
            group = 1
        wname = self.initializer(f"w{pos}", weight)
        bname = self.initializer(f"b{pos}", bias)
        fused = opts.FusedActivationFunction()
        target = self.name(out)
        conv_out = target if fused == _NONE else f"{target}_pre"
        self.nodes.append(helper.make_node(
            "Conv", [self.name(x), wname, bname], [conv_out], name=f"conv{pos}",
            kernel_shape=[kh, kw], strides=[opts.StrideH(), opts.StrideW()], pads=pads,
            group=group, dilations=[1, 1],
        ))
        self.activation(fused, target, conv_out)

    def pad(self, pos: int, op: tflite.Operator) -> None:
        x, p = (int(v) for v in op.InputsAsNumpy())
        out = int(op.Outputs(0))
        paddings = self.const(p).reshape(4, 2)  # NHWC: [[n0,n1],[t,b],[l,r],[c0,c1]]
        if paddings[0].any() or paddings[3].any():
            raise ValueError("padding along batch or channels not supported")
        if any(c not in ("CONV_2D", "DEPTHWISE_CONV_2D") for c in self.consumers.get(out, [])):
            raise ValueError("PAD feeding something other than a convolution")
        # Only the convolutions read it: its zeros become the convolution's own padding.
        (top, bottom), (left, right) = paddings[1], paddings[2]
        self.folded_pad[out] = (x, [int(top), int(left), int(bottom), int(right)])

    def add(self, pos: int, op: tflite.Operator) -> None:
        a, b = (int(v) for v in op.InputsAsNumpy())
        out = int(op.Outputs(0))
        opts = tflite.AddOptions()
        table = op.BuiltinOptions()
        opts.Init(table.Bytes, table.Pos)
        fused = opts.FusedActivationFunction()
        target = self.name(out)
        add_out = target if fused == _NONE else f"{target}_pre"
        self.nodes.append(helper.make_node(
            "Add", [self.name(a), self.name(b)], [add_out], name=f"add{pos}"))
        self.activation(fused, target, add_out)

    def resize(self, pos: int, op: tflite.Operator) -> None:
        x, size = (int(v) for v in op.InputsAsNumpy())
        out = int(op.Outputs(0))
        opts = tflite.ResizeBilinearOptions()
        table = op.BuiltinOptions()
        opts.Init(table.Bytes, table.Pos)
        if opts.AlignCorners() or not opts.HalfPixelCenters():
            raise ValueError("only half-pixel-centre bilinear resizing is handled")
        in_h, in_w = _shape(self.graph.Tensors(x))[1:3]
        out_h, out_w = (int(v) for v in self.const(size))
        if out_h % in_h or out_w % in_w:
            raise ValueError("only whole-number resize factors are handled")
        # half_pixel in ONNX is TFLite's half_pixel_centers; both clamp at the border.
        scales = self.initializer(
            f"scales{pos}", np.array([1, 1, out_h // in_h, out_w // in_w], np.float32))
        roi = self.initializer(f"roi{pos}", np.zeros(0, np.float32))
        self.nodes.append(helper.make_node(
            "Resize", [self.name(x), roi, scales], [self.name(out)], name=f"resize{pos}",
            mode="linear", coordinate_transformation_mode="half_pixel",
        ))

    def depth_to_space(self, pos: int, op: tflite.Operator) -> None:
        x = int(op.Inputs(0))
        out = int(op.Outputs(0))
        opts = tflite.DepthToSpaceOptions()
        table = op.BuiltinOptions()
        opts.Init(table.Bytes, table.Pos)
        # TFLite's NHWC depth-to-space is ONNX's DCR order once both are seen in NCHW.
        self.nodes.append(helper.make_node(
            "DepthToSpace", [self.name(x)], [self.name(out)], name=f"d2s{pos}",
            blocksize=opts.BlockSize(), mode="DCR",
        ))

    def reshape(self, pos: int, op: tflite.Operator) -> None:
        x, s = (int(v) for v in op.InputsAsNumpy())
        out = int(op.Outputs(0))
        target = [int(v) for v in self.const(s)]
        if len(target) != 3 or target[0] != 1 or target[1] != -1:
            raise ValueError(f"unexpected reshape {target}")
        # Back to NHWC first, so rows come out in TFLite's order (row-major cells).
        nhwc = f"{self.name(x)}_nhwc"
        self.nodes.append(helper.make_node(
            "Transpose", [self.name(x)], [nhwc], name=f"to_nhwc{pos}", perm=[0, 2, 3, 1]))
        shape = self.initializer(f"shape{pos}", np.array([0, -1, target[2]], np.int64))
        self.nodes.append(helper.make_node(
            "Reshape", [nhwc, shape], [self.name(out)], name=f"reshape{pos}"))

    def convert(self, source_sha256: str) -> onnx.ModelProto:
        g = self.graph
        (inp,) = (int(v) for v in g.InputsAsNumpy())
        in_shape = _shape(g.Tensors(inp))
        self.names[inp] = "input_nchw"
        self.nodes.append(helper.make_node(
            "Transpose", ["input"], ["input_nchw"], name="to_nchw", perm=[0, 3, 1, 2]))
        handlers = {
            "CONV_2D": lambda i, o: self.conv(i, o, depthwise=False),
            "DEPTHWISE_CONV_2D": lambda i, o: self.conv(i, o, depthwise=True),
            "PAD": self.pad,
            "ADD": self.add,
            "RESIZE_BILINEAR": self.resize,
            "DEPTH_TO_SPACE": self.depth_to_space,
            "RESHAPE": self.reshape,
        }
        for pos in range(g.OperatorsLength()):
            op = g.Operators(pos)
            kind = _op_name(self.model, op)
            if kind in ("DEQUANTIZE", "DENSIFY"):
                # Constant folding: the widened / densified weight is what the conv reads.
                src, out = int(op.Inputs(0)), int(op.Outputs(0))
                self.consts[out] = self.const(src)
                continue
            if kind not in handlers:
                raise ValueError(f"unsupported operator {kind}")
            handlers[kind](pos, op)
        outputs = []
        out_names = {"Identity": "regressors", "Identity_1": "classificators"}
        for t in (int(v) for v in g.OutputsAsNumpy()):
            tensor = g.Tensors(t)
            name = out_names[tensor.Name().decode()]
            self.nodes.append(helper.make_node(
                "Identity", [self.name(t)], [name], name=f"out_{name}"))
            outputs.append(helper.make_tensor_value_info(
                name, TensorProto.FLOAT, ["batch", *_shape(tensor)[1:]]))
        graph = helper.make_graph(
            self.nodes, "blazeface_full_range",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", *in_shape[1:]])],
            outputs, initializer=self.inits,
        )
        model = helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="crowdveil scripts/convert_blazeface.py", producer_version="1",
            doc_string=(
                "mediapipe 0.10.21 face_detection_full_range_sparse.tflite "
                f"(SHA-256 {source_sha256}), Apache-2.0; weights densified and widened to "
                "float32, zero pads folded into convolutions, NCHW inside."
            ),
        )
        model.ir_version = IR_VERSION
        onnx.checker.check_model(model, full_check=True)
        return model


def convert(source: Path, target: Path) -> str:
    """Write the ONNX model; returns its SHA-256."""
    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SOURCE_SHA256:
        raise SystemExit(f"{source}: SHA-256 {digest}, expected {SOURCE_SHA256} "
                         "(face_detection_full_range_sparse.tflite of mediapipe 0.10.21)")
    model = _Converter(tflite.Model.GetRootAsModel(data, 0)).convert(digest)
    out = model.SerializeToString()
    target.write_bytes(out)
    return hashlib.sha256(out).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tflite", type=Path)
    parser.add_argument("onnx", type=Path)
    args = parser.parse_args(argv)
    digest = convert(args.tflite, args.onnx)
    print(f"{args.onnx}: {args.onnx.stat().st_size} bytes, SHA-256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
