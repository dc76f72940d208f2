#!/bin/sh
# Installs madoguchi from this offline bundle into PREFIX (a new virtual environment), with no
# network: every wheel comes from ./wheels and must match its SHA-256 in requirements.txt.
#   ./install.sh /opt/madoguchi/0.6.0        (PYTHON=python3.12 ./install.sh ... for another one)
set -eu
if [ $# -ne 1 ]; then
    echo "usage: $0 PREFIX" >&2
    exit 2
fi
PREFIX=$1
HERE=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
PYTHON=${PYTHON:-python3}

(cd "$HERE" && sha256sum --quiet --check SHA256SUMS)
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "madoguchi needs Python 3.11 or newer; $PYTHON is $("$PYTHON" -V 2>&1)" >&2
    exit 1
fi
if [ -e "$PREFIX" ]; then
    echo "$PREFIX exists: install each version into a new directory, then switch" >&2
    exit 1
fi

"$PYTHON" -m venv "$PREFIX"
# This machine's pip settings (indexes, find-links, constraints) play no part.
PIP_CONFIG_FILE=/dev/null "$PREFIX/bin/python" -m pip install --isolated --quiet \
    --disable-pip-version-check --no-index --find-links "$HERE/wheels" \
    --require-hashes -r "$HERE/requirements.txt"
mkdir -p "$PREFIX/share/madoguchi"
cp -R "$HERE/share/." "$PREFIX/share/madoguchi/"
"$PREFIX/bin/madoguchi" --help >/dev/null
echo "madoguchi installed in $PREFIX"
echo "first start: $PREFIX/bin/madoguchi --data /var/lib/madoguchi up"
