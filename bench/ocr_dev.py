"""Working on the review rules: fields read on the development set (or the tuning set), with
every field that came back wrong listed, flagged or not.

    .venv/bin/python -m bench.ocr_dev dev 64        # development forms (tests/ocr/dev_corpus.py)
    .venv/bin/python -m bench.ocr_dev tuning 40     # tuning forms (tests/ocr/corpus.py)
    .venv/bin/python -m bench.ocr_dev dev 192 576   # 192 development forms from the 577th on
    .venv/bin/python -m bench.ocr_dev dev 192 0 200 # the same forms, every one at 200 dpi
    .venv/bin/python -m bench.ocr_dev newfaces 96 0 BIZUDMincho,HanaMinA
        # the development layout in other Mincho faces (dev_corpus.NEW_FACES, which says
        # which of their forms rules were found on), those installed, or those whose file
        # name starts with one of the names given

Forms a rule was found on measure nothing but that rule's regression afterwards: say which
forms a figure comes from, and read forms nobody has looked at for an accuracy.

There is deliberately no `report` choice: the report set is read only by `make bench`, once,
so no rule is chosen by looking at its misreadings.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
from collections import Counter
from pathlib import Path

from bench.ocr import BENCH_LIMITS, TODAY
from handlers.ocr.pipeline import read_scan
from infra.ocr.engine import OcrEngine
from infra.ocr.pool import process_pool
from schemas.forms import FormTemplate
from tests.ocr.corpus import filled_form, load_template
from tests.ocr.dev_corpus import DEV_SEED, DEV_TEMPLATE, NEW_FACES, NEW_FACES_SEED, dev_form
from tests.ocr.metrics import FieldScore, same_value, score_fields, total_score

TUNING_SEEDS = 10_000  # the tuning forms `make bench` reads


Made = list[tuple[bytes, str, dict[str, str | int | bool]]]  # file, face, expected values


def new_faces(names: str | None) -> tuple[tuple[Path, int], ...]:
    """The new faces installed here (and named, if `names` is given), said on stderr."""
    wanted = names.split(",") if names else None
    faces = tuple(
        (path, index)
        for path, index in NEW_FACES
        if path.is_file() and (wanted is None or any(path.stem.startswith(w) for w in wanted))
    )
    if not faces:
        sys.exit("none of the new faces asked for is installed (see tests/ocr/dev_corpus.py)")
    print(f"faces: {', '.join(path.stem for path, _ in faces)}", file=sys.stderr)
    return faces


def forms(
    which: str, count: int, first: int = 0, dpi: int | None = None, names: str | None = None
) -> tuple[FormTemplate, Made]:
    if which in ("dev", "newfaces"):
        if which == "dev":
            made = [dev_form(DEV_SEED + first + n, dpi) for n in range(count)]
        else:
            faces = new_faces(names)
            made = [dev_form(NEW_FACES_SEED + first + n, None, faces) for n in range(count)]
        return DEV_TEMPLATE, [(f.data, f.face, dict(f.expected)) for f in made]
    out: Made = []
    for n in range(count):
        form = filled_form(TUNING_SEEDS + first + n)
        buffer = io.BytesIO()
        form.image.save(buffer, "PDF", resolution=300)
        out.append((buffer.getvalue(), "ipaexg", dict(form.expected)))
    return load_template(), out


async def main(
    which: str, count: int, first: int = 0, dpi: int | None = None, names: str | None = None
) -> None:
    template, made = forms(which, count, first, dpi, names)
    engine = OcrEngine(process_pool(os.cpu_count() or 1))
    try:
        results = await asyncio.gather(
            *(
                read_scan(engine, f"dev-{n}", data, template, BENCH_LIMITS, TODAY)
                for n, (data, _, _) in enumerate(made)
            )
        )
    finally:
        engine.close()
    scores: list[FieldScore] = []
    reasons: Counter[str] = Counter()
    for n, ((_, face, expected), (result, _)) in enumerate(zip(made, results, strict=True)):
        scores.append(score_fields(expected, result))
        for name, want in expected.items():
            got = result.fields[name]
            if got.needs_review:
                reasons[got.review_reason or "?"] += 1
            if not same_value(want, got.value):
                mark = "flagged" if got.needs_review else "WRONG-UNFLAGGED"
                print(
                    f"{first + n:3d} {face:<28} {name:<14} {want!r} -> {got.value!r} "
                    f"conf {got.confidence} {mark} {got.review_reason or ''}"
                )
            elif got.needs_review:
                print(
                    f"{first + n:3d} {face:<28} {name:<14} right but flagged: {got.review_reason}"
                )
    score = total_score(scores)
    print(
        f"{which}: {count} forms from {first}{f' at {dpi} dpi' if dpi else ''}, "
        f"{score.total} fields: "
        f"exact {100 * score.exact_rate:.2f} %, "
        f"wrong and not flagged {100 * score.wrong_unflagged_rate:.2f} %, "
        f"flagged {100 * score.flagged_rate:.2f} %  reasons {dict(reasons)}"
    )


if __name__ == "__main__":
    which = sys.argv[1]
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    names = sys.argv[4] if which == "newfaces" and len(sys.argv) > 4 else None
    dpi = int(sys.argv[4]) if which != "newfaces" and len(sys.argv) > 4 else None
    if dpi is not None and which != "dev":
        sys.exit("a resolution is given for development forms only (tuning forms are 300 dpi)")
    asyncio.run(main(which, int(sys.argv[2]), first, dpi, names))
