"""Indexer speed on a fixed subset of the dev corpus (../shared/eval/realtimeqa).

Measures, with the real model on this machine:
  1. full build throughput vs the encoder's raw passages/s on the very same passage texts;
  2. `update` after adding 10 articles, as a share of the full build's wall time;
  3. loading the built index (ready to search, model excluded) and the peak RSS of doing so.
The dev data is read from ../shared and copied only to a temporary folder, never into the repo.

    python benchmarks/bench_index.py [--articles 400] [--dataset ../shared/eval/realtimeqa]
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitrep.index.backends.local import store  # noqa: E402
from sitrep.index.build import update  # noqa: E402
from sitrep.index.chunking import ChunkSettings, index_text  # noqa: E402
from sitrep.index.embedding import OnnxEncoder, SentenceTransformerEncoder, packaged_model_path, query_encoder  # noqa: E402

LOAD_PROBE = r"""
import re, sys, time
t0 = time.perf_counter()
from sitrep.index.backends.local import store
t1 = time.perf_counter()
data = store.load(__import__("pathlib").Path(sys.argv[1]))
t2 = time.perf_counter()
# VmHWM, not ru_maxrss: ru_maxrss survives fork+exec and would report the parent's peak (the model's).
hwm = int(re.search(r"VmHWM:\s+(\d+) kB", open("/proc/self/status").read()).group(1))
print(t1 - t0, t2 - t1, data.passage_count, hwm / 1024)
"""


def load_probe(index: Path) -> dict[str, float]:
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", LOAD_PROBE, str(index)], capture_output=True, text=True, check=True, cwd=ROOT)
        imp, load, passages, rss = (float(x) for x in out.stdout.split())
        runs.append((load, imp, passages, rss))
    load, imp, passages, rss = min(runs)
    return {"passages": int(passages), "load_s": round(load, 3), "imports_s": round(imp, 3), "peak_rss_mb": round(rss, 1)}


def useful_gflop(texts: list[str], onnx_path: Path, model_dir: Path) -> tuple[float, float]:
    """The arithmetic the model must do for these texts, padding excluded: 2 FLOPs per weight of
    every linear layer per token, plus the attention products (2 x 2 x seq^2 x hidden a layer).
    Weight sizes are read from the exported graph, so nothing here is a guessed constant.
    Returns the GFLOP and the mean tokens a text."""
    import onnx
    from onnx import numpy_helper

    from sitrep.index.embedding import load_tokenizer

    graph = onnx.load(str(onnx_path)).graph
    weights = {i.name: numpy_helper.to_array(i).shape for i in graph.initializer}
    matmuls = [n for n in graph.node if n.op_type == "MatMul"]
    linear = sum(int(np.prod(weights[n.input[1]])) for n in matmuls if n.input[1] in weights)
    layers = sum(1 for n in matmuls if n.input[1] not in weights) // 2  # QK^T and AV, one pair a layer
    hidden = next(weights[n.input[1]][0] for n in matmuls if n.input[1] in weights)
    tok = load_tokenizer(model_dir)
    tok.enable_truncation(256)
    seqs = np.array([len(e.ids) for e in tok.encode_batch(texts)], dtype=np.float64)
    return float((2 * linear * seqs + layers * 4 * hidden * seqs**2).sum()) / 1e9, float(seqs.mean())


def sgemm_rate(m: int, k: int, n: int, repeat: int = 5) -> float:
    """GFLOP/s of one float32 (m x k) @ (k x n) product with numpy's BLAS on every core, best of
    `repeat` (each timing long enough to measure). 2048^3 is the practical ceiling of any float32
    encoder here; the encoder's own shape says what its largest products can reach."""
    rng = np.random.default_rng(0)
    a, b = rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32)
    a @ b
    inner = max(1, int(2e9 // (2 * m * k * n)))

    def run() -> None:
        for _ in range(inner):
            a @ b

    best = min(_timed(run) for _ in range(repeat))
    return 2 * m * k * n * inner / best / 1e9


def _timed(f) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def compare_encoders(sample: list[str], rounds: int = 2) -> dict[str, dict[str, float]]:
    """The same passages through each way of running the model. torch at batch 32 was the indexer's
    default before the ONNX export indexed (issue 11's baseline); the last one is today's default.
    The encoders run in turn, then again in reverse order, best time kept: a slow spell on a
    shared machine then hits every encoder rather than one."""
    fp32 = query_encoder(None, ROOT / "var" / "models", batch_size=4)
    threads = query_encoder(None, ROOT / "var" / "models", batch_size=4)
    fused = query_encoder(None, ROOT / "var" / "models", batch_size=4, question_int8=False)  # questions' float graph
    threads.workers = 1  # type: ignore[attr-defined]  # one call at a time, intra-op threads = cores
    runs = (("torch_b32 (old default)", SentenceTransformerEncoder(batch_size=32)),
            ("torch_b4", SentenceTransformerEncoder(batch_size=4)),
            ("onnx_fp32_b4_intra_op_threads", threads),
            ("onnx_int8_b4_parallel", query_encoder(None, ROOT / "var" / "models", batch_size=4, int8=True)),
            # the graph questions run on (fuse_onnx), in bulk too: the default keeps the plain one for bulk
            ("onnx_fp32_b4_parallel_fused_graph", OnnxEncoder(fused.onnx_path, packaged_model_path(), fp32.fingerprint,  # type: ignore[attr-defined]
                                                              batch_size=4, plain_path=fused.onnx_path)),  # type: ignore[attr-defined]
            ("onnx_fp32_b4_parallel (default)", fp32))
    best: dict[str, float] = {}
    vectors: dict[str, np.ndarray] = {}
    for r in range(rounds):
        for name, enc in runs if r % 2 == 0 else runs[::-1]:
            enc.encode(["warm up"] * 8)
            t = time.perf_counter()
            vectors[name] = enc.encode(sample)
            s = time.perf_counter() - t
            best[name] = min(s, best.get(name, s))
            print(f"round {r + 1}: {name} {len(sample) / s:.1f} passages/s", flush=True)
    gflop, mean_tokens = useful_gflop(sample, fp32.plain_path, packaged_model_path())  # type: ignore[attr-defined]
    peak = sgemm_rate(2048, 2048, 2048)
    tokens = int(round(mean_tokens))
    ffn = sgemm_rate(4 * tokens, 384, 1536)  # a batch of 4 passages through MiniLM's feed-forward layer (384 -> 1536)
    ref = vectors["torch_b32 (old default)"]
    base = len(sample) / best["torch_b32 (old default)"]
    rates: dict[str, dict[str, float]] = {}
    for name, s in best.items():
        rates[name] = {
            "passages": len(sample), "seconds": round(s, 2), "passages_per_s": round(len(sample) / s, 1),
            "min_cosine_vs_torch": round(float(np.min(np.sum(vectors[name] * ref, axis=1))), 6),
            "speed_vs_old_default": round(len(sample) / s / base, 2),
            "gflop_per_s": round(gflop / s, 1),  # int8 does the same count in integer arithmetic
            "share_of_sgemm_peak": round(gflop / s / peak, 3),
        }
    rates["machine"] = {"sgemm_2048_gflop_per_s": round(peak, 1), f"sgemm_{4 * tokens}x384x1536_gflop_per_s": round(ffn, 1), "useful_gflop_per_passage": round(gflop / len(sample), 3),
                        "mean_tokens_per_passage": round(mean_tokens, 1),
                        # the passages/s a float32 encoder would reach at the machine's sgemm peak, and
                        # what that is against the old default: the most any float32 encoder can gain here
                        "passages_per_s_at_peak": round(peak / (gflop / len(sample)), 1),
                        "ceiling_vs_old_default": round(peak / (gflop / len(sample)) / base, 2)}
    return rates


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "eval" / "realtimeqa")
    ap.add_argument("--articles", type=int, default=400)
    ap.add_argument("--compare", type=int, default=1000, help="passages embedded by each way of running the model")
    ap.add_argument("--encoders-only", action="store_true", help="only the encoder comparison (on the dev index's passages)")
    ap.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "index.json")
    args = ap.parse_args()

    with gzip.open(args.dataset / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        records = sorted((json.loads(line) for line in fh), key=lambda r: r["id"])
    base, extra = records[: args.articles], records[args.articles : args.articles + 10]

    if args.encoders_only:
        data = store.load(ROOT / "var" / "eval" / "realtimeqa" / "index")
        picks = np.random.default_rng(0).choice(data.passage_count, args.compare, replace=False)
        texts = [index_text(data.articles.title[int(data.passage_article[i])], data.passage_text(int(i)), ChunkSettings())
                 for i in picks]
        out = compare_encoders(texts)
        args.out.with_name("encoders.json").write_text(json.dumps(out, indent=2))
        print(json.dumps(out, indent=2))
        return
    encoder = query_encoder(None, ROOT / "var" / "models", batch_size=4)  # what `sitrep index` uses: the ONNX export
    encoder.encode(["warm up the model once, outside every timing"])
    results: dict[str, object] = {"articles": args.articles, "model": encoder.name, "encoder": type(encoder).__name__}

    with tempfile.TemporaryDirectory() as tmp:
        corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
        corpus.mkdir()
        (corpus / "base.jsonl").write_text("".join(json.dumps(r) + "\n" for r in base))

        t = time.perf_counter()
        report = update(corpus, index, encoder, full=True)
        build_s = time.perf_counter() - t

        data = store.load(index)
        texts = [index_text(data.articles.title[int(data.passage_article[i])], data.passage_text(i), ChunkSettings())
                 for i in range(data.passage_count)]
        t = time.perf_counter()
        encoder.encode(texts)
        raw_s = time.perf_counter() - t

        if args.compare:  # the same passages through each encoder, one at a time
            results["encoders"] = compare_encoders(texts[: args.compare])

        (corpus / "extra.jsonl").write_text("".join(json.dumps(r) + "\n" for r in extra))
        t = time.perf_counter()
        upd = update(corpus, index, encoder)
        update_s = time.perf_counter() - t

        results.update(
            passages=report.passages,
            build_s=round(build_s, 2),
            build_passages_per_s=round(report.passages / build_s, 1),
            raw_encoder_s=round(raw_s, 2),
            raw_passages_per_s=round(len(texts) / raw_s, 1),
            build_vs_raw=round(raw_s / build_s, 3),
            update_10_articles_s=round(update_s, 2),
            update_passages_embedded=upd.passages_embedded,
            update_vs_build=round(update_s / build_s, 4),
            load=load_probe(index),
        )
    dev_index = ROOT / "var" / "eval" / "realtimeqa" / "index"
    if dev_index.exists():
        results["load_full_dev_index"] = load_probe(dev_index)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    print(
        f"\nbuild throughput {results['build_vs_raw']:.1%} of raw encoder (target >= 90%); "
        f"update +10 articles {results['update_vs_build']:.1%} of full build (target <= 5%); "
        f"load {results['load']['load_s']} s (target <= 1 s)"  # type: ignore[index]
    )


if __name__ == "__main__":
    main()
