"""The fine-tune stage of `make train`: it starts from the shipped weights exactly, and the
extra cells it draws stay inside the training pen's ranges (the held-out pens outside them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from infra.ocr import handchars
from training import dataset, glyphs


def test_the_confusable_pen_is_inside_training_and_outside_the_held_out_pens() -> None:
    train, extra, bench = glyphs.TRAIN_PEN, dataset.CONFUSABLE_PEN, glyphs.BENCH_PEN
    assert train.width[0] <= extra.width[0] < extra.width[1] <= train.width[1]
    assert bench.thin_width is not None
    assert extra.width[0] > bench.thin_width[1] and extra.width[1] < bench.width[0]
    assert extra.slant == train.slant and extra.rotation == train.rotation
    assert set(dataset.CONFUSABLE) <= set(glyphs.CLASSES)


def test_a_fine_tune_starts_from_the_shipped_weights_exactly(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch", reason="the `train` extra is not installed")
    from training import train

    net = train.from_weights(handchars.WEIGHTS, glyphs.CLASSES).eval()
    cells = np.random.default_rng(3).random((6, handchars.SIZE, handchars.SIZE)).astype(np.float32)
    with torch.no_grad():
        ours = torch.softmax(net(torch.from_numpy(cells[:, None])), dim=1).numpy()
    assert np.abs(ours - handchars.model().probabilities(cells)).max() < 2e-3
    train.export(net, glyphs.CLASSES, tmp_path / "again.npz")
    with np.load(handchars.WEIGHTS) as shipped, np.load(tmp_path / "again.npz") as again:
        assert sorted(shipped.files) == sorted(again.files)
        for key in shipped.files:
            assert (shipped[key] == again[key]).all(), key


def test_weights_for_other_classes_are_refused(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="the `train` extra is not installed")
    from training import train

    with np.load(handchars.WEIGHTS) as shipped:
        arrays = {key: shipped[key] for key in shipped.files}
    arrays["classes"] = arrays["classes"][::-1]
    np.savez(tmp_path / "other.npz", **arrays)
    with pytest.raises(ValueError, match="other classes"):
        train.from_weights(tmp_path / "other.npz", glyphs.CLASSES)
