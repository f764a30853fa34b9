# The two commands an author needs: `make book` and `make test`.
# Command targets are phony; they depend on real files, so a second
# `make book` with nothing changed does nothing.

PYTHON   ?= python3
VENV     ?= .venv
BOOK_DIR ?= .
DIST     ?= $(BOOK_DIR)/dist
# Where the preview targets write their pictures: a folder the author names (make preview
# OUT=somewhere); never the tool's own files. `make readme-pictures` alone writes docs/images.
OUT      ?= $(DIST)/preview
PY       := $(VENV)/bin/python

# The output file stem, read from book.toml with the standard library only.
SLUG     := $(shell $(PYTHON) -m builder.config --slug $(BOOK_DIR))
# The PDF is <slug>-print.pdf where book.toml asks for the printer's job ([print] print_job = true).
PRINT_JOB := $(shell $(PYTHON) -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb")).get("print", {}).get("print_job") is True)' $(BOOK_DIR)/book/book.toml 2>/dev/null)
EPUB     := $(DIST)/$(SLUG).epub
PDF      := $(DIST)/$(SLUG)$(if $(filter True,$(PRINT_JOB)),-print).pdf
SOURCES  := $(shell find $(BOOK_DIR)/book $(BOOK_DIR)/chapters $(BOOK_DIR)/styles builder \
              -type f -not -path '*/__pycache__/*' 2>/dev/null)

RUNTIME_STAMP := $(VENV)/.runtime-installed
TEST_STAMP    := $(VENV)/.test-installed
# Exact versions with their hashes (scripts/lock.sh writes them from pyproject.toml's ranges).
RUNTIME_LOCK  := requirements/runtime.lock
TEST_LOCK     := requirements/test.lock
PIP           := $(PY) -m pip -q --disable-pip-version-check

.PHONY: book epub pdf test lint preview preview-manuscript reader-preview readme-pictures fuzz bench check \
        clean distclean

book: $(EPUB) $(PDF)
epub: $(EPUB)
pdf: $(PDF)

# One run makes both editions: the EPUB's page-list comes from the PDF's
# layout, and the book is laid out once (a grouped target, GNU make 4.3+).
# (`build --epub` alone never lays out: its page-list only from a cached page map.)
$(EPUB) $(PDF) &: $(RUNTIME_STAMP) $(SOURCES)
	$(PY) -m builder build --out $(DIST) $(BOOK_DIR)

# The dependencies come from the lock, each file checked against its hash; the
# project itself is installed on top without dependencies. pip check fails when
# the lock no longer satisfies pyproject.toml (edited without `bash scripts/lock.sh`).
$(RUNTIME_STAMP): pyproject.toml $(RUNTIME_LOCK) scripts/setup-system.sh
	bash scripts/setup-system.sh build
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --require-hashes -r $(RUNTIME_LOCK)
	$(PIP) install --no-deps -e .
	$(PY) -m pip check
	touch $@

$(TEST_STAMP): $(RUNTIME_STAMP) $(TEST_LOCK) scripts/setup-ace.sh
	bash scripts/setup-system.sh test
	bash scripts/setup-ace.sh
	$(PIP) install --require-hashes -r $(TEST_LOCK)
	$(PIP) install --no-deps -e .
	$(PY) -m pip check
	touch $@

# The newest versions pyproject.toml's ranges allow: rewrite both locks, reinstall, run the tests.
.PHONY: upgrade
upgrade:
	PYTHON=$(PYTHON) bash scripts/lock.sh --upgrade
	rm -f $(RUNTIME_STAMP) $(TEST_STAMP)
	$(MAKE) test

test: $(TEST_STAMP)
	$(PY) -m ruff check builder tests
	$(PY) -m mypy
	$(PY) -m pytest

# Every manuscript problem at once, as file:line:col: level: message.
check: $(RUNTIME_STAMP)
	$(PY) -m builder check $(BOOK_DIR)

# A long property-based run over random manuscripts (make test runs a short, seeded one).
fuzz: $(TEST_STAMP)
	FUZZ_RANDOM=1 FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-1000} $(PY) -m pytest -q tests/test_fuzz.py

# Speed and memory side by side with Pandoc and bare WeasyPrint (not part of make test).
bench: $(TEST_STAMP)
	bash bench/run.sh

# The real-book corpus: whole public books (scripts/corpus-sources.txt) from $(CORPUS_DIR),
# imported, built, checked and measured against their source (scripts/corpus.py; not part
# of make test). Without CORPUS_DIR it says it skipped them and succeeds.
.PHONY: corpus
corpus: $(TEST_STAMP)
	CORPUS_DIR="$(CORPUS_DIR)" $(PY) scripts/corpus.py

# A technical manuscript (tests/fixtures/tech-book) in both editions, pictured into $(OUT).
preview-manuscript: $(TEST_STAMP)
	mkdir -p $(OUT)
	$(PY) scripts/preview_manuscript.py $(OUT)

# Screenshots of the EPUB in a reading system (epub.js in headless Chromium, its npm
# packages installed into .tools/reader), into $(OUT).
reader-preview: $(EPUB)
	mkdir -p $(OUT)
	bash scripts/reader/screenshots.sh $(EPUB) $(OUT)

lint: $(TEST_STAMP)
	$(PY) -m ruff check builder tests
	$(PY) -m mypy

# PNG pictures of the PDF (title page, contents, a chapter opening, a spread), into $(OUT).
preview: $(TEST_STAMP) $(PDF)
	mkdir -p $(OUT)
	$(PY) scripts/preview.py $(PDF) $(OUT)

# For the maintainers: the README's own pictures (docs/images), from this repository's book.
readme-pictures:
	$(MAKE) preview reader-preview preview-manuscript BOOK_DIR=. OUT=docs/images

clean:
	rm -rf $(DIST) .pytest_cache .mypy_cache .ruff_cache

distclean: clean
	rm -rf $(VENV) *.egg-info
