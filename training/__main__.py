"""`make train`: build the seeded training set from KanjiVG and MNIST, train, export the weights.

python -m training [--seed N] [--epochs N] [--out infra/ocr/handchars.npz]
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
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path("var/train"))
    parser.add_argument("--out", type=Path, default=Path("infra/ocr/handchars.npz"))
    args = parser.parse_args()

    import torch

    torch.set_num_threads(int(os.environ.get("TRAIN_THREADS", "1")))
    from infra.ocr import handchars
    from training import dataset, glyphs, train

    started = time.monotonic()
    x, y = dataset.build(args.seed, args.cache / "mnist")
    print(
        f"training set: {len(x)} cells, {len(glyphs.CLASSES)} classes, "
        f"{time.monotonic() - started:.0f} s",
        flush=True,
    )
    model = train.fit(x, y, len(glyphs.CLASSES), args.epochs, args.seed)
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
