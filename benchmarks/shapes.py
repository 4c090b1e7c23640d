"""Corpus shapes the dev set does not have, derived from it (issue 20), written under var/eval/shapes/
(never committed: they hold the dataset's text):

- dev: the dev set as it is (../shared/eval/realtimeqa);
- snippets: each article cut to one passage of its first ~60 words, title and date removed (the shape
  of a web-snippet collection: one short passage per "article", nothing to weigh by date or title);
- undated: every article's date removed (the text is the dev set's: its vectors come from the cache).

The questions, gold articles and question dates are the dev set's. Each shape is indexed by
`sitrep eval --dataset <folder>` into var/eval/<folder name>/ like any dataset.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "eval" / "realtimeqa"
SHAPES = ("dev", "snippets", "undated")
SNIPPET_WORDS = 60


def folder(shape: str, dev: Path = DEV) -> Path:
    """The dataset folder of a shape (derived on first use)."""
    if shape == "dev":
        return dev
    out = ROOT / "var" / "eval" / "shapes" / f"realtimeqa-{shape}"
    if (out / "corpus.jsonl").is_file():
        return out
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "corpus.jsonl.part"
    with gzip.open(dev / "corpus.jsonl.gz", "rt", encoding="utf-8") as src, tmp.open("w", encoding="utf-8") as dst:
        for line in src:
            article = json.loads(line)
            article["published_at"] = None
            if shape == "snippets":
                words = re.findall(r"\S+", article["body"])
                article["body"] = " ".join(words[:SNIPPET_WORDS])
                article["title"] = None
            dst.write(json.dumps(article, ensure_ascii=False) + "\n")
    tmp.rename(out / "corpus.jsonl")
    for name in ("queries.jsonl", "queries_null.jsonl"):
        link = out / name
        if not link.exists():
            link.symlink_to((dev / name).resolve())
    return out
