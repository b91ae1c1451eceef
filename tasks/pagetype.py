"""What kind of page this is: article, listing, collection, forum, product, documentation or
service. A learned router (`tasks/models/pagetype.json`, trained and evaluated out-of-fold
by benchmarks/train_extractor.py) over every signal the page gives: JSON-LD `@type`,
`og:type`, the URL's shape and words, link density, repeated item blocks, prices, forms,
code, and how much of the page trafilatura took as its main text.

A page without any URL (a bare file with no canonical link) is taken as an article: the
model never saw such pages. Otherwise a page is routed out as a non-article only when the
model's probability of "article" is below the threshold stored with the model (chosen
inside the training folds so that about 98.5 % of articles stay); its type is then the
likeliest non-article class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np
from lxml.html import HtmlElement

from tasks.blocks import PageBlocks, repeated_siblings
from tasks.treemodel import TreeModel, packaged_model

PAGE_TYPES = ("article", "listing", "collection", "forum", "product", "documentation", "service")
ROUTER_MODEL = "pagetype"

_TYPE = re.compile(r'"@type"\s*:\s*\[?\s*"([^"]+)"')
_LD_GROUPS = {
    "article": {
        "article", "newsarticle", "blogposting", "reportagenewsarticle", "opinionnewsarticle",
        "analysisnewsarticle", "liveblogposting", "report", "scholarlyarticle", "posting",
        "backgroundnewsarticle", "reviewnewsarticle", "socialmediaposting",
    },
    "product": {"product", "offer", "aggregateoffer", "aggregaterating", "productgroup"},
    "collection": {"collectionpage", "itemlist", "searchresultspage", "offercatalog"},
    "forum": {"discussionforumposting", "qapage", "question", "answer", "comment"},
    "documentation": {"techarticle", "apireference", "softwaresourcecode", "howto"},
    "service": {
        "service", "localbusiness", "organization", "contactpage", "aboutpage", "faqpage",
        "professionalservice", "corporation", "event", "course", "softwareapplication",
    },
    "webpage": {"webpage", "website"},
    "breadcrumb": {"breadcrumblist"},
    "person": {"person", "profilepage"},
}  # fmt: skip
_OG_TYPES = ("article", "product", "website", "profile", "other")
_URL_WORDS = {
    "dated": r"/(19|20)\d\d/(0?[1-9]|1[0-2])/",
    "year": r"/(19|20)\d\d/",
    "tag": r"/(tags?|topics?|category|categories|section|sections|label|archive)/",
    "author": r"/(authors?|people|staff|profile|user|users|members?)/",
    "search": r"(/search|[?&](q|s|query|search)=)",
    "paged": r"(/page/\d+|[?&]page=\d+)",
    "forum": r"(forum|thread|/t/|topic|discussion|community|/questions?/|board|reddit)",
    "product": r"(/products?/|/p/|/dp/|/item/|/shop/|/store/|/buy|sku|/collections?/)",
    "docs": r"(/docs?/|documentation|/api/|/reference/|/guide|/manual|/wiki/|/learn/|readthedocs)",
    "service": r"(/services?/|/about|/contact|/pricing|/solutions?/|/features?/|/plans?/)",
    "news": r"(/news/|/blog/|/article|/story/|/posts?/|/stories/)",
    "html": r"\.s?html?$",
    "digits_id": r"\d{5,}",
}
_URL_PATTERNS = {name: re.compile(pattern) for name, pattern in _URL_WORDS.items()}
_PRICE = re.compile(r"(?:[$€£¥]\s?\d|\d\s?(?:€|\$|usd|eur|gbp)\b)", re.IGNORECASE)
_CUES = {
    "cart": re.compile(r"\b(add to (cart|bag|basket)|buy now|in stock|out of stock)\b"),
    "reply": re.compile(r"\b(reply|replies|quote|posted by|joined|posts:|views)\b"),
    "read_more": re.compile(r"\b(read more|continue reading|view all|see all|load more)\b"),
    "byline": re.compile(r"\b(by [A-Z]|published|updated)\b", re.IGNORECASE),
    "contact": re.compile(
        r"\b(contact us|get a quote|book (a|an|now)|call us|free consultation)\b"
    ),
    "code": re.compile(r"\b(parameters|returns|example|install|npm|pip|import)\b"),
}

ROUTER_FEATURES = (
    [f"ld_{g}" for g in _LD_GROUPS]
    + ["ld_count"]
    + [f"og_{t}" for t in _OG_TYPES]
    + [f"url_{w}" for w in _URL_WORDS]
    + ["url_depth", "url_last_len", "url_last_hyphens", "url_slash_end", "url_query", "url_root"]
    + ["page_words", "seed_words", "seed_share", "link_share", "linky_blocks", "blocks",
       "mean_block_words", "long_blocks", "repeat_largest", "repeat_groups", "articles",
       "forms", "inputs", "pre_code", "h1", "h2h3", "times", "li", "prices", "tables",
       "p_share", "heading_share"]
    + [f"cue_{c}" for c in _CUES]
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PageType:
    page_type: str
    article_probability: float

    @property
    def is_article(self) -> bool:
        return self.page_type == "article"


def _json_ld_types(root: HtmlElement) -> list[str]:
    found = []
    for script in root.iter("script"):
        if (script.get("type") or "").lower() == "application/ld+json" and script.text:
            found += [t.lower().rsplit("/", 1)[-1] for t in _TYPE.findall(script.text)]
    return found


def _og_type(root: HtmlElement) -> str | None:
    for meta in root.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == "og:type":
            return (meta.get("content") or "").strip().lower()
    return None


def router_features(root: HtmlElement, url: str | None, page: PageBlocks) -> list[float]:
    """One row, columns named by ROUTER_FEATURES."""
    types = _json_ld_types(root)
    row = [float(sum(1 for t in types if t in group)) for group in _LD_GROUPS.values()]
    row.append(float(len(types)))
    og = _og_type(root)
    og_group = og if og in _OG_TYPES else ("other" if og else None)
    row += [1.0 if og_group == t else 0.0 for t in _OG_TYPES]

    parts = urlsplit(url or "")
    path = parts.path.lower()
    full = (path + ("?" + parts.query if parts.query else "")).lower()
    row += [1.0 if p.search(full) else 0.0 for p in _URL_PATTERNS.values()]
    segments = [s for s in path.split("/") if s]
    last = segments[-1] if segments else ""
    row += [
        float(len(segments)),
        float(len(last)),
        float(last.count("-")),
        1.0 if path.endswith("/") else 0.0,
        1.0 if parts.query else 0.0,
        1.0 if not segments and url else 0.0,  # a site's front page; no URL: unknown
    ]

    counts = [len(w) for w in page.words]
    total = max(1, sum(counts))
    seed_words = sum(c * s for c, s in zip(counts, page.seed, strict=True))
    chars = sum(len(b.text) for b in page.blocks) or 1
    link_chars = sum(b.link_chars for b in page.blocks)
    linky = sum(1 for b in page.blocks if b.link_chars > 0.5 * len(b.text))
    n_blocks = max(1, len(page.blocks))
    largest, groups = repeated_siblings(root)
    tags: dict[str, int] = {}
    for element in root.iter(
        "article", "form", "input", "pre", "code", "h1", "h2", "h3", "time", "li", "table"
    ):
        tags[element.tag] = tags.get(element.tag, 0) + 1
    text = "\n".join(b.text for b in page.blocks)
    lowered = text.lower()
    row += [
        float(total),
        float(seed_words),
        seed_words / total,
        link_chars / chars,
        linky / n_blocks,
        float(len(page.blocks)),
        total / n_blocks,
        float(sum(1 for c in counts if c >= 40)),
        float(largest),
        float(groups),
        float(tags.get("article", 0)),
        float(tags.get("form", 0)),
        float(tags.get("input", 0)),
        float(tags.get("pre", 0) + tags.get("code", 0)),
        float(tags.get("h1", 0)),
        float(tags.get("h2", 0) + tags.get("h3", 0)),
        float(tags.get("time", 0)),
        float(tags.get("li", 0)),
        float(len(_PRICE.findall(text))),
        float(tags.get("table", 0)),
        sum(c for b, c in zip(page.blocks, counts, strict=True) if b.tag == "p") / total,
        sum(1 for b in page.blocks if b.tag in ("h1", "h2", "h3", "h4")) / n_blocks,
    ]
    row += [
        float(len(pattern.findall(text if name == "byline" else lowered)))
        for name, pattern in _CUES.items()
    ]
    return row


def router_model() -> TreeModel:
    return packaged_model(ROUTER_MODEL)


def classify(
    root: HtmlElement, url: str | None, page: PageBlocks, model: TreeModel | None = None
) -> PageType:
    if not url:
        # trained on pages with URLs only, and a URL's shape is one of its strongest signals:
        # a page known by no URL at all (a bare file without a canonical link) stays an
        # article, as plain-text records do
        return PageType("article", 1.0)
    model = model or router_model()
    probabilities = model.probabilities(np.asarray([router_features(root, url, page)]))[0]
    return decide(probabilities, model)


def decide(probabilities: np.ndarray, model: TreeModel) -> PageType:
    article = float(probabilities[model.classes.index("article")])
    if article >= float(model.extra["article_threshold"]):
        return PageType("article", article)
    others = [(p, c) for p, c in zip(probabilities, model.classes, strict=True) if c != "article"]
    return PageType(max(others)[1], article)
