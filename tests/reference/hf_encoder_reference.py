#!/usr/bin/env python3
"""An independent forward pass of Hugging Face BERT and ELECTRA encoders (BertModel, ElectraModel),
written with python3-torch from the public definitions of their layers: embeddings (word + position
+ token type, LayerNorm), ELECTRA's embeddings_project, post-LayerNorm self-attention and
feed-forward layers, BERT's tanh pooler. It shares no code with jointnlu; the C++ test
(tests/train/encoder_reference_test.cc) compares jointnlu's encoder, loaded from the same
checkpoint directory, with it.

    hf_encoder_reference.py MODEL_DIR INPUT_JSON OUTPUT_JSON

INPUT_JSON: {"input_ids": [[...], ...], "attention_mask": [[...], ...]}
OUTPUT_JSON: {"sequence_output": [B][L][H], "pooled_output": [B][H] or null}
"""
import json
import math
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
          "I64": torch.int64, "I32": torch.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        dtype = DTYPES[entry["dtype"]]
        if end > start:
            t = torch.frombuffer(bytearray(data[base + start:base + end]), dtype=dtype)
        else:
            t = torch.zeros(0, dtype=dtype)
        t = t.reshape(entry["shape"])
        tensors[name] = t.float() if t.is_floating_point() else t
    return tensors


def encoder_weights(tensors, prefix):
    """Names without the model prefix; TensorFlow's LayerNorm gamma/beta as weight/bias."""
    out = {}
    for name, t in tensors.items():
        if name.startswith(prefix):
            name = name[len(prefix):]
        name = name.replace("LayerNorm.gamma", "LayerNorm.weight")
        name = name.replace("LayerNorm.beta", "LayerNorm.bias")
        out[name] = t
    return out


def activation(name, x):
    if name == "gelu":
        return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    if name == "relu":
        return torch.relu(x)
    raise ValueError("unknown hidden_act " + name)


def layer_norm(x, w, name, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * w[name + ".weight"] + w[name + ".bias"]


def dense(x, w, name):
    return x @ w[name + ".weight"].t() + w[name + ".bias"]


def forward(config, w, ids, mask):
    batch, length = ids.shape
    eps = config.get("layer_norm_eps", 1e-12)
    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    head = hidden // heads
    x = (w["embeddings.word_embeddings.weight"][ids]
         + w["embeddings.position_embeddings.weight"][torch.arange(length)]
         + w["embeddings.token_type_embeddings.weight"][torch.zeros_like(ids)])
    x = layer_norm(x, w, "embeddings.LayerNorm", eps)
    if "embeddings_project.weight" in w:
        x = dense(x, w, "embeddings_project")
    # Padding keys get the most negative float: their attention weight is exactly 0.
    key_bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min

    def heads_of(t):
        return t.view(batch, length, heads, head).transpose(1, 2)

    for i in range(config["num_hidden_layers"]):
        p = "encoder.layer.%d." % i
        q = heads_of(dense(x, w, p + "attention.self.query"))
        k = heads_of(dense(x, w, p + "attention.self.key"))
        v = heads_of(dense(x, w, p + "attention.self.value"))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(head) + key_bias, dim=-1)
        context = (probs @ v).transpose(1, 2).reshape(batch, length, hidden)
        a = layer_norm(dense(context, w, p + "attention.output.dense") + x, w,
                       p + "attention.output.LayerNorm", eps)
        inner = activation(config["hidden_act"], dense(a, w, p + "intermediate.dense"))
        x = layer_norm(dense(inner, w, p + "output.dense") + a, w, p + "output.LayerNorm", eps)
    pooled = None
    if "pooler.dense.weight" in w:
        pooled = torch.tanh(dense(x[:, 0], w, "pooler.dense"))
    return x, pooled


def main():
    model_dir, input_path, output_path = sys.argv[1:4]
    with open(model_dir + "/config.json", encoding="utf-8") as f:
        config = json.load(f)
    prefix = config["model_type"] + "."
    w = encoder_weights(read_safetensors(model_dir + "/model.safetensors"), prefix)
    with open(input_path, encoding="utf-8") as f:
        inputs = json.load(f)
    ids = torch.tensor(inputs["input_ids"], dtype=torch.int64)
    mask = torch.tensor(inputs["attention_mask"], dtype=torch.int64)
    with torch.no_grad():
        sequence, pooled = forward(config, w, ids, mask)
    with open(output_path, "w", encoding="utf-8") as f:
        json.dump({"sequence_output": sequence.tolist(),
                   "pooled_output": None if pooled is None else pooled.tolist()}, f)


if __name__ == "__main__":
    main()
