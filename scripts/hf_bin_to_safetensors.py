#!/usr/bin/env python3
"""Converts a Hugging Face PyTorch checkpoint (pytorch_model.bin) into model.safetensors, with
Debian's python3-torch alone (no transformers, no safetensors package, nothing downloaded).

    hf_bin_to_safetensors.py DIR/pytorch_model.bin [OUT.safetensors]

OUT defaults to model.safetensors beside the input. Every tensor is written as it is stored (dtype
and shape kept, made contiguous); the file is written to a temporary name and renamed into place.
"""
import json
import os
import struct
import sys

import torch

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
          torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
          torch.uint8: "U8", torch.bool: "BOOL"}


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    source = sys.argv[1]
    target = sys.argv[2] if len(sys.argv) == 3 else os.path.join(
        os.path.dirname(os.path.abspath(source)), "model.safetensors")
    state = torch.load(source, map_location="cpu")
    if not isinstance(state, dict) or not all(torch.is_tensor(t) for t in state.values()):
        sys.exit(source + ": not a state dict of tensors")
    header, blobs, offset = {}, [], 0
    for name in sorted(state):
        tensor = state[name].contiguous()
        if tensor.dtype not in DTYPES:
            sys.exit("%s: tensor %s has dtype %s, which safetensors does not store"
                     % (source, name, tensor.dtype))
        raw = tensor.reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b""
        header[name] = {"dtype": DTYPES[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    temporary = "%s.tmp.%d" % (target, os.getpid())
    with open(temporary, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
    os.replace(temporary, target)
    print("%s: %d tensors, %d bytes of data" % (target, len(header), offset), file=sys.stderr)


if __name__ == "__main__":
    main()
