"""What kind of page this is: article, listing, collection, forum, product, documentation or
service. A learned router (`tasks/extract/models/pagetype.json`, trained and evaluated out-of-fold
by benchmarks/train_extractor.py) over every signal the page gives: JSON-LD `@type`,
`og:type`, microdata, date/author metadata, the URL's shape and words, link density,
repeated item blocks, class names, prices, forms, code, cue phrases, how much of the page
trafilatura took as its main text and that text's voice (we/you/said/...). Features are
read from the one parsed tree without a Python walk over every element (XPath, a pass
over the few counted tags, str.count), so an article pays ~2 ms for its routing.

A page without any URL (a bare file with no canonical link) is taken as an article: the
model never saw such pages. Otherwise a page is routed out as a non-article only when the
model's probability of "article" is below the threshold stored with the model (chosen
inside the training folds so that about 98.5 % of WCXB articles stay); its type is then the
likeliest non-article class.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np
from lxml import etree
from lxml.html import HtmlElement

from tasks.extract.blocks import repeated_siblings
from tasks.extract.treemodel import TreeModel, packaged_model

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
# Cue phrases, counted with str.count on the lower-cased text (C speed: a regex alternation
# over a whole page's text cost more than the rest of the router together)
_CURRENCIES = ("$", "€", "£", "¥")
_CUES = {
    "cart": ("add to cart", "add to bag", "add to basket", "buy now", "in stock", "out of stock",
             "checkout", "shipping", "sku"),
    "reply": ("reply", "quote", "posted by", "joined", "posts:", "views", "thread", "members",
              "likes", "upvote", "permalink", "report"),
    "read_more": ("read more", "continue reading", "view all", "see all", "load more",
                  "show more", "next page", "older posts"),
    "byline": (" by ", "published", "updated", "min read", "minutes read", "correspondent",
               "reporter", "editor"),
    "contact": ("contact us", "get a quote", "book a", "book now", "call us",
                "free consultation", "our team", "our services", "get started", "request a"),
    "code": ("parameters", "returns", "example", "install", "npm ", "pip ", "import ",
             "function", "syntax", "version"),
}  # fmt: skip


# Who speaks to whom in the main text: a news story reports (said, he, she, they), a
# service page addresses its reader (we, our, you), a forum thread talks (i, my, thanks)
_VOICES = {
    "we": ("we", "our", "us", "we're", "we've"),
    "you": ("you", "your", "you're", "yours"),
    "i": ("i", "my", "i'm", "me", "thanks", "thank"),
    "report": ("said", "says", "told", "according", "reported", "announced"),
    "third": ("he", "she", "his", "her", "they", "their", "him"),
    "the": ("the", "a", "of", "in"),
}
_VOICE_OF = {word: name for name, words in _VOICES.items() for word in words}


def _seed_style(seed: str, lines: list[str]) -> list[float]:
    words = seed.lower().split()
    counts = dict.fromkeys(_VOICES, 0)
    for word, n in Counter(words).items():
        name = _VOICE_OF.get(word.strip(".,;:!?\"'()"))
        if name:
            counts[name] += n
    total = max(1, len(words))
    prose = sum(1 for line in lines if line.rstrip()[-1:] in '.!?"”' and len(line) > 80)
    code = sum(seed.count(c) for c in "{}()=_;<>")
    return [counts[name] / total for name in _VOICES] + [
        float(len(words)),
        prose / max(1, len(lines)),
        code / max(1, len(seed)),
    ]


def _cue_counts(lowered: str) -> list[float]:
    return [float(sum(lowered.count(p) for p in phrases)) for phrases in _CUES.values()]


# class-name words counted over the whole page (one C-level XPath for every @class value):
# item cards and grids, forum posts, shop widgets, article furniture
_CLASS_WORDS = (
    "card", "item", "tile", "grid", "teaser", "product", "price", "cart", "comment", "reply",
    "post", "message", "thread", "user", "avatar", "pagination", "pager", "filter", "sidebar",
    "toc", "doc", "article", "byline", "author", "share", "related", "breadcrumb", "hero",
    "cta", "testimonial", "faq", "feature", "rating", "review", "vote", "quote", "signature",
)  # fmt: skip
_CLASS_TOKEN = re.compile(r"[a-z]+")

ROUTER_FEATURES = (
    [f"ld_{g}" for g in _LD_GROUPS]
    + ["ld_count"]
    + [f"micro_{g}" for g in _LD_GROUPS]
    + [f"og_{t}" for t in _OG_TYPES]
    + ["meta_published", "meta_author", "meta_dates", "ld_date_published", "ld_author"]
    + [f"url_{w}" for w in _URL_WORDS]
    + ["url_depth", "url_last_len", "url_last_hyphens", "url_slash_end", "url_query", "url_root"]
    + ["text_chars", "seed_chars", "seed_share", "link_share", "p_share", "long_p", "p",
       "seed_lines", "seed_short_lines", "seed_mean_line", "repeat_largest", "repeat_groups",
       "articles", "articles_headed", "forms", "inputs", "pre_code", "h1", "h2h3",
       "linked_headings", "times", "li", "links", "imgs", "tables", "buttons", "prices"]
    + [f"class_{w}" for w in _CLASS_WORDS]
    + [f"cue_{c}" for c in _CUES]
    + [f"seed_cue_{c}" for c in _CUES]
    + [f"seed_rate_{v}" for v in _VOICES]
    + ["seed_words", "seed_prose_lines", "seed_code_chars"]
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PageType:
    page_type: str
    article_probability: float

    @property
    def is_article(self) -> bool:
        return self.page_type == "article"


def _json_ld(root: HtmlElement) -> tuple[list[str], str]:
    """The @type values of the page's JSON-LD, and its JSON-LD text."""
    found, texts = [], []
    for script in root.iter("script"):
        if (script.get("type") or "").lower() == "application/ld+json" and script.text:
            found += [t.lower().rsplit("/", 1)[-1] for t in _TYPE.findall(script.text)]
            texts.append(script.text)
    return found, "\n".join(texts)


def _meta_values(root: HtmlElement) -> dict[str, str]:
    """<meta property|name = content>, first of each, keys lower-cased."""
    values: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").lower()
        if key and key not in values:
            values[key] = (meta.get("content") or "").strip().lower()
    return values


_COUNTED = ("p", "li", "article", "form", "input", "pre", "code", "h1", "h2", "h3", "h4",
            "time", "img", "table", "button")  # fmt: skip
_NOT_TEXT = ("script", "style", "noscript", "template", "textarea", "select")
# Python iteration over an lxml.html tree costs a proxy object per element (most of the
# block split's time): everything that can be is read by XPath in C, as plain strings
_NAMES = etree.XPath("//@class|//@itemtype", smart_strings=False)  # itemtype: a URL
_LINK_TEXT = etree.XPath("//a//text()", smart_strings=False)
_LINKS = etree.XPath("count(//a)")


@dataclass(slots=True)
class _Scan:
    tags: dict[str, int]
    p_chars: int
    long_p: int
    linked_headings: int
    articles_headed: int


def _scan(root: HtmlElement) -> _Scan:
    """Counts of the few tags the router reads, in one pass that stops only on them."""
    tags: dict[str, int] = {}
    p_chars = long_p = linked = headed = 0
    for element in root.iter(*_COUNTED):
        tag = element.tag
        tags[tag] = tags.get(tag, 0) + 1
        if tag == "p":
            n = _solid(element.text_content())
            p_chars += n
            long_p += n > 200
        elif tag in ("h2", "h3", "h4"):
            linked += element.find(".//a") is not None
        elif tag == "article":
            headed += any(True for _ in element.iter("h2", "h3", "h4"))
    return _Scan(tags, p_chars, long_p, linked, headed)


def _solid(text: str) -> int:
    """Characters that are not spaces or line breaks: a length comparable across texts
    however they were spaced."""
    return len(text) - text.count(" ") - text.count("\n") - text.count("\t")


def _page_text(root: HtmlElement) -> tuple[str, int]:
    """The body's text (scripts' and styles' included: cutting them out cost more than
    all the rest) and its count of visible solid characters (theirs not counted)."""
    body = root.find("body")
    body = body if body is not None else root
    text = body.text_content()
    hidden = sum(_solid(e.text or "") for e in body.iter(*_NOT_TEXT))
    return text, max(1, _solid(text) - hidden)


def router_features(root: HtmlElement, url: str | None, seed_text: str | None) -> list[float]:
    """One row, columns named by ROUTER_FEATURES: from the parsed page, its URL and
    trafilatura's text (the seed)."""
    types, ld_text = _json_ld(root)
    row = [float(sum(1 for t in types if t in group)) for group in _LD_GROUPS.values()]
    row.append(float(len(types)))
    scan = _scan(root)
    names = _NAMES(root)
    micro = [t.lower().rstrip("/").rsplit("/", 1)[-1] for t in names if "schema.org" in t]
    row += [float(sum(1 for t in micro if t in group)) for group in _LD_GROUPS.values()]
    meta = _meta_values(root)
    og = meta.get("og:type")
    og_group = og if og in _OG_TYPES else ("other" if og else None)
    row += [1.0 if og_group == t else 0.0 for t in _OG_TYPES]
    row += [
        1.0 if any(k in meta for k in ("article:published_time", "date", "pubdate")) else 0.0,
        1.0 if any(k in meta for k in ("author", "article:author")) else 0.0,
        # an article declares when it was published, most other pages do not
        float(sum(1 for k in meta if "date" in k or "time" in k or "publish" in k)),
        float(ld_text.count('"datePublished"')),
        float(ld_text.count('"author"')),
    ]

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

    text, text_chars = _page_text(root)
    seed = seed_text or ""
    lines = [line for line in seed.split("\n") if line.strip()]
    line_words = [len(line.split()) for line in lines]
    largest, groups = repeated_siblings(root)
    tags = scan.tags
    row += [
        float(text_chars),
        float(len(seed)),
        min(1.0, _solid(seed) / text_chars),
        min(1.0, _solid("".join(_LINK_TEXT(root))) / text_chars),
        min(1.0, scan.p_chars / text_chars),
        float(scan.long_p),
        float(tags.get("p", 0)),
        float(len(lines)),
        sum(1 for n in line_words if n < 8) / max(1, len(lines)),
        sum(line_words) / max(1, len(lines)),
        float(largest),
        float(groups),
        float(tags.get("article", 0)),
        float(scan.articles_headed),
        float(tags.get("form", 0)),
        float(tags.get("input", 0)),
        float(tags.get("pre", 0) + tags.get("code", 0)),
        float(tags.get("h1", 0)),
        float(tags.get("h2", 0) + tags.get("h3", 0)),
        float(scan.linked_headings),
        float(tags.get("time", 0)),
        float(tags.get("li", 0)),
        _LINKS(root),
        float(tags.get("img", 0)),
        float(tags.get("table", 0)),
        float(tags.get("button", 0)),
        float(sum(text.count(c) for c in _CURRENCIES)),
    ]
    words: Counter[str] = Counter()
    for value, n in Counter(names).items():
        for word in set(_CLASS_TOKEN.findall(value.lower())):
            words[word] += n
    row += [float(words.get(word, 0)) for word in _CLASS_WORDS]
    row += _cue_counts(text.lower())
    row += _cue_counts(seed.lower())
    row += _seed_style(seed, lines)
    return row


def router_model() -> TreeModel:
    return packaged_model(ROUTER_MODEL)


def classify(
    root: HtmlElement, url: str | None, seed_text: str | None, model: TreeModel | None = None
) -> PageType:
    if not url:
        # trained on pages with URLs only, and a URL's shape is one of its strongest signals:
        # a page known by no URL at all (a bare file without a canonical link) stays an
        # article, as plain-text records do
        return PageType("article", 1.0)
    model = model or router_model()
    probabilities = model.probabilities(np.asarray([router_features(root, url, seed_text)]))[0]
    return decide(probabilities, model)


def decide(probabilities: np.ndarray, model: TreeModel) -> PageType:
    article = float(probabilities[model.classes.index("article")])
    if article >= float(model.extra["article_threshold"]):
        return PageType("article", article)
    others = [(p, c) for p, c in zip(probabilities, model.classes, strict=True) if c != "article"]
    return PageType(max(others)[1], article)
