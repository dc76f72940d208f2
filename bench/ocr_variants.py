"""Names written with rare variants (異体字) the engine's models cannot read: 髙, 﨑, 嵜, 𠮷, and
齊, 邉, which only the larger model reads. Each is wrong if read as its common twin, so the
question is only whether a wrong one is ever trusted.

    .venv/bin/python -m bench.ocr_variants

Not one of the three corpora: these names were used to set the second opinion's agreement
threshold (`infra/ocr/second_opinion.AGREED_MIN_CONFIDENCE`) and to choose the characters
that are always doubtful, so the figure is a regression guard, not an accuracy.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import date
from pathlib import Path

from tests.ocr.corpus import MINCHO, font_path
from tests.ocr.one_read import names_page, read_rendered

TODAY = date(2026, 11, 1)
NAMES = [
    "髙橋 健", "髙野 誠", "髙木 修", "髙山 明", "齊藤 学", "齊木 勝", "渡邉 正",
    "田邉 実", "髙田 恵", "髙橋 由美", "齊藤 由紀", "渡邉 陽子", "髙村 薫",
    "𠮷川 明", "𠮷田 浩", "山﨑 太郎", "嵜本 誠", "柳﨑 花子", "髙橋 一郎",
]  # fmt: skip
# Not Sawarabi Mincho: it has none of these glyphs (田邉 prints as 田 and a blank, 柳﨑 as 柳
# and an empty box), so what its page says is not the name.
FACES = {
    "IPAexGothic": font_path(),
    "IPAexMincho": MINCHO,
    "Noto Sans CJK": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    "Noto Serif CJK": Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    "VL Gothic": Path("/usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf"),
}
PER_PAGE = 10


async def main() -> None:
    right = flagged = trusted_wrong = 0
    for face_name, face in FACES.items():
        if not face.is_file():
            print(f"{face_name}: not installed (make devfonts), skipped")
            continue
        for start in range(0, len(NAMES), PER_PAGE):
            chunk = NAMES[start : start + PER_PAGE]
            written = {f"f{i}": name for i, name in enumerate(chunk)}
            with tempfile.TemporaryDirectory() as folder:
                result = await read_rendered(
                    names_page(len(chunk), "variants"), written, face, Path(folder), TODAY
                )
            for key, name in written.items():
                got = result.fields[key]
                if got.value == name:
                    right += 1
                elif got.needs_review:
                    flagged += 1
                else:
                    trusted_wrong += 1
                mark = "WRONG AND TRUSTED" if got.value != name and not got.needs_review else ""
                print(
                    f"{face_name:15} {name:8} -> {got.value!s:10} {got.confidence:5.1f} "
                    f"{got.review_reason or '':14} {mark}"
                )
    total = right + flagged + trusted_wrong
    print(
        f"variants: {total} names, read right {right}, wrong and flagged {flagged}, "
        f"wrong and trusted {trusted_wrong}"
    )


if __name__ == "__main__":
    asyncio.run(main())
