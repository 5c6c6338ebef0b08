"""Train a tiny encoder-decoder transformer on ``deduct`` (PyTorch, CPU) and score it.

The data comes from the package (``lime_datasets.generate``), ids from the package vocabulary
(``<pad>`` 0, ``<s>`` 1, ``</s>`` 2), and the test split is scored with ``lime_datasets.check``:
exact match (the prediction is the target) and valid answer (the checker accepts it), by greedy
decoding; next-token accuracy (teacher forcing) shows progress before whole answers come out right.

    python examples/train_tiny.py                 # the benchmark run: a few minutes on 2 cores
    python examples/train_tiny.py --steps 20 --test-size 8   # a smoke run

Needs ``torch`` (``pip install lime-datasets[torch]``).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

import lime_datasets
from lime_datasets.core.vocab import BOS_ID, EOS_ID, PAD_ID, decode, vocab_tokens

TASK = "deduct"


class TinyTransformer(nn.Module):
    """``nn.Transformer`` with token and learned position embeddings and a linear output layer."""

    def __init__(self, vocab: int, d_model: int, layers: int, heads: int, max_len: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model, padding_idx=PAD_ID)
        self.position = nn.Embedding(max_len, d_model)
        self.transformer = nn.Transformer(
            d_model, heads, layers, layers, dim_feedforward=4 * d_model, dropout=0.0,
            batch_first=True,
        )
        self.output = nn.Linear(d_model, vocab)
        self.scale = math.sqrt(d_model)

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        return self.embed(ids) * self.scale + self.position(positions)

    def encode(self, source: torch.Tensor) -> torch.Tensor:
        return self.transformer.encoder(self._embed(source),
                                        src_key_padding_mask=source == PAD_ID)

    def decode(self, memory: torch.Tensor, source: torch.Tensor,
               prefix: torch.Tensor) -> torch.Tensor:
        """Logits of the next token after every position of ``prefix``."""
        length = prefix.shape[1]
        mask = torch.ones(length, length, dtype=torch.bool).triu(1)  # True: may not attend
        hidden = self.transformer.decoder(
            self._embed(prefix), memory, tgt_mask=mask, tgt_is_causal=True,
            tgt_key_padding_mask=prefix == PAD_ID, memory_key_padding_mask=source == PAD_ID,
        )
        return self.output(hidden)

    def forward(self, source: torch.Tensor, prefix: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(source), source, prefix)


def pad(rows: Sequence[Sequence[int]], before: Sequence[int] = (),
        after: Sequence[int] = ()) -> torch.Tensor:
    """Rows framed by ``before``/``after`` and right-padded with ``PAD_ID`` into one tensor."""
    framed = [[*before, *row, *after] for row in rows]
    out = torch.full((len(framed), max(map(len, framed))), PAD_ID, dtype=torch.long)
    for i, row in enumerate(framed):
        out[i, : len(row)] = torch.tensor(row)
    return out


@torch.no_grad()
def greedy(model: TinyTransformer, source: torch.Tensor, max_len: int) -> list[list[int]]:
    """Greedy decoding: the ids after ``<s>`` up to ``</s>`` (or ``max_len`` ids)."""
    memory = model.encode(source)
    prefix = torch.full((source.shape[0], 1), BOS_ID, dtype=torch.long)
    done = torch.zeros(source.shape[0], dtype=torch.bool)
    for _ in range(max_len):
        step = model.decode(memory, source, prefix)[:, -1].argmax(-1)
        step = torch.where(done, PAD_ID, step)
        prefix = torch.cat([prefix, step[:, None]], dim=1)
        done |= step == EOS_ID
        if done.all():
            break
    outputs = []
    for row in prefix[:, 1:].tolist():
        outputs.append(row[: row.index(EOS_ID)] if EOS_ID in row else row)
    return [[i for i in row if i != PAD_ID] for row in outputs]


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Train, evaluate and return the numbers (losses, accuracies, seconds)."""
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    params = {"vocab_size": args.vocab_size}
    started = time.perf_counter()
    train_rows = lime_datasets.generate(TASK, "train", 0, args.train_size, **params).to_pylist()
    test_rows = lime_datasets.generate(TASK, "test", 0, args.test_size, **params).to_pylist()
    max_len = 2 + max(len(r[f]) for r in train_rows + test_rows
                      for f in ("source_ids", "target_ids"))
    model = TinyTransformer(len(vocab_tokens(args.vocab_size)), args.d_model, args.layers,
                            args.heads, max_len)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / args.warmup)
        * max(0.05, 0.5 * (1 + math.cos(math.pi * step / args.steps)))
    )
    loss_fn = nn.CrossEntropyLoss(ignore_index=PAD_ID)
    generator = torch.Generator().manual_seed(args.seed)
    losses = []
    model.train()
    for step in range(args.steps):
        if args.max_seconds and time.perf_counter() - started > args.max_seconds:
            break
        batch = [train_rows[i] for i in torch.randint(len(train_rows), (args.batch_size,),
                                                      generator=generator).tolist()]
        source = pad([r["source_ids"] for r in batch])
        target = pad([r["target_ids"] for r in batch], before=[BOS_ID], after=[EOS_ID])
        logits = model(source, target[:, :-1])
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), target[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        if args.log_every and (step + 1) % args.log_every == 0:
            print(f"step {step + 1}  loss {sum(losses[-args.log_every:]) / args.log_every:.4f}  "
                  f"{time.perf_counter() - started:.0f}s", flush=True)
    train_seconds = time.perf_counter() - started

    model.eval()
    exact = valid = correct_tokens = target_tokens = 0
    answer_len = 1 + max(len(r["target_ids"]) for r in train_rows)  # ids and </s>
    for start in range(0, len(test_rows), args.eval_batch_size):
        rows = test_rows[start : start + args.eval_batch_size]
        source = pad([r["source_ids"] for r in rows])
        target = pad([r["target_ids"] for r in rows], before=[BOS_ID], after=[EOS_ID])
        with torch.no_grad():
            predicted = model(source, target[:, :-1]).argmax(-1)
        scored = target[:, 1:] != PAD_ID
        correct_tokens += int(((predicted == target[:, 1:]) & scored).sum())
        target_tokens += int(scored.sum())
        predictions = greedy(model, source, answer_len)
        for row, ids in zip(rows, predictions, strict=True):
            answer = decode(ids, args.vocab_size)
            exact += answer == row["target"]
            valid += lime_datasets.check(row["task"], row["source"], answer)
    return {
        "task": TASK, "parameters": params, "steps": len(losses),
        "train_examples": len(train_rows), "test_examples": len(test_rows),
        "first_loss": losses[0], "last_loss": sum(losses[-10:]) / len(losses[-10:]),
        "losses": losses,
        "exact_match": exact / len(test_rows), "valid_answer": valid / len(test_rows),
        "token_accuracy": correct_tokens / target_tokens,
        "train_seconds": round(train_seconds, 1),
        "total_seconds": round(time.perf_counter() - started, 1),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--max-seconds", type=float, default=240.0,
                        help="stop training after this many seconds (0: no limit)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--eval-batch-size", type=int, default=250)
    parser.add_argument("--train-size", type=int, default=20000)
    parser.add_argument("--test-size", type=int, default=1000)
    parser.add_argument("--vocab-size", type=int, default=68,
                        help="symbols (68, the smallest deduct allows, keeps the model small)")
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1 is fastest on a shared 2-core machine)")
    parser.add_argument("--log-every", type=int, default=100)
    parser.add_argument("--json", metavar="FILE", help="also write the numbers to this file")
    return parser


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = build_parser().parse_args(argv)
    result = train(args)
    print(f"{TASK}: {result['steps']} steps in {result['train_seconds']}s, loss "
          f"{result['first_loss']:.3f} -> {result['last_loss']:.3f}; test "
          f"({result['test_examples']}): exact match {result['exact_match']:.3f}, "
          f"valid answer {result['valid_answer']:.3f}, next-token accuracy "
          f"{result['token_accuracy']:.3f} ({result['total_seconds']}s in all)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump({k: v for k, v in result.items() if k != "losses"}, file, indent=2)
    return result


if __name__ == "__main__":
    main()
