"""Train the cell classifier with PyTorch (CPU) and export it for `infra.ocr.handchars`.

Batch norm is folded into the convolutions at export, so the run-time model is three
convolutions with ReLU and pooling, and two dense layers: weights stored as float16.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

CHANNELS = (16, 32, 64)
HIDDEN = 192


class CellNet(nn.Module):
    def __init__(self, classes: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        previous = 1
        for channels in CHANNELS:
            layers += [
                nn.Conv2d(previous, channels, 3, padding=1),
                nn.BatchNorm2d(channels),
                nn.ReLU(),
                nn.MaxPool2d(2),
            ]
            previous = channels
        self.features = nn.Sequential(*layers)
        self.hidden = nn.Linear(previous * 4 * 4, HIDDEN)
        self.dropout = nn.Dropout(0.3)
        self.output = nn.Linear(HIDDEN, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = self.features(x).flatten(1)
        return self.output(self.dropout(torch.relu(self.hidden(flat))))


def _augment(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A small random shift and scale per sample, on top of the rendered variety."""
    n = batch.shape[0]
    scale = 1 + (torch.rand(n, generator=generator) - 0.5) * 0.16
    shift = (torch.rand(n, 2, generator=generator) - 0.5) * 0.12
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = scale
    theta[:, 1, 1] = scale
    theta[:, :, 2] = shift
    grid = nn.functional.affine_grid(theta, list(batch.shape), align_corners=False)
    return nn.functional.grid_sample(batch, grid, align_corners=False)


def fit(
    x: NDArray[np.float32],
    y: NDArray[np.int64],
    classes: int,
    epochs: int,
    seed: int,
    log: bool = True,
) -> CellNet:
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = CellNet(classes)
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    batch_size = 128
    steps = epochs * (len(x) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=3e-3, total_steps=steps)
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        started, total, right = time.monotonic(), 0.0, 0
        for start in range(0, len(x) - batch_size + 1, batch_size):
            pick = order[start : start + batch_size]
            batch = _augment(inputs[pick], generator)
            logits = model(batch)
            loss = loss_fn(logits, targets[pick])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(pick)
            right += int((logits.argmax(1) == targets[pick]).sum())
        if log:
            print(
                f"epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f}, "
                f"train accuracy {right / len(x):.4f}, {time.monotonic() - started:.0f} s",
                flush=True,
            )
    model.eval()
    return model


def export(model: CellNet, classes: tuple[str, ...], path: Path) -> None:
    arrays: dict[str, NDArray[np.generic]] = {"classes": np.array(classes)}
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    norms = [m for m in model.features if isinstance(m, nn.BatchNorm2d)]
    for i, (conv, norm) in enumerate(zip(convs, norms, strict=True)):
        assert norm.running_var is not None and norm.running_mean is not None
        factor = norm.weight.detach() / torch.sqrt(norm.running_var + norm.eps)
        weight = conv.weight.detach() * factor[:, None, None, None]
        bias = (conv.bias.detach() - norm.running_mean) * factor + norm.bias.detach()
        arrays[f"conv{i}.weight"] = weight.numpy().astype(np.float16)
        arrays[f"conv{i}.bias"] = bias.numpy().astype(np.float16)
    for name in ("hidden", "output"):
        layer = getattr(model, name)
        arrays[f"{name}.weight"] = layer.weight.detach().numpy().astype(np.float16)
        arrays[f"{name}.bias"] = layer.bias.detach().numpy().astype(np.float16)
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]
