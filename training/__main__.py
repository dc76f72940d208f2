"""`make train`: build the seeded training set from KanjiVG and MNIST, train, export the weights.

python -m training [--seed N] [--epochs N] [--out infra/ocr/handchars.npz]
python -m training --start WEIGHTS --epochs 4 --lr 3e-4 --confusable 400 [--checkpoints DIR]
    (a fine-tune: from exported weights, a lower learning rate, extra cells of the confusable
    kana; `--checkpoints` exports every epoch, so the epoch is chosen on development data)
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m training")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--cache", type=Path, default=Path("var/train"))
    parser.add_argument("--out", type=Path, default=Path("infra/ocr/handchars.npz"))
    parser.add_argument("--start", type=Path, help="fine-tune these exported weights")
    parser.add_argument("--lr", type=float, default=3e-3, help="the one-cycle peak")
    parser.add_argument("--confusable", type=int, default=0, help="extra cells per such kana")
    parser.add_argument("--checkpoints", type=Path, help="export every epoch here")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(int(os.environ.get("TRAIN_THREADS", "1")))
    from infra.ocr import handchars
    from training import dataset, glyphs, train

    started = time.monotonic()
    x, y = dataset.cached(args.seed, args.cache)
    if args.confusable:
        extra_x, extra_y = dataset.confusable(args.seed + 500, args.confusable, args.cache)
        x, y = np.concatenate([x, extra_x]), np.concatenate([y, extra_y])
    print(
        f"training set: {len(x)} cells, {len(glyphs.CLASSES)} classes, "
        f"{time.monotonic() - started:.0f} s",
        flush=True,
    )
    start = train.from_weights(args.start, glyphs.CLASSES) if args.start else None

    def checkpoint(epoch: int, model: train.CellNet) -> None:
        if args.checkpoints:
            args.checkpoints.mkdir(parents=True, exist_ok=True)
            train.export(model, glyphs.CLASSES, args.checkpoints / f"epoch{epoch}.npz")

    model = train.fit(
        x, y, len(glyphs.CLASSES), args.epochs, args.seed, True, start, args.lr, checkpoint
    )
    train.export(model, glyphs.CLASSES, args.out)
    # A check on the training distribution only (same pens, another seed): the held-out
    # figures are `make bench`'s.
    check_x, check_y = dataset.build(args.seed + 1000, args.cache / "mnist", scale=0.1)
    shipped = handchars.load(args.out)
    predicted = shipped.probabilities(check_x[:, 0]).argmax(axis=1)
    print(
        f"exported {args.out} ({args.out.stat().st_size // 1024} KiB); "
        f"accuracy on a fresh draw of the training distribution (not held out): "
        f"{float(np.mean(predicted == check_y)):.4f}; total {time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
