"""Articles: the only code that knows corpus file formats, metadata and boilerplate.

A corpus folder holds .txt and .md files (one article each, found recursively), .html / .htm
news pages (main text, title, date, outlet and canonical URL extracted by trafilatura), and
.jsonl / .jsonl.gz files of records {id, title, source, published_at, url, body}.
Scanning reads and hashes everything cheaply; parsing (metadata, boilerplate) is done
only for articles whose content hash is new, which keeps updates fast.

Over 300 lines on purpose: every format's reading and its errors sit beside the one parse() they
feed, so a new format is one function here and nothing elsewhere.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitrep.corpus import boilerplate, metadata

PARSER_VERSION = 3  # 2: datelines are not titles; a missing title comes from the URL slug. 3: a bare date in
# the page furniture above the headline is when the page was seen (Article.seen), not its publication date
TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")

Span = tuple[int, int]


@dataclass(frozen=True)
class Article:
    id: str
    text: str  # the original text; every span points into it
    title: str | None
    source: str | None
    date: str | None  # ISO yyyy-mm-dd
    url: str | None
    location: str  # where it lives: the file (relative to the corpus) or the URL
    content_hash: str
    blocks: tuple[tuple[Span, ...], ...]  # runs of body lines that no boilerplate interrupts
    seen: str | None = None  # ISO: a date the page showed above its headline (a masthead's "today"), not a publication date


@dataclass(frozen=True)
class RawArticle:
    """A scanned, not yet parsed, article: enough to decide whether it changed."""

    id: str
    content_hash: str
    location: str
    text: str
    fields: dict[str, Any] = field(default_factory=dict)  # JSONL fields; empty for files
    suffix: str = ".txt"


@dataclass
class Scan:
    articles: list[RawArticle]
    warnings: list[str]


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def corpus_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        name = path.name.lower()
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if path.is_file() and name.endswith(TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES):
            yield path


def scan_corpus(root: Path, max_bytes: int) -> Scan:
    """Read every article under root; unreadable ones become warnings, never errors."""
    articles: list[RawArticle] = []
    warnings: list[str] = []
    seen: set[str] = set()

    def add(raw: RawArticle, where: str) -> None:
        if raw.id in seen:
            warnings.append(f"{where}: duplicate article id {raw.id!r}, skipped (ids must be unique)")
            return
        seen.add(raw.id)
        articles.append(raw)

    for path in corpus_files(root):
        rel = path.relative_to(root).as_posix()
        if path.name.lower().endswith(JSONL_SUFFIXES):
            for raw, where in _scan_jsonl(path, rel, max_bytes, warnings):
                add(raw, where)
            continue
        try:
            size = path.stat().st_size
            if size > max_bytes:
                warnings.append(
                    f"{rel}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB article limit, "
                    "skipped (raise SITREP_MAX_ARTICLE_MB to index it)"
                )
                continue
            data = path.read_bytes()
        except OSError as exc:
            warnings.append(f"{rel}: cannot read ({exc.strerror}), skipped")
            continue
        html = path.name.lower().endswith(HTML_SUFFIXES)
        text = _decode_html(data, rel, warnings) if html else _decode(data, rel, warnings)
        if text is None:
            continue
        add(RawArticle(rel, _hash(data), rel, text, suffix=path.suffix.lower()), rel)
    return Scan(articles, warnings)


def _decode(data: bytes, where: str, warnings: list[str]) -> str | None:
    if b"\x00" in data[:8192]:
        warnings.append(f"{where}: binary file, skipped (only UTF-8 text is indexed)")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        warnings.append(f"{where}: not UTF-8 (byte {exc.start}), skipped: re-save it as UTF-8")
        return None
    if not text.strip():
        warnings.append(f"{where}: empty, skipped")
        return None
    return text


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def decode_page(data: bytes, charset: str | None = None) -> str:
    """A page in the charset its server or its <meta charset> declares, else UTF-8, else cp1252
    (what browsers assume for undeclared Western pages; it decodes any byte)."""
    declared = _CHARSET.search(data[:4096])
    tries = [charset] if charset else []
    tries += [declared.group(1).decode("ascii", "replace")] if declared else []
    for name in [*tries, "utf-8-sig"]:
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("cp1252", errors="replace")


def _decode_html(data: bytes, where: str, warnings: list[str]) -> str | None:
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        warnings.append(f"{where}: binary file, skipped (not an HTML page)")
        return None
    text = decode_page(data)
    if not text.strip():
        warnings.append(f"{where}: empty, skipped")
        return None
    return text


def _open_lines(path: Path) -> Iterator[bytes]:
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rb") as fh:
            yield from fh
    else:
        with path.open("rb") as fh:
            yield from fh


def _scan_jsonl(path: Path, rel: str, max_bytes: int, warnings: list[str]) -> Iterator[tuple[RawArticle, str]]:
    lineno = 0
    try:
        for lineno, line in enumerate(_open_lines(path), start=1):
            where = f"{rel} line {lineno}"
            if not line.strip():
                continue
            if len(line) > max_bytes:
                warnings.append(f"{where}: record over the article size limit, skipped")
                continue
            try:
                rec = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                warnings.append(f"{where}: not valid JSON, skipped")
                continue
            if not isinstance(rec, dict):
                warnings.append(f"{where}: not a JSON object, skipped")
                continue
            body, rid = rec.get("body"), rec.get("id")
            if not isinstance(rid, (str, int)) or not str(rid).strip():
                warnings.append(f"{where}: no 'id', skipped")
                continue
            if not isinstance(body, str) or not body.strip():
                warnings.append(f"{where}: no 'body' text, skipped")
                continue
            fields = {k: rec.get(k) for k in ("title", "source", "published_at", "url")}
            location = fields["url"] if isinstance(fields["url"], str) and fields["url"] else f"{rel}:{lineno}"
            yield RawArticle(str(rid), _hash(line.strip()), location, body, fields, ".jsonl"), where
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        warnings.append(f"{rel}: unreadable after line {lineno} ({exc}), the rest of the file skipped")


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(\r?\n|\Z)", re.S)


def _front_matter(text: str) -> tuple[dict[str, str], int]:
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, 0
    fields: dict[str, str] = {}
    for line in m.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip().strip("\"'")
    return fields, m.end()


def _first(fields: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = fields.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def parse(raw: RawArticle) -> Article:
    """Metadata and body regions of one article."""
    if raw.suffix in HTML_SUFFIXES:
        return _parse_html(raw)
    text = raw.text
    fields: dict[str, Any] = dict(raw.fields)
    offset = 0
    if raw.suffix in TEXT_SUFFIXES:
        front, offset = _front_matter(text)
        fields.update(front)
    marker = boilerplate.DATE_MARKER.match(text, offset)
    marked_date = marker.group(1) if marker else None
    if marker:
        offset = marker.end()

    lines = boilerplate.lines_of(text, offset)
    keep = boilerplate.classify(lines)

    source = _first(fields, "source", "outlet", "publisher") or metadata.guess_source(text)
    url = _first(fields, "url", "link") or metadata.guess_url(text)
    title = _first(fields, "title", "headline")
    headline = -1  # the line the headline is on (none in the body when the title came from a field)
    if title is None:
        title, headline = _title_from_body(lines, keep, url)

    # Which dates are trusted, in order (docs/reports.md "Dates"): the file's own field (front matter, JSONL,
    # a feed's published date), the collector's " date YYYY-MM-DD" marker, a labelled line near the
    # top ("Published: ...", "Updated ..."), a bare date line below the headline (a byline's date). A bare
    # date line above the headline is page furniture — a masthead's today, the day the page was saved —
    # and is kept as `seen`, never as the publication date.
    date_text = _first(fields, "published_at", "date", "published")
    date = metadata.parse_date(date_text) if date_text else None
    seen = None
    if date is None:
        date = marked_date
    if date is None:
        date, seen = _header_date(lines, headline if raw.suffix in TEXT_SUFFIXES else len(lines))
    runs = boilerplate.blocks(lines, keep)
    return Article(
        id=raw.id,
        text=text,
        title=title,
        source=source,
        date=date,
        url=url,
        location=raw.location,
        content_hash=raw.content_hash,
        blocks=tuple(tuple((ln.start, ln.end) for ln in run) for run in runs),
        seen=seen,
    )


def _header_date(lines: list[boilerplate.Line], headline: int) -> tuple[str | None, str | None]:
    """(published, seen) from the first lines: a labelled date ("Published ...") is the publication
    date wherever it stands; a bare date line is one only below the headline, above it the page's
    furniture (seen)."""
    seen = None
    for i, ln in enumerate(lines[:8]):
        labelled = ln.text.lower().startswith(("published", "updated", "date"))
        if boilerplate.is_date_line(ln.text) or labelled:
            found = metadata.parse_date(ln.text)
            if not found:
                continue
            if labelled or i > headline:
                return found, seen
            seen = seen or found
    return None, seen


def _title_from_body(lines: list[boilerplate.Line], keep: list[bool], url: str | None) -> tuple[str | None, int]:
    """(title, line of the headline). The first body line, if short, is the headline and leaves the body
    (it is indexed as title). Else the URL's slug, else the lede's first sentence (the line is then the
    lede's). A dateline ("Washington CNN —") is skipped."""
    for i, ln in enumerate(lines):
        if not keep[i] or metadata.is_dateline(ln.text):
            continue
        first_sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z\"“‘'])", ln.text, maxsplit=1)[0]
        title, whole_line = metadata.guess_title(ln.text, first_sentence)
        if whole_line and not ln.text.rstrip("\"'”’)").endswith((".", "!", "?")):
            keep[i] = False  # a headline; a one-sentence lede stays quotable
            return title, i
        return metadata.title_from_url(url) or title, i
    return metadata.title_from_url(url), len(lines)


def _parse_html(raw: RawArticle) -> Article:
    """A news page through trafilatura: the stored text is exactly what it extracted (passages are
    slices of it); its first line is dropped from the body when it repeats the title. A page with
    no article text (a section front, a login wall) becomes an article with no passages."""
    meta = extract_html(raw.text)
    text = meta.get("text") or ""
    title = _first(meta, "title")
    url = _first(meta, "url")
    lines = boilerplate.lines_of(text, 0)
    keep = [True] * len(lines)
    if lines and title and lines[0].text.strip() == title.strip():
        keep[0] = False  # the headline: indexed as the title, not as body
    return Article(
        id=raw.id, text=text, title=title or metadata.title_from_url(url),
        source=_first(meta, "sitename", "hostname"), date=meta.get("date"),
        url=url, location=url or raw.location, content_hash=raw.content_hash,
        blocks=tuple(tuple((ln.start, ln.end) for ln in run) for run in boilerplate.blocks(lines, keep)),
    )


def extract_html(page: str) -> dict[str, Any]:
    """trafilatura's main text and metadata of a news page; text is "" when the page holds no story."""
    import trafilatura

    doc = trafilatura.bare_extraction(page, with_metadata=True, include_comments=False, include_tables=False,
                                      favor_precision=True,
                                      # the page's own date markup only: no guessing from "© 2024" or URLs of links
                                      date_extraction_params={"extensive_search": False, "original_date": True})
    meta: dict[str, Any] = dict((doc.as_dict() if hasattr(doc, "as_dict") else doc) if doc else {})
    text = (meta.get("text") or "").strip()
    if not any(len(line.split()) >= 8 for line in text.splitlines()):
        # menus and teasers ("Home World"), not a story: nothing to index. 8 words: in tests/pages the
        # story paragraphs have 13-27 words (headlines 5 and 7), the section front's one line 2.
        text = ""
    meta["text"] = text
    if meta.get("date"):
        meta["date"] = metadata.parse_date(str(meta["date"]))
    return meta
