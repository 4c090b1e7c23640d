"""Today's boilerplate rules vs trafilatura on the bundled articles (plain text).

Each bundled article's lines are wrapped as an HTML page (one <p> a line, inside <article>) and
given to trafilatura with the settings `.html` pages use; the rules see the text as `sitrep index`
does. Prints, per article, how many lines each keeps, and every line they disagree on.

    python benchmarks/compare_extractors.py
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitrep.corpus import boilerplate  # noqa: E402
from sitrep.corpus.articles import parse, scan_corpus  # noqa: E402


def main() -> None:
    import trafilatura

    total = {"lines": 0, "rules": 0, "trafilatura": 0}
    for raw in scan_corpus(ROOT / "corpus", 10**7).articles:
        article = parse(raw)
        by_rules = {article.text[a:b].strip() for run in article.blocks for a, b in run}
        lines = [ln.text for ln in boilerplate.lines_of(raw.text, 0)]
        page = "<html><body><article>" + "".join(f"<p>{html.escape(x)}</p>" for x in lines) + "</article></body></html>"
        extracted = trafilatura.extract(page, favor_precision=True, include_comments=False) or ""
        by_traf = {x.strip() for x in extracted.splitlines() if x.strip()}
        kept_r, kept_t = sum(x in by_rules for x in lines), sum(x in by_traf for x in lines)
        total["lines"] += len(lines)
        total["rules"] += kept_r
        total["trafilatura"] += kept_t
        print(f"{raw.id}: {len(lines)} lines; rules keep {kept_r}, trafilatura keeps {kept_t}")
        for x in lines:
            if (x in by_rules) != (x in by_traf):
                print(f"  rules {'keep' if x in by_rules else 'drop'}, trafilatura {'keeps' if x in by_traf else 'drops'}: {x[:100]}")
    print(f"all: {total['lines']} lines; rules keep {total['rules']}, trafilatura keeps {total['trafilatura']}")


if __name__ == "__main__":
    main()
