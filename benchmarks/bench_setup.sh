#!/usr/bin/env bash
# Set-up time as a newcomer meets it: clone this repo into a temp folder and time, separately,
#   install       venv + pip install (what `make run` and `make test` do first)
#   import        the first import of the engine (cold: Python compiles every module)
#   model         model load / ONNX export (once per weights fingerprint, then reused)
#   first_index   the first `sitrep index update` of the bundled corpus
#   first_answer  the first `sitrep ask` (loads the exported model)
#   make_run      `make run` on the installed clone (index already current + answer)
#   make_test     `make test` (the whole suite, slow tests included)
#   test_fast     `pytest -m "not slow"`
# Writes var/bench/setup.json in this repo; each step's output is in the temp folder's logs.
#
#   benchmarks/bench_setup.sh [--keep]
set -euo pipefail
# As the Makefile does (`unexport`): the install leaves bytecode to be written on first import, so the
# steps run outside make write it too, even where the environment sets PYTHONDONTWRITEBYTECODE.
unset PYTHONDONTWRITEBYTECODE
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
keep=${1:-}
trap '[ "$keep" = "--keep" ] || rm -rf "$work"' EXIT
git clone -q "$repo" "$work/sitrep"
cd "$work/sitrep"
declare -A took
step() {
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  if ! "$@" >"$work/$name.log" 2>&1; then
    echo "bench_setup: step $name failed; see $work/$name.log" >&2
    keep=--keep
    exit 1
  fi
  end=$(date +%s.%N)
  took[$name]=$(python3 -c "print(round($end - $start, 1))")
  printf '%-13s %7s s\n' "$name" "${took[$name]}"
}
step install make .venv/.installed-stamp
step import .venv/bin/python -c "import sitrep.cli.main, sitrep.index.build, sitrep.answer.engine"
step model .venv/bin/python -c "from pathlib import Path; from sitrep.index.embedding import query_encoder; print(type(query_encoder(None, Path('var/models'))).__name__)"
step first_index .venv/bin/sitrep index update
step first_answer .venv/bin/sitrep ask "What did China propose to India?"
step make_run make run
step test_fast .venv/bin/python -m pytest -q -m "not slow"
step make_test make test
mkdir -p "$repo/var/bench"
{
  printf '{"machine_cores": %s, "commit": "%s"' "$(nproc)" "$(git rev-parse --short HEAD)"
  for k in install import model first_index first_answer make_run test_fast make_test; do
    printf ', "%s_s": %s' "$k" "${took[$k]}"
  done
  printf '}\n'
} >"$repo/var/bench/setup.json"
cat "$repo/var/bench/setup.json"
