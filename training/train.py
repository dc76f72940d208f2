"""Train the cell classifier with PyTorch (CPU) and export it for `infra.ocr.handchars`.

Batch norm is folded into the convolutions at export, so the run-time model is three
convolutions with ReLU and pooling, and two dense layers: weights stored as float16.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

CHANNELS = (24, 48, 96)
HIDDEN = 256


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
        logits: torch.Tensor = self.output(self.dropout(torch.relu(self.hidden(flat))))
        return logits


def _elastic(batch: torch.Tensor, generator: torch.Generator, amount: float) -> torch.Tensor:
    """A smooth local warp (a 4x4 random displacement field, upsampled): how one writer's
    strokes bend differently from another's, at a finer scale than the pen's whole-glyph warp.
    `amount`: the largest displacement, as a fraction of the frame."""
    n = batch.shape[0]
    coarse = (torch.rand(n, 2, 4, 4, generator=generator) - 0.5) * 2 * amount
    strength = torch.rand(n, 1, 1, 1, generator=generator)
    field = nn.functional.interpolate(coarse * strength, size=batch.shape[-2:], mode="bicubic")
    return field.permute(0, 2, 3, 1)


def _augment(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Per sample, on top of the rendered variety: a small shift and scale, a fine elastic
    warp, pen pressure (lighter or uneven ink), a slight blur and noise. No rotation, slant
    or stroke width here: those are the pen's (`training.glyphs.TRAIN_PEN`), whose ranges
    the held-out pens lie outside."""
    n = batch.shape[0]
    scale = 1 + (torch.rand(n, generator=generator) - 0.5) * 0.16
    shift = (torch.rand(n, 2, generator=generator) - 0.5) * 0.12
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = scale
    theta[:, 1, 1] = scale
    theta[:, :, 2] = shift
    grid = nn.functional.affine_grid(theta, list(batch.shape), align_corners=False)
    grid = grid + _elastic(batch, generator, 0.1)
    warped = nn.functional.grid_sample(batch, grid, align_corners=False)
    # Pen pressure: the whole character lighter, and smoothly uneven along its strokes.
    pressure = 0.75 + 0.25 * torch.rand(n, 1, 1, 1, generator=generator)
    uneven = nn.functional.interpolate(
        torch.rand(n, 1, 3, 3, generator=generator), size=batch.shape[-2:], mode="bilinear"
    )
    warped = warped * pressure * (1 - 0.3 * uneven * torch.rand(n, 1, 1, 1, generator=generator))
    # A slight blur in half of the samples (a scan at a lower resolution than the cell's).
    blur = torch.rand(n, generator=generator) < 0.5
    if blur.any():
        kernel = torch.tensor([0.25, 0.5, 0.25])
        kernel2d = (kernel[:, None] * kernel[None, :]).view(1, 1, 3, 3)
        warped[blur] = nn.functional.conv2d(warped[blur], kernel2d, padding=1)
    noise = torch.randn(batch.shape, generator=generator) * 0.04
    noisy = torch.where(warped > 0.05, warped + noise, warped)
    return noisy.clamp(0.0, 1.0)


def from_weights(path: Path, classes: tuple[str, ...]) -> CellNet:
    """A CellNet holding exported weights: the start of a fine-tune. The export folded batch
    norm into the convolutions, so each norm here starts as the identity (scale 1, shift 0,
    running mean 0, running variance 1 - eps) and `fit` keeps its statistics frozen."""
    model = CellNet(len(classes))
    with np.load(path, allow_pickle=False) as data:
        if tuple(str(c) for c in data["classes"]) != classes:
            raise ValueError(f"{path} was trained on other classes")
        arrays = {
            key: torch.from_numpy(data[key].astype(np.float32))
            for key in data.files
            if key != "classes"
        }
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    norms = [m for m in model.features if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for i, (conv, norm) in enumerate(zip(convs, norms, strict=True)):
            assert conv.bias is not None
            assert norm.running_var is not None and norm.running_mean is not None
            conv.weight.copy_(arrays[f"conv{i}.weight"])
            conv.bias.copy_(arrays[f"conv{i}.bias"])
            norm.weight.fill_(1.0)
            norm.bias.zero_()
            norm.running_mean.zero_()
            norm.running_var.fill_(1.0 - norm.eps)
        for name in ("hidden", "output"):
            layer = getattr(model, name)
            layer.weight.copy_(arrays[f"{name}.weight"])
            layer.bias.copy_(arrays[f"{name}.bias"])
    return model


def _train_mode(model: CellNet, frozen_norms: bool) -> None:
    """Training mode; a fine-tune keeps batch norm's statistics as loaded (batch statistics
    would undo the folded normalisation the convolutions already carry)."""
    model.train()
    if frozen_norms:
        for module in model.features:
            if isinstance(module, nn.BatchNorm2d):
                module.eval()


def fit(
    x: NDArray[np.float32],
    y: NDArray[np.int64],
    classes: int,
    epochs: int,
    seed: int,
    log: bool = True,
    start: CellNet | None = None,
    max_lr: float = 3e-3,
    after_epoch: Callable[[int, CellNet], None] | None = None,
) -> CellNet:
    """Train from scratch, or fine-tune `start` (see `from_weights`) with a lower `max_lr`."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = start if start is not None else CellNet(classes)
    optimiser = torch.optim.AdamW(model.parameters(), lr=max_lr, weight_decay=1e-4)
    batch_size = 128
    steps = epochs * (len(x) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=max_lr, total_steps=steps, pct_start=0.3 if start is None else 0.15
    )
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    for epoch in range(epochs):
        _train_mode(model, frozen_norms=start is not None)
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
        if after_epoch is not None:
            model.eval()
            after_epoch(epoch + 1, model)
    model.eval()
    return model


def export(model: CellNet, classes: tuple[str, ...], path: Path) -> None:
    arrays: dict[str, NDArray[np.generic]] = {"classes": np.array(classes)}
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    norms = [m for m in model.features if isinstance(m, nn.BatchNorm2d)]
    for i, (conv, norm) in enumerate(zip(convs, norms, strict=True)):
        assert norm.running_var is not None and norm.running_mean is not None
        assert conv.bias is not None
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
