"""Render benchmark HTML pages to plain-text dumps, boilerplate included.

A dump looks like "select all, copy" from a browser window: every visible block of
the page (navigation, headings, paragraphs, captions, related links, footer) on its
own line, blank lines between blocks, `<br>` kept as a single line break inside its
block. Scripts, styles, `<noscript>`, `<template>`, form dropdowns, embedded objects
and elements hidden with `hidden`/`display:none` are dropped, as a browser would not
show them. The expected article body is the benchmark's ground-truth `articleBody`.

Usage (from the repository root):

    python benchmarks/make_text_dumps.py ID [ID ...] [--out tests/data/text]

writes `<out>/<id>.txt` (the dump) and `<out>/<id>.expected.txt` (the ground truth)
for every page id given; the output is deterministic for a given page. Pages come from
benchmarks/data/scrapinghub (`--bench` for another copy).

    python benchmarks/make_text_dumps.py --score [ID ...]

renders the pages (default: all 181) and scores `tasks.extract.textclean.clean_text` on the dumps
with the benchmark's shingle metric, with and without a language hint, plus its speed.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import lxml.html
from lxml import etree

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))

import corpus  # noqa: E402
from shingle_f1 import page_scores, score  # noqa: E402

from tasks.extract.blocks import BLOCK_TAGS  # noqa: E402

# Elements whose content a browser never renders as text.
_DROP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "title",
        "meta",
        "link",
        "svg",
        "math",
        "iframe",
        "object",
        "embed",
        "canvas",
        "video",
        "audio",
        "select",
        "option",
        "datalist",
        "textarea",
        "input",
    }
)

# Elements a browser lays out as their own block (a line break before and after): the
# block model's list (tasks/extract/blocks.py), where <br> splits blocks too; here <br> is a line
# break inside its block, and <legend> a line of its own.
_BLOCK_TAGS = (BLOCK_TAGS - {"br"}) | {"legend"}

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Collapsible HTML whitespace; no-break spaces (U+00A0) are kept, as a browser copies them.
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_LINE_SPACE = re.compile(r" *\n *")
_MULTI_NEWLINE = re.compile(r"\n{2,}")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([-\w:.]+)""", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def _is_hidden(el: etree._Element) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    return bool(_HIDDEN_STYLE.search(el.get("style") or ""))


class _Renderer:
    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.buf: list[str] = []

    def flush(self) -> None:
        text = _HTML_SPACE.sub(" ", "".join(self.buf))
        # "\x00" marks a <br>: a line break inside the block.
        text = _LINE_SPACE.sub("\n", text.replace("\x00", "\n")).strip(" \n")
        text = _MULTI_NEWLINE.sub("\n", text)
        if text:
            self.blocks.append(text)
        self.buf = []

    def walk(self, el: etree._Element) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower()
        if not tag or tag in _DROP_TAGS or _is_hidden(el):
            # Comments, processing instructions and invisible elements: only the tail shows.
            if el.tail:
                self.buf.append(el.tail)
            return
        block = tag in _BLOCK_TAGS
        if block:
            self.flush()
        if tag == "br":
            self.buf.append("\x00")
        if el.text:
            self.buf.append(el.text)
        for child in el:
            self.walk(child)
        if block:
            self.flush()
        if el.tail:
            self.buf.append(el.tail)


def decode_html(data: bytes) -> str:
    """Decode page bytes: declared `<meta charset>` first, then UTF-8, then cp1252."""
    match = _META_CHARSET.search(data[:4096])
    candidates = [match.group(1).decode("ascii", "replace")] if match else []
    for encoding in [*candidates, "utf-8"]:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("cp1252", "replace")


def render_text_dump(html: bytes | str) -> str:
    """Render an HTML page to a browser-like text dump (blocks separated by blank lines)."""
    if isinstance(html, bytes):
        html = decode_html(html)
    # lxml refuses str input that carries an XML encoding declaration.
    html = _XML_DECL.sub("", html, count=1)
    root = lxml.html.document_fromstring(html)
    renderer = _Renderer()
    body = root.find("body")
    renderer.walk(body if body is not None else root)
    renderer.flush()
    return "\n\n".join(renderer.blocks) + "\n"


def _score(pages: list[corpus.Page]) -> None:
    """Print shingle P/R/F1 of `clean_text` on each page's dump, and the benchmark score."""
    import py3langid

    from tasks.extract.textclean import clean_text

    rows = {"no language hint": [], "language hint (py3langid on the dump)": []}
    clean_text("warm-up: loads the English stoplist")
    elapsed, size = 0.0, 0
    for page in pages:
        dump = render_text_dump(page.html)
        language = py3langid.classify(dump)[0]
        started = time.perf_counter()
        plain = clean_text(dump).text
        elapsed += time.perf_counter() - started
        size += len(dump)
        hinted = clean_text(dump, language).text
        rows["no language hint"].append((plain, page.truth))
        rows["language hint (py3langid on the dump)"].append((hinted, page.truth))
        if len(pages) <= 20:
            precision, recall = page_scores(hinted, page.truth)
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            print(f"{page.page_id[:12]} {language} P={precision:.3f} R={recall:.3f} F1={f1:.3f}")
    for name, pairs in rows.items():
        s = score(pairs)
        print(f"{name:40} P={s.precision:.3f} R={s.recall:.3f} F1={s.f1:.3f} pages={s.pages}")
    print(
        f"clean_text (no hint): {1000 * elapsed / len(pages):.2f} ms per dump, "
        f"{1000 * elapsed / (size / 10_000):.2f} ms per 10,000 characters"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="benchmark page ids (default with --score: all)")
    parser.add_argument("--bench", type=Path, default=corpus.DATA, help="benchmark directory")
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "data" / "text")
    parser.add_argument(
        "--score",
        action="store_true",
        help="score tasks.extract.textclean on the dumps, write nothing",
    )
    args = parser.parse_args()

    pages = corpus.pages(args.bench)
    if args.ids:
        by_id = {p.page_id: p for p in pages}
        pages = [by_id[i] for i in args.ids]
    if args.score:
        _score(pages)
        return
    if not args.ids:
        parser.error("give the page ids to write fixtures for")
    args.out.mkdir(parents=True, exist_ok=True)
    for page in pages:
        dump = render_text_dump(page.html)
        (args.out / f"{page.page_id}.txt").write_text(dump, encoding="utf-8")
        expected = page.truth.strip() + "\n"
        (args.out / f"{page.page_id}.expected.txt").write_text(expected, encoding="utf-8")
        print(f"{page.page_id}: dump {len(dump)} chars, expected {len(expected)} chars")


if __name__ == "__main__":
    main()
