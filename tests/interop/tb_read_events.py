"""Independent reader for TensorBoard event files, for interop tests.

Builds the Event/Summary/HParams message descriptors at run time with
python3-protobuf (no protoc, no TensorBoard), checks both masked CRC32C of
every TFRecord with its own CRC code, decodes each Event and prints a JSON
list on stdout. PNG images are decoded by hand (zlib, struct)
and also with Pillow when it is installed.

usage: tb_read_events.py EVENT_FILE
"""

import base64
import io
import json
import struct
import sys
import zlib

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory, struct_pb2

F = descriptor_pb2.FieldDescriptorProto
OPT, REP = F.LABEL_OPTIONAL, F.LABEL_REPEATED
T = {
    "double": F.TYPE_DOUBLE, "float": F.TYPE_FLOAT, "int64": F.TYPE_INT64, "uint64": F.TYPE_UINT64,
    "int32": F.TYPE_INT32, "uint32": F.TYPE_UINT32, "bool": F.TYPE_BOOL, "string": F.TYPE_STRING,
    "bytes": F.TYPE_BYTES, "enum": F.TYPE_INT32,  # enums read as plain int32 values
}


def message(parent, name, fields, oneofs=(), map_entry=False):
    m = parent.add(name=name)
    if map_entry:
        m.options.map_entry = True
    for o in oneofs:
        m.oneof_decl.add(name=o)
    for spec in fields:
        fname, number, ftype = spec[:3]
        label = spec[3] if len(spec) > 3 else OPT
        oneof = spec[4] if len(spec) > 4 else None
        f = m.field.add(name=fname, number=number, label=label)
        if ftype in T:
            f.type = T[ftype]
        else:
            f.type = F.TYPE_MESSAGE
            f.type_name = ftype
        if oneof is not None:
            f.oneof_index = list(oneofs).index(oneof)
    return m


def build():
    pool = descriptor_pool.DescriptorPool()
    sp = descriptor_pb2.FileDescriptorProto()
    struct_pb2.DESCRIPTOR.CopyToProto(sp)
    pool.Add(sp)
    fd = descriptor_pb2.FileDescriptorProto(name="cox_tb_interop.proto", package="coxtb", syntax="proto3")
    fd.dependency.append("google/protobuf/struct.proto")
    mt = fd.message_type
    message(mt, "PluginData", [("plugin_name", 1, "string"), ("content", 2, "bytes")])
    message(mt, "SummaryMetadata", [
        ("plugin_data", 1, ".coxtb.PluginData"), ("display_name", 2, "string"),
        ("summary_description", 3, "string"), ("data_class", 4, "enum")])
    message(mt, "HistogramProto", [
        ("min", 1, "double"), ("max", 2, "double"), ("num", 3, "double"), ("sum", 4, "double"),
        ("sum_squares", 5, "double"), ("bucket_limit", 6, "double", REP), ("bucket", 7, "double", REP)])
    message(mt, "Dim", [("size", 1, "int64"), ("name", 2, "string")])
    message(mt, "TensorShapeProto", [("dim", 2, ".coxtb.Dim", REP), ("unknown_rank", 3, "bool")])
    message(mt, "TensorProto", [
        ("dtype", 1, "enum"), ("tensor_shape", 2, ".coxtb.TensorShapeProto"), ("version_number", 3, "int32"),
        ("tensor_content", 4, "bytes"), ("float_val", 5, "float", REP), ("double_val", 6, "double", REP),
        ("int_val", 7, "int32", REP), ("string_val", 8, "bytes", REP), ("int64_val", 10, "int64", REP),
        ("bool_val", 11, "bool", REP)])
    message(mt, "Image", [("height", 1, "int32"), ("width", 2, "int32"), ("colorspace", 3, "int32"),
                          ("encoded_image_string", 4, "bytes")])
    message(mt, "Value", [
        ("tag", 1, "string"), ("simple_value", 2, "float", OPT, "value"),
        ("image", 4, ".coxtb.Image", OPT, "value"), ("histo", 5, ".coxtb.HistogramProto", OPT, "value"),
        ("tensor", 8, ".coxtb.TensorProto", OPT, "value"), ("node_name", 7, "string"),
        ("metadata", 9, ".coxtb.SummaryMetadata")], oneofs=["value"])
    message(mt, "Summary", [("value", 1, ".coxtb.Value", REP)])
    message(mt, "SessionLog", [("status", 1, "enum"), ("checkpoint_path", 2, "string"), ("msg", 3, "string")])
    message(mt, "Event", [
        ("wall_time", 1, "double"), ("step", 2, "int64"), ("file_version", 3, "string", OPT, "what"),
        ("graph_def", 4, "bytes", OPT, "what"), ("summary", 5, ".coxtb.Summary", OPT, "what"),
        ("session_log", 7, ".coxtb.SessionLog", OPT, "what")], oneofs=["what"])
    # HParams plugin
    message(mt, "Interval", [("min_value", 1, "double"), ("max_value", 2, "double")])
    message(mt, "HParamInfo", [
        ("name", 1, "string"), ("display_name", 2, "string"), ("description", 3, "string"), ("type", 4, "enum"),
        ("domain_discrete", 5, ".google.protobuf.ListValue", OPT, "domain"),
        ("domain_interval", 6, ".coxtb.Interval", OPT, "domain"), ("differs", 7, "bool")], oneofs=["domain"])
    message(mt, "MetricName", [("group", 1, "string"), ("tag", 2, "string")])
    message(mt, "MetricInfo", [("name", 1, ".coxtb.MetricName"), ("display_name", 3, "string"),
                               ("description", 4, "string"), ("dataset_type", 5, "enum")])
    message(mt, "Experiment", [
        ("description", 1, "string"), ("user", 2, "string"), ("time_created_secs", 3, "double"),
        ("hparam_infos", 4, ".coxtb.HParamInfo", REP), ("metric_infos", 5, ".coxtb.MetricInfo", REP),
        ("name", 6, "string")])
    ssi = message(mt, "SessionStartInfo", [
        ("hparams", 1, ".coxtb.SessionStartInfo.HparamsEntry", REP), ("model_uri", 2, "string"),
        ("monitor_url", 3, "string"), ("group_name", 4, "string"), ("start_time_secs", 5, "double")])
    message(ssi.nested_type, "HparamsEntry", [("key", 1, "string"), ("value", 2, ".google.protobuf.Value")],
            map_entry=True)
    message(mt, "SessionEndInfo", [("status", 1, "enum"), ("end_time_secs", 2, "double")])
    message(mt, "HParamsPluginData", [
        ("version", 1, "int32"), ("experiment", 2, ".coxtb.Experiment", OPT, "data"),
        ("session_start_info", 3, ".coxtb.SessionStartInfo", OPT, "data"),
        ("session_end_info", 4, ".coxtb.SessionEndInfo", OPT, "data")], oneofs=["data"])
    pool.Add(fd)
    factory = message_factory.MessageFactory(pool)

    def cls(name):
        d = pool.FindMessageTypeByName("coxtb." + name)
        get = getattr(message_factory, "GetMessageClass", None)
        return get(d) if get else factory.GetPrototype(d)

    return cls("Event"), cls("HParamsPluginData")


def crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


TABLE = crc32c_table()


def masked_crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    c ^= 0xFFFFFFFF
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(data):
    p = 0
    while p < len(data):
        if len(data) - p < 12:
            raise SystemExit("truncated header at %d" % p)
        (length,) = struct.unpack_from("<Q", data, p)
        (lcrc,) = struct.unpack_from("<I", data, p + 8)
        if masked_crc32c(data[p:p + 8]) != lcrc:
            raise SystemExit("length CRC mismatch at %d" % p)
        payload = data[p + 12:p + 12 + length]
        (dcrc,) = struct.unpack_from("<I", data, p + 12 + length)
        if masked_crc32c(payload) != dcrc:
            raise SystemExit("data CRC mismatch at %d" % p)
        yield p, payload
        p += 16 + length


def png_by_hand(png):
    """Decodes an 8-bit non-interlaced PNG with zlib and struct only, checking chunk CRCs."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("bad PNG signature")
    p, idat, width, height, channels = 8, b"", 0, 0, 0
    while p < len(png):
        (n,) = struct.unpack_from(">I", png, p)
        kind = png[p + 4:p + 8]
        body = png[p + 8:p + 8 + n]
        (crc,) = struct.unpack_from(">I", png, p + 8 + n)
        if zlib.crc32(kind + body) != crc:
            raise SystemExit("PNG chunk CRC mismatch in %r" % kind)
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace != 0:
                raise SystemExit("unsupported PNG")
            channels = {0: 1, 4: 2, 2: 3, 6: 4}[ctype]
        elif kind == b"IDAT":
            idat += body
        p += 12 + n
    raw = zlib.decompress(idat)
    stride = width * channels
    rows = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                pp = a + b - c
                pa, pb, pc = abs(pp - a), abs(pp - b), abs(pp - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return {"width": width, "height": height, "channels": channels, "pixels": [v for r in rows for v in r]}


def png_pil(png):
    try:
        from PIL import Image
    except ImportError:
        return None
    im = Image.open(io.BytesIO(png))
    im.load()
    flat = []
    for px in im.getdata():
        flat.extend(px if isinstance(px, tuple) else [px])
    return {"width": im.size[0], "height": im.size[1], "mode": im.mode, "pixels": flat}


def main():
    Event, HParamsPluginData = build()
    data = open(sys.argv[1], "rb").read()
    out = []
    for offset, payload in records(data):
        ev = Event()
        ev.ParseFromString(payload)
        if ev.SerializeToString() != payload:
            raise SystemExit("re-serialization differs at %d" % offset)
        d = json_format.MessageToDict(ev, preserving_proto_field_name=True)
        d["offset"] = offset
        d["what"] = ev.WhichOneof("what")
        for i, v in enumerate(ev.summary.value):
            dv = d["summary"]["value"][i]
            dv["which"] = v.WhichOneof("value")
            if v.HasField("image"):
                dv["png"] = png_by_hand(v.image.encoded_image_string)
                dv["pil"] = png_pil(v.image.encoded_image_string)
            if v.metadata.plugin_data.plugin_name == "hparams":
                hp = HParamsPluginData()
                hp.ParseFromString(v.metadata.plugin_data.content)
                dv["hparams"] = json_format.MessageToDict(hp, preserving_proto_field_name=True)
            if v.HasField("tensor"):
                dv["string_val_utf8"] = [s.decode("utf-8") for s in v.tensor.string_val]
        out.append(d)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
