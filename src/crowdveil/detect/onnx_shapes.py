"""Free the fixed input size of an ONNX graph, in memory, without the `onnx` package.

The vendored CenterFace graph declares a 10 x 3 x 32 x 32 input, and onnxruntime refuses any
other size. The network itself is fully convolutional, so only the declared shapes of the graph's
inputs and outputs need to change. We rewrite those few protobuf fields at the wire level (the
file on disk stays untouched and is hash-checked before this runs) rather than pulling in `onnx`.

The same pass drops the weights from the graph's input list. Old exporters (opset < 9 style)
listed every initializer as an overridable input, and onnxruntime will not fold what a caller
could override: no Conv+BatchNorm fusion, no constant folding. On CenterFace that made every
pixel cost 2.4x the time (benchmarks/RESULTS.md, speed section).

Field numbers come from onnx.proto: ModelProto.graph = 7; GraphProto.input = 11, output = 12,
value_info = 13, initializer = 5; TensorProto.name = 8; ValueInfoProto.name = 1, type = 2;
TypeProto.tensor_type = 1; TypeProto.Tensor.elem_type = 1, shape = 2;
TensorShapeProto.dim = 1; Dimension.dim_param = 2.
"""

from __future__ import annotations

from collections.abc import Iterator

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
_FLOAT = 1  # TensorProto.DataType.FLOAT


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("malformed protobuf varint")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _fields(buf: bytes) -> Iterator[tuple[int, int, bytes, bytes]]:
    """(field number, wire type, payload, raw bytes of the whole field) for each field."""
    pos = 0
    while pos < len(buf):
        start = pos
        key, pos = _read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            _, pos = _read_varint(buf, pos)
            payload = b""
        elif wire == _I64:
            pos += 8
            payload = b""
        elif wire == _I32:
            pos += 4
            payload = b""
        elif wire == _LEN:
            length, pos = _read_varint(buf, pos)
            payload = buf[pos:pos + length]
            pos += length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if pos > len(buf):
            raise ValueError("truncated protobuf message")
        yield number, wire, payload, buf[start:pos]


def _len_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | _LEN) + _varint(len(payload)) + payload


def _name_of(value_info: bytes) -> str:
    for number, wire, payload, _ in _fields(value_info):
        if number == 1 and wire == _LEN:
            return payload.decode("utf-8")
    return ""


def _float_tensor_type(dims: list[str]) -> bytes:
    shape = b"".join(_len_field(1, _len_field(2, d.encode())) for d in dims)
    tensor = _varint(1 << 3 | _VARINT) + _varint(_FLOAT) + _len_field(2, shape)
    return _len_field(1, tensor)


def _with_type(value_info: bytes, dims: list[str]) -> bytes:
    kept = b"".join(raw for number, _, _, raw in _fields(value_info) if number != 2)
    return kept + _len_field(2, _float_tensor_type(dims))


def _initializer_names(graph: bytes) -> set[str]:
    names = set()
    for number, wire, payload, _ in _fields(graph):
        if number == 5 and wire == _LEN:
            for tnum, twire, tpayload, _ in _fields(payload):
                if tnum == 8 and twire == _LEN:
                    names.add(tpayload.decode("utf-8"))
    return names


def _rewrite_graph(graph: bytes, dims: dict[str, list[str]]) -> bytes:
    weights = _initializer_names(graph)
    out = bytearray()
    for number, wire, payload, raw in _fields(graph):
        if number == 13:
            continue  # stale intermediate shapes; the runtime infers them again
        if number == 11 and wire == _LEN and _name_of(payload) in weights:
            continue  # a weight listed as an input: constant, so the runtime may fuse it
        if number in (11, 12) and wire == _LEN and _name_of(payload) in dims:
            out += _len_field(number, _with_type(payload, dims[_name_of(payload)]))
        else:
            out += raw
    return bytes(out)


def with_symbolic_dims(model: bytes, dims: dict[str, list[str]]) -> bytes:
    """A copy of the serialized ModelProto whose named inputs/outputs get symbolic float dims
    and whose initializers are no longer listed as graph inputs."""
    out = bytearray()
    found = False
    for number, wire, payload, raw in _fields(model):
        if number == 7 and wire == _LEN:
            out += _len_field(7, _rewrite_graph(payload, dims))
            found = True
        else:
            out += raw
    if not found:
        raise ValueError("not an ONNX model: no graph")
    return bytes(out)
