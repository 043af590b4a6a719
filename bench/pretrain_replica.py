#!/usr/bin/env python3
"""A PyTorch replica of `jointnlu pretrain`'s masked-LM training, for diagnosis only.

Same shapes (factorised embeddings E -> H, post-LayerNorm layers, tied MLM decoder), the same
N(0, std) initialisation, 15% masking with 80/10/10, AdamW with BERT's decay exclusions, linear
warm-up and decay, gradient clipping. It prints the training loss and the accuracy at [MASK]
inputs every 20 steps, so an architecture or initialisation question can be answered in minutes
without touching the C++ code. Characters are the vocabulary (built from the corpus itself).

Needs Debian's python3-torch:  /usr/bin/python3 bench/pretrain_replica.py --corpus FILE [options]
Layouts: packed lines sharing one attention window (jointnlu's old default), `--isolate` (each
packed line attends to itself, positions restart per line: jointnlu's default since session 6)
or `--no-pack` (one line per sequence).
"""
import argparse
import math
import random
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, UNK, CLS, SEP, MASK = range(5)
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True, help="one utterance per line")
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--E", type=int, default=128, help="embedding size")
    ap.add_argument("--H", type=int, default=312, help="hidden size")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--ff", type=int, default=1248)
    ap.add_argument("--drop", type=float, default=0.1, help="dropout")
    ap.add_argument("--maxlen", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--std", type=float, default=0.02, help="initializer_range")
    ap.add_argument("--eps", type=float, default=1e-6, help="Adam epsilon")
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--mask-prob", type=float, default=0.15)
    ap.add_argument("--position-init", choices=["normal", "sinusoidal"], default="normal")
    ap.add_argument("--unit-projection", action="store_true",
                    help="draw the E -> H projection from N(0, 1/sqrt(E))")
    ap.add_argument("--prenorm", action="store_true", help="pre-LayerNorm layers")
    layout = ap.add_mutually_exclusive_group()
    layout.add_argument("--no-pack", action="store_true", help="one line per sequence")
    layout.add_argument("--isolate", action="store_true",
                        help="packed lines, each in its own attention block with its own positions")
    return ap.parse_args()


class Data:
    def __init__(self, a):
        self.a = a
        self.lines = [l.strip() for l in open(a.corpus, encoding="utf8") if l.strip()]
        chars = sorted({c for l in self.lines for c in l})
        self.vocab = SPECIALS + chars
        self.index = {t: i for i, t in enumerate(self.vocab)}

    def line_ids(self):
        return [self.index.get(c, UNK) for c in random.choice(self.lines)]

    def sequence(self):
        """Token ids, position ids and a block number per token ([CLS] joins the first line)."""
        room = self.a.maxlen - 1
        ids, pos, block = [CLS], [0], [0]
        n = 0
        while room >= 2:
            line = self.line_ids()[: room - 1]
            ids += line + [SEP]
            start = 1 if (self.a.isolate and n > 0) else pos[-1] + 1
            pos += list(range(start, start + len(line) + 1))
            block += [n if self.a.isolate else 0] * (len(line) + 1)
            room -= len(line) + 1
            n += 1
            if self.a.no_pack:
                break
        return ids, pos, block

    def mask(self, ids):
        candidates = [i for i, t in enumerate(ids) if t not in (CLS, SEP, PAD)]
        chosen = random.sample(candidates, max(1, round(self.a.mask_prob * len(candidates))))
        inputs, labels = list(ids), [-100] * len(ids)
        for i in chosen:
            labels[i] = ids[i]
            r = random.random()
            if r < 0.8:
                inputs[i] = MASK
            elif r < 0.9:
                inputs[i] = random.randrange(len(SPECIALS), len(self.vocab))
        return inputs, labels

    def batch(self):
        rows = []
        for _ in range(self.a.batch):
            ids, pos, block = self.sequence()
            rows.append((*self.mask(ids), pos, block))
        length = max(len(r[0]) for r in rows)
        b = self.a.batch
        ids = torch.full((b, length), PAD)
        labels = torch.full((b, length), -100)
        pos = torch.zeros(b, length, dtype=torch.long)
        block = torch.full((b, length), -1)
        for r, (i, l, p, k) in enumerate(rows):
            ids[r, : len(i)] = torch.tensor(i)
            labels[r, : len(l)] = torch.tensor(l)
            pos[r, : len(p)] = torch.tensor(p)
            block[r, : len(k)] = torch.tensor(k)
        # Additive mask [B, 1, L, L]: a query sees keys of its own block; padding sees nothing real.
        same = (block[:, :, None] == block[:, None, :]) & (block[:, None, :] >= 0)
        mask = torch.where(same, 0.0, -1e30)[:, None]
        return ids, pos, mask, labels


class Layer(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = a
        h = a.H
        self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
        self.ln1 = nn.LayerNorm(h, eps=1e-12)
        self.ffn = nn.Linear(h, a.ff)
        self.ffo = nn.Linear(a.ff, h)
        self.ln2 = nn.LayerNorm(h, eps=1e-12)
        self.drop = nn.Dropout(a.drop)

    def attention(self, x, mask):
        b, length, h = x.shape
        heads = self.a.heads
        split = lambda t: t.view(b, length, heads, h // heads).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        probs = self.drop((q @ k.transpose(-1, -2) / math.sqrt(h // heads) + mask).softmax(-1))
        return self.drop(self.o((probs @ v).transpose(1, 2).reshape(b, length, h)))

    def forward(self, x, mask):
        gelu = lambda t: F.gelu(t, approximate="tanh")
        if self.a.prenorm:
            x = x + self.attention(self.ln1(x), mask)
            return x + self.ffo(gelu(self.ffn(self.ln2(x))))
        x = self.ln1(x + self.attention(x, mask))
        return self.ln2(x + self.ffo(gelu(self.ffn(x))))


class MaskedLm(nn.Module):
    def __init__(self, a, vocab_size):
        super().__init__()
        self.word = nn.Embedding(vocab_size, a.E, padding_idx=PAD)
        self.position = nn.Embedding(512, a.E)
        self.token_type = nn.Embedding(2, a.E)
        self.emb_ln = nn.LayerNorm(a.E, eps=1e-12)
        self.proj = nn.Linear(a.E, a.H)
        self.layers = nn.ModuleList(Layer(a) for _ in range(a.layers))
        self.final_ln = nn.LayerNorm(a.H) if a.prenorm else nn.Identity()
        self.head = nn.Linear(a.H, a.E)
        self.head_ln = nn.LayerNorm(a.E, eps=1e-12)
        self.bias = nn.Parameter(torch.zeros(vocab_size))
        self.drop = nn.Dropout(a.drop)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                m.weight.data.normal_(0, a.std)
                if isinstance(m, nn.Linear):
                    m.bias.data.zero_()
        self.word.weight.data[PAD].zero_()
        if a.unit_projection:
            self.proj.weight.data.normal_(0, 1 / math.sqrt(a.E))
        if a.position_init == "sinusoidal":
            table = torch.zeros(512, a.E)
            pos = torch.arange(512).float()[:, None]
            freq = torch.exp(torch.arange(0, a.E, 2).float() * (-math.log(10000.0) / a.E))
            table[:, 0::2], table[:, 1::2] = torch.sin(pos * freq), torch.cos(pos * freq)
            self.position.weight.data = table * a.std / table.std()

    def forward(self, ids, pos, mask):
        x = self.word(ids) + self.token_type(torch.zeros_like(ids)) + self.position(pos)
        x = self.proj(self.drop(self.emb_ln(x)))
        for layer in self.layers:
            x = layer(x, mask)
        x = self.head_ln(F.gelu(self.head(self.final_ln(x)), approximate="tanh"))
        return x @ self.word.weight.t() + self.bias


def main():
    a = parse_args()
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    torch.set_num_threads(1)
    data = Data(a)
    model = MaskedLm(a, len(data.vocab))
    no_decay = lambda n: "bias" in n or "ln" in n
    opt = torch.optim.AdamW(
        [{"params": [p for n, p in model.named_parameters() if not no_decay(n)], "weight_decay": 0.01},
         {"params": [p for n, p in model.named_parameters() if no_decay(n)], "weight_decay": 0.0}],
        lr=a.lr, eps=a.eps)
    start = time.time()
    loss_sum, steps, hits, masked = 0.0, 0, 0, 0
    for step in range(a.steps):
        if step < a.warmup:
            lr = a.lr * (step + 1) / a.warmup
        else:
            lr = a.lr * (a.steps - step) / (a.steps - a.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        ids, pos, mask, labels = data.batch()
        chosen = labels.view(-1) != -100
        logits = model(ids, pos, mask).view(-1, len(data.vocab))[chosen]
        targets = labels.view(-1)[chosen]
        loss = F.cross_entropy(logits, targets)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        opt.step()
        at_mask = ids.view(-1)[chosen] == MASK
        hits += ((logits.argmax(-1) == targets) & at_mask).sum().item()
        masked += at_mask.sum().item()
        loss_sum += loss.item()
        steps += 1
        if (step + 1) % 20 == 0:
            print(f"{step + 1} loss {loss_sum / steps:.4f} mask_acc {hits / max(1, masked):.4f} "
                  f"lr {lr:.2e} {time.time() - start:.0f}s", flush=True)
            loss_sum, steps, hits, masked = 0.0, 0, 0, 0


if __name__ == "__main__":
    main()
