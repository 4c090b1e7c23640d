"""Find the regions of an article's text that are the article, not the page around it.

Works on lines, never rewrites text: the result is a list of character spans of the
original, so every passage and every quote can be pointed back at the source exactly.
The rules are general shapes (navigation crumbs, share/subscribe prompts, comment forms,
"more from" lists, image captions and credits, copyright lines, repeated paragraphs)
rather than one site's strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_I = re.IGNORECASE

# A whole line that is page furniture, whatever the site.
_LINE_PATTERNS = [
    r"scorecardresearch\S*",
    r"advertisement|sponsored( content)?|skip to (main )?content|accept cookies?.*",
    r"(support|fund) (our|independent) journalism",
    r"follow us( on \w+)?\s*:?.*",
    r"text size\s*:?.*",
    r"share (this|on|via)\b.{0,60}",
    r"(please )?(subscribe|sign up|register) (to|for|now)\b.{0,120}",
    r"get the latest .{0,80}newsletter.{0,80}",
    r"leave a (reply|comment)",
    r"please enter your (comment|name|email).{0,40}",
    r"(most (popular|read|viewed)|trending( now| stories)?|top stories|read next)\s*:?",
    r"(also read|read more|read also|see also|related|recommended|watch|listen)\s*(:|>+|»).{0,200}",
    r"read more\W*",
    r"click here\b.{0,120}",
    r"check your local forecast here\W*",
    r"(copyright|©|\(c\)\s*\d{4}).{0,200}",
    r".{0,200}all rights reserved\.?",
    r"this (article|story) (was )?(originally )?(appeared|published|first appeared) .{0,200}",
    r"source article",
    r"you (may|might) also like.{0,40}",
    r"contributing\s*:.{0,200}",
    r"from usa today network and wire reports",
    r"home(?=[A-Z])\S.*",  # glued breadcrumb: "HomeDefenceIndia & US agree..."
    r"[\W_]+",  # separators: ***, ______, ---
    r"[\w ]{1,20}:",  # bare labels left by widgets: "Follow Us :", "Text Size:"
]
_BOILERPLATE_LINE = re.compile(r"^(?:" + "|".join(_LINE_PATTERNS) + r")$", _I)

# A line after which the rest of the page is footer (checked only in the back half).
_FOOTER_START = re.compile(
    r"^(leave a (reply|comment)|more (articles|stories|news) from\b.*|most (popular|read)|"
    r"related (articles|stories|coverage)|you (may|might) also like.*|"
    r"subscribe to our channels\b.*|support our journalism|"
    r"this (article|story) (originally )?appeared\b.*)\W*$",
    _I,
)
# A heading after which a list of headlines follows (anywhere in the text).
_LIST_HEADING = re.compile(
    r"^(more (articles|stories|news) from\b.*|most (popular|read)|related (articles|stories)|"
    r"recommended( for you| stories)?|trending( now)?|read next)\W*$",
    _I,
)

_CREDIT = r"(AFP|AP|Reuters|Getty Images|AP Photo|EPA|PTI|ANI|Xinhua|Bloomberg|File photo|Shutterstock)"
_CAPTION = re.compile(
    r"^(?:(?:a|an|the)\s[a-z][^:.]{3,160}:\s.*"  # generated alt text: "a man wearing a suit ...: ..."
    r"|(?:photo|image|picture|file photo)\s*(?:credit)?\s*[:|/].*"
    r"|.{0,300}[.)]\s*" + _CREDIT + r"(?:\s*/\s*[\w .]+)?\.?"  # "... at the airport. AFP"
    r"|.{0,300}\((?:photo|image)[^)]{0,80}\)\.?)$",
    _I,
)
_DATE_LINE = re.compile(
    r"^(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
    r"(?:\w+\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+\w+\.?,?\s+\d{4}|\d{4}-\d{2}-\d{2})"
    r"(?:\s*[|,]?\s*\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*\w{2,4})?)?$",
    _I,
)
# "date 2020-12-11" at the very start of a file is a metadata marker, not text.
DATE_MARKER = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s+", _I)


@dataclass(frozen=True)
class Line:
    start: int
    end: int  # exclusive; both trimmed of surrounding white space
    text: str


def lines_of(text: str, offset: int = 0) -> list[Line]:
    """Non-blank lines of text[offset:], trimmed, with spans into text."""
    out: list[Line] = []
    pos = offset
    n = len(text)
    while pos < n:
        nl = text.find("\n", pos)
        end = n if nl == -1 else nl
        raw = text[pos:end]
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            out.append(Line(pos + lead, pos + lead + len(stripped), stripped))
        pos = end + 1
    return out


def is_date_line(line: str) -> bool:
    return len(line) <= 60 and bool(_DATE_LINE.match(line))


def _words(line: str) -> int:
    return len(line.split())


def classify(lines: list[Line]) -> list[bool]:
    """keep[i] is True when lines[i] belongs to the article body."""
    keep = [True] * len(lines)
    seen: set[str] = set()
    in_list = False
    total = sum(len(ln.text) for ln in lines) or 1
    done = 0
    for i, ln in enumerate(lines):
        t = ln.text
        words = _words(t)
        back_half = done / total > 0.5
        done += len(t)
        if back_half and _FOOTER_START.match(t):
            for j in range(i, len(lines)):
                keep[j] = False
            break
        if _LIST_HEADING.match(t):
            keep[i] = False
            in_list = True
            continue
        if in_list:
            if words <= 30:
                keep[i] = False
                continue
            in_list = False
        norm = " ".join(t.lower().split())
        if (
            (words <= 40 and _BOILERPLATE_LINE.match(t))
            or (words <= 60 and _CAPTION.match(t))
            or is_date_line(t)
            or (words <= 60 and norm in seen)
        ):
            keep[i] = False
            continue
        seen.add(norm)
    return keep


def blocks(lines: list[Line], keep: list[bool]) -> list[list[Line]]:
    """Group kept lines into runs that no removed line interrupts.

    A passage never crosses a removed line, so passage text is always text[start:end].
    """
    out: list[list[Line]] = []
    current: list[Line] = []
    for ln, k in zip(lines, keep):
        if k:
            current.append(ln)
        elif current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out
