# The README's commands. `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# This machine keeps the CPU build of torch 2.13.0 in /opt/wheels; use it when present.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
QUESTION ?= What did China propose to India?
DATASET  ?= ../shared/eval/realtimeqa

.PHONY: run test test-fast bench lint docs clean

# Bytecode is written as modules are first imported, not compiled for every installed file up front:
# pip's --no-compile install takes 38 s here against 92 s compiling all 1.9 GB of site-packages (torch's
# thousands of modules included), and the few hundred modules sitrep imports compile in ~8 s on first use.
# So the recipes below write it even where PYTHONDONTWRITEBYTECODE is set (this machine sets it; without
# the .pyc files, every later command would compile its imports again: `sitrep ask` 1.4 -> 2.5 s).
unexport PYTHONDONTWRITEBYTECODE

# Install only when pyproject.toml changed since the last install: a re-run takes seconds.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --no-compile $(FIND_LINKS) -e ".[dev,milvus]"
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/sitrep index update
	$(VENV)/bin/sitrep ask "$(QUESTION)"

test: $(STAMP)
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

# The search and bot benchmarks need the dev index; `sitrep eval` builds (or updates) it and
# scores it, so the quality table comes from the same run. The Milvus eval reuses its vectors
# (embedding cache) and builds the milvus-lite dev index that bench_backends compares.
BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --no-compile $(FIND_LINKS) -e ".[dev,milvus,bench]"
	@touch $(BENCH_STAMP)

bench: $(STAMP) $(BENCH_STAMP)
	$(PY) benchmarks/bench_index.py --compare 0
	@mkdir -p var/bench
	$(VENV)/bin/sitrep eval --dataset $(DATASET) | tee var/bench/eval.txt
	$(VENV)/bin/sitrep eval --dataset $(DATASET) --backend milvus | tee var/bench/eval-milvus.txt
	$(PY) benchmarks/bench_index.py --encoders-only
	$(PY) benchmarks/tune_reader.py --sentence-vectors
	$(PY) benchmarks/bench_reader.py
	$(PY) benchmarks/bench_conversation.py
	$(PY) benchmarks/tune_conversation.py
	$(PY) benchmarks/bench_brief.py --fit
	$(PY) benchmarks/bench_waits.py
	$(PY) benchmarks/bench_typos.py
	$(PY) benchmarks/bench_compound.py
	$(PY) benchmarks/bench_archive.py
	$(PY) benchmarks/bench_said_days.py
	$(PY) benchmarks/bench_speakers.py
	$(PY) benchmarks/bench_search.py
	$(PY) benchmarks/bench_peers.py
	$(PY) benchmarks/bench_backends.py
	$(PY) benchmarks/bench_bot.py
	$(PY) benchmarks/bench_feeds.py
	$(PY) benchmarks/bench_faults.py
	$(PY) benchmarks/bench_load.py
	benchmarks/bench_setup.sh

# The user's guide (docs/) as a site in var/site; --strict turns every warning (a broken link or
# anchor, a page left out of the nav) into a failure. CI runs it after the tests.
docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict --quiet

lint: $(STAMP)
	$(VENV)/bin/ruff check sitrep tests benchmarks
	$(VENV)/bin/mypy sitrep

clean:
	rm -rf var
