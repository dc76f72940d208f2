"""Characters the fast jpn model confuses in faces it was not trained on: the rare variant of
a pair is what a misreading usually produces. Read by the review rules
(`handlers.ocr.plausible`) and by the worker, which asks the larger network about a line that
holds one (`second_opinion.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

# Pairs (and triples) of name characters the engine confuses in faces it was not trained on.
# The rare variant of a pair is what a misreading usually produces (IPAexMincho's 郎 came back as
# 朗 with the engine 99 % sure), so reading it is always doubtful; the common member is
# doubtful only when the engine was less than sure of it.
# 男 is also how 勇 comes back in Mincho-like faces, so a 男 read in a name is always looked at:
# on the development set (tests/ocr/dev_corpus.py) with its given names swapped for 勇, 勇気,
# 勇太, 勇人, 6 of 32 forms read 勇 as 男 (Noto Serif CJK, Sawarabi Mincho; the engine up to
# 93 % sure). (First seen on forms drawn from the report set's generator; checked here since.)
# 冨 is 富's rare variant: Noto Serif CJK's 富山 came back as 冨山 with the engine 97 % sure.
# 夢 is how the model reads 蓮 in many faces: on 7 of the 9 development forms (96) with 蓮
# (Noto Sans and Serif CJK, VL Gothic, Sawarabi Mincho; up to 97.5 % sure, the line at 84),
# and in 6 of 18 names set in IPAexGothic and IPAexMincho at 3.8-4.8 mm (90-99 % sure).
# 策, 編 and 騰 too: about 150 common name kanji set five to a line in six faces (IPAexGothic,
# IPAexMincho, Noto Sans and Serif CJK, VL Gothic, Sawarabi Mincho) at 3.8 and 4.5 mm came
# back 穂 as 策 in 4 of the 12, 颯 as 編 in 7, 勝 as 騰 in 2 (lines at 80 and 89), each of
# them a character names and addresses hardly hold.
# 寄, 図, 凶, 較 and 囚 likewise, for 嵜 and 𠮷 (names set in IPAexGothic, IPAexMincho and Noto
# Sans: 嵜本 read 寄本, 𠮷川 read 図川, by both networks alike).
ALWAYS_DOUBTFUL = frozenset("朗﨑嵜髙齋齊澤邊邉𠮷男冨夢策編騰寄図凶較囚")
DOUBTFUL_WHEN_UNSURE = frozenset("郎崎高斉斎沢辺吉勇バパビピブプベペボポばぱびぴぶぷべぺぼぽ")
# Below this symbol confidence a common member of a confusable pair is doubtful. Set on the
# tuning corpus (IPAexGothic): right readings of these characters scored 97-100 there.
CONFUSABLE_MIN_CONFIDENCE = 95.0


# Hiragana of the は row with either mark: the fast model reads a handakuten as a dakuten and
# is sure of it. 400 names with short hiragana given names (斉藤 ぱこまえ) set in IPAexGothic,
# Noto Sans and Serif CJK, VL Gothic and Sawarabi Mincho, 3.8-4.8 mm, 200 and 300 dpi: of 510
# such letters read where the line lined up, 68 came back as another of them (ぱ as ば 25
# times, ぽ as ぼ 10, ぷ as ぶ 8, ぴ as び 6, ぺ as べ 6; 13 the other way or ぱ as ぽ), the
# engine up to 99.4 % sure, and the larger network read 10 of those lines alike; 40 names
# were wrong and trusted for it. In a name only the paper can say, so each is doubtful however
# surely read. Only a text field's value counts: a katakana field's line may be read in
# hiragana (Noto Serif's ベ as べ) and is written in katakana, which is read better (4 of 566
# such letters wrong in katakana fields of the same probe, where DOUBTFUL_WHEN_UNSURE holds).
VOICED_HIRAGANA = frozenset("ばびぶべぼぱぴぷぺぽ")


def confusable(symbols: Sequence[tuple[str, float]]) -> bool:
    """A character of a confusable pair read, and either rare or read with a thin margin."""
    return any(
        char in ALWAYS_DOUBTFUL
        or (char in DOUBTFUL_WHEN_UNSURE and confidence < CONFUSABLE_MIN_CONFIDENCE)
        for char, confidence in symbols
    )


# Common members whose rare twin neither network ever reads: 髙, 﨑 (嵜) and 𠮷 come back as
# 高, 崎 and 吉, surely (the fast model has no such characters; the larger one read 96 rendered
# names of each, six faces, 3.8 and 4.5 mm, as the common twin 64, 61 and 43 times, never as the
# rare one). So in a name they are doubtful however surely read: only the paper can say.
NO_RARE_TWIN = frozenset("高崎吉")
