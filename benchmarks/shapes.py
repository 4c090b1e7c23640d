"""Corpus shapes the dev set does not have, derived from it (issue 20), written under var/eval/shapes/
(never committed: they hold the dataset's text):

- dev: the dev set as it is (../shared/eval/realtimeqa);
- snippets: each article cut to one passage of its first ~60 words, title and date removed (the shape
  of a web-snippet collection: one short passage per "article", nothing to weigh by date or title);
- undated: every article's date removed (the text is the dev set's: its vectors come from the cache);
- bare: the snippets without their URLs as well — text alone, as the held-out set of issue 20 has it (the
  snippets keep a title made from the URL's slug; here a title can only come from the text's first
  sentence);
- syndicated: the snippets, and for every other article (by a hash of its id) a second outlet's copy of
  the same story — the snippet of the same text from five words on, as a search engine cuts another
  outlet's page — which is gold wherever its original is (questions with 1-4 relevant snippets, as a
  wire story carried by several outlets gives them). Copies are near-duplicates of their original
  (cosine 0.9-1.0): what they test is that a copy sitrep folds into a hit ("also in") is still found;
- mixed: the dev set with one article in five (by a hash of its id) undated, the rest dated as they are — a
  corpus of feeds beside files dropped in without a date (the bundled corpus has one such article of five).

The questions, gold articles and question dates are the dev set's. Each shape is indexed by
`sitrep eval --dataset <folder>` into var/eval/<folder name>/ like any dataset.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "eval" / "realtimeqa"
SHAPES = ("dev", "snippets", "undated", "syndicated", "bare", "mixed")
SNIPPET_WORDS = 60
COPY_SHIFT = 5  # a syndicated copy's snippet starts this many words later
COPY_SOURCE = "wire-copy.example"


def folder(shape: str, dev: Path = DEV, into: Path = ROOT / "var" / "eval" / "shapes") -> Path:
    """The dataset folder of a shape (derived on first use)."""
    if shape == "dev":
        return dev
    out = into / f"realtimeqa-{shape}"
    if (out / "corpus.jsonl").is_file():
        return out
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "corpus.jsonl.part"
    copied: set[str] = set()
    with gzip.open(dev / "corpus.jsonl.gz", "rt", encoding="utf-8") as src, tmp.open("w", encoding="utf-8") as dst:
        for line in src:
            article = json.loads(line)
            if shape != "mixed" or undated_in_mix(article["id"]):
                article["published_at"] = None
            if shape in ("snippets", "syndicated", "bare"):
                words = re.findall(r"\S+", article["body"])
                article["body"] = " ".join(words[:SNIPPET_WORDS])
                article["title"] = None
            if shape == "bare":
                article["url"] = None
            dst.write(json.dumps(article, ensure_ascii=False) + "\n")
            if shape == "syndicated" and has_copy(article["id"]) and len(words) > SNIPPET_WORDS // 2 + COPY_SHIFT:
                # the same story's page at the other outlet: its address ends in the same slug
                url = f"https://{COPY_SOURCE}/" + (article.get("url") or "").rstrip("/").rsplit("/", 1)[-1]
                copy = {**article, "id": copy_id(article["id"]), "source": COPY_SOURCE, "url": url,
                        "body": " ".join(words[COPY_SHIFT : COPY_SHIFT + SNIPPET_WORDS])}
                dst.write(json.dumps(copy, ensure_ascii=False) + "\n")
                copied.add(article["id"])
    for name in ("queries.jsonl", "queries_null.jsonl"):
        target = out / name
        if shape == "syndicated" and name == "queries.jsonl":
            with (dev / name).open(encoding="utf-8") as qsrc, (out / f"{name}.part").open("w", encoding="utf-8") as qdst:
                for line in qsrc:
                    q = json.loads(line)
                    gold = q.get("gold_article_ids") or []
                    q["gold_article_ids"] = gold + [copy_id(g) for g in gold if g in copied]
                    qdst.write(json.dumps(q, ensure_ascii=False) + "\n")
            (out / f"{name}.part").rename(target)
        elif not target.exists():
            target.symlink_to((dev / name).resolve())
    tmp.rename(out / "corpus.jsonl")  # last: a shape whose corpus is there is whole
    return out


def has_copy(article_id: str) -> bool:
    """Every other article, chosen by a hash of its id (the same on every machine)."""
    return hashlib.sha1(article_id.encode()).digest()[0] % 2 == 0


def undated_in_mix(article_id: str) -> bool:
    """One article in five, chosen by a hash of its id: the mixed shape's articles without a date."""
    return hashlib.sha1(b"mixed:" + article_id.encode()).digest()[0] % 5 == 0


def copy_id(article_id: str) -> str:
    return f"{article_id}-copy"
