#!/usr/bin/env python3
"""PyTorch reference for bench-train: the same Barlow Twins pretraining step on the CPU.

Model (PROTOCOL sections 3-4): item embedding (vocab 3,706, d 64, padding 0) + learned position embedding (50),
dropout 0.1, 2 pre-norm Transformer blocks (2 heads, feed-forward 256, GELU, dropout 0.1, key padding mask),
final LayerNorm, masked mean; projector 64-256-256-256 (Linear, BatchNorm, ReLU twice, Linear); Barlow Twins
loss with lambda = 1/256 over batch-standardised projections; AdamW lr 1e-3, weight decay 1e-6.
One step = forward and backward of both views (batch 256 each, lengths uniform 10-50, padded to 50) plus the
optimiser step. Prints ms/step and sequence-views/s.

Usage: python3 scripts/bench_pytorch.py [--steps 20] [--warmup 3] [--threads 2] [--batch 256] [--with-swift]
With --with-swift it first runs .build/release/bench-train (build it with
`swift build -c release --product bench-train`) with the same step count, once with the environment as given
and once with OPENBLAS_CORETYPE=SkylakeX, so both implementations are measured in one run.
"""
import os
import subprocess
import argparse
import time

import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, vocab, d=64, blocks=2, heads=2, ff=256, max_len=50, dropout=0.1):
        super().__init__()
        self.items = nn.Embedding(vocab, d, padding_idx=0)
        self.positions = nn.Embedding(max_len, d)
        nn.init.normal_(self.items.weight, std=0.02)
        nn.init.normal_(self.positions.weight, std=0.02)
        with torch.no_grad():
            self.items.weight[0].zero_()
        self.dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, blocks, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)

    def forward(self, ids, lengths):
        b, t = ids.shape
        positions = torch.arange(t).unsqueeze(0).expand(b, t)
        padding = positions >= lengths.unsqueeze(1)
        x = self.dropout(self.items(ids) + self.positions(positions))
        x = self.norm(self.blocks(x, src_key_padding_mask=padding))
        valid = (~padding).unsqueeze(-1).float()
        return (x * valid).sum(1) / valid.sum(1)


def projector(d=64, width=256):
    return nn.Sequential(nn.Linear(d, width, bias=False), nn.BatchNorm1d(width), nn.ReLU(),
                         nn.Linear(width, width, bias=False), nn.BatchNorm1d(width), nn.ReLU(),
                         nn.Linear(width, width))


def barlow_twins(z1, z2, lam):
    standardise = lambda z: (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + 1e-5)
    c = standardise(z1).T @ standardise(z2) / z1.shape[0]
    on = (torch.diagonal(c) - 1).pow(2).sum()
    off = c.pow(2).sum() - torch.diagonal(c).pow(2).sum()
    return on + lam * off


def views(batch, length, min_length, vocab, generator):
    lengths = torch.randint(min_length, length + 1, (batch,), generator=generator)
    ids = torch.randint(1, vocab, (batch, length), generator=generator)
    ids[torch.arange(length).unsqueeze(0) >= lengths.unsqueeze(1)] = 0
    return ids, lengths


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--vocab", type=int, default=3706)
    parser.add_argument("--with-swift", action="store_true")
    args = parser.parse_args()
    if args.with_swift:
        binary = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release", "bench-train")
        for coretype in (None, "SkylakeX"):
            env = dict(os.environ)
            if coretype:
                env["OPENBLAS_CORETYPE"] = coretype
            command = [binary, "--steps", str(args.steps), "--warmup", str(args.warmup), "--batch", str(args.batch)]
            print(subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout, end="")
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    generator = torch.Generator().manual_seed(1)
    encoder, head = Encoder(args.vocab), projector()
    parameters = list(encoder.parameters()) + list(head.parameters())
    optimiser = torch.optim.AdamW(parameters, lr=1e-3, weight_decay=1e-6)

    def step():
        (i1, l1), (i2, l2) = (views(args.batch, 50, 10, args.vocab, generator) for _ in range(2))
        optimiser.zero_grad(set_to_none=True)
        loss = barlow_twins(head(encoder(i1, l1)), head(encoder(i2, l2)), 1 / 256)
        loss.backward()
        optimiser.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    elapsed = time.perf_counter() - start
    print(f"pytorch {torch.__version__}: threads {torch.get_num_threads()}, {args.steps} steps, loss {loss:.3f}")
    print(f"pytorch: {1000 * elapsed / args.steps:.1f} ms/step, {2 * args.batch * args.steps / elapsed:.0f} "
          f"sequence-views/s")


if __name__ == "__main__":
    main()
