"""A process that serves questions runs numpy's BLAS on one thread, and only then lets the question
encoder's threads spin (sitrep/app/threads.py)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from tests.conftest import ROOT

# In a process of its own: the limit is for good, and the test process keeps its own.
PROBE = """
import numpy
from sitrep.app.threads import blas_threads, quiet_blas
before = blas_threads()
print(before, quiet_blas(), blas_threads())
"""


def test_quiet_blas_puts_every_blas_library_on_one_thread() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={"OPENBLAS_NUM_THREADS": "2", "PATH": ""}).stdout.split("] ")
    before, (quiet, after) = out[0] + "]", out[1].split(" ", 1)
    assert before != "[]"  # numpy's OpenBLAS is seen (on up to two threads, as started: fewer on one core)
    assert quiet == "True" and after.strip() == "[1]"


def test_quiet_blas_says_so_when_another_thread_holds_the_limit() -> None:
    """threadpoolctl lets one thread at a time set OpenBLAS's limit: a process whose limit another thread
    holds keeps its threads, and the encoder must then not spin."""
    probe = """
import threading
import numpy
from threadpoolctl import threadpool_limits
from sitrep.app.threads import blas_threads, quiet_blas
held, done = threading.Event(), threading.Event()
def hold():
    with threadpool_limits(limits=2, user_api="blas"):
        held.set(); done.wait(10)
t = threading.Thread(target=hold); t.start(); held.wait(10)
print(quiet_blas(), blas_threads())
done.set(); t.join()
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={"OPENBLAS_NUM_THREADS": "2", "PATH": ""}).stdout.strip()
    assert out == "False [2]"


@pytest.mark.slow
def test_the_spinning_encoder_gives_the_same_vectors(real_encoder: Any) -> None:
    from sitrep.index.embedding import query_encoder

    spinning = query_encoder(None, ROOT / "var" / "models", spin=True)
    options = {e: s._session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning")
               for e, s in (("still", real_encoder), ("spinning", spinning))}
    assert options == {"still": "0", "spinning": "1"}
    questions = ["What did China propose to India?", "What is BECA?", "Who won the Stanley Cup this week?"]
    assert np.array_equal(spinning.encode_queries(questions), real_encoder.encode_queries(questions))


@pytest.mark.slow
def test_the_app_encoder_spins_only_with_blas_on_one_thread(tmp_path: Any) -> None:
    from sitrep.app.compose import default_encoder
    from sitrep.app.settings import Settings
    from sitrep.app.threads import blas_threads

    encoder = default_encoder(Settings(model_cache_dir=str(ROOT / "var" / "models")))
    assert encoder.spin is True  # type: ignore[attr-defined]
    assert set(blas_threads()) == {1}
