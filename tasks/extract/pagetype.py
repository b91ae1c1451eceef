"""What kind of page this is: article, listing, collection, forum, product, documentation or
service. A learned router (`tasks/extract/models/pagetype.json`, trained and evaluated out-of-fold
by benchmarks/train_extractor.py) over every signal the page gives: JSON-LD `@type`,
`og:type`, microdata, date/author metadata, the URL's shape and words, link density,
repeated item blocks, class names, prices, forms, code, cue phrases, how much of the page
trafilatura took as its main text and that text's voice (we/you/said/...). Version 2 (issue
13: listings, documentation and service pages were the weak types) adds the host's words
(docs., forum., shop.), `<title>` and `<h1>` words, the site generator, pagination links,
headline-length / contact / navigation links, the text share of repeated linked item
cards, and documentation, account and date cues. Features are read from the one parsed
tree without a Python walk over every element (XPath, a pass over the few counted tags and
the containers of repeated items, str.count): see docs/architecture.md for the cost.

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
from urllib.parse import SplitResult, urlsplit

import numpy as np
from lxml import etree
from lxml.html import HtmlElement

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
# added in router v2 (issue 13, weak types): service and legal paths, index-like endings
_URL_WORDS_2 = {
    "legal": r"/(privacy|terms|legal|cookies?|log-?in|sign-?in|register|sign-?up|careers?|jobs"
    r"|faq|support|help|team|company|partners?)",
    "index": r"(/index\.\w+$|/home/?$|/all/?$|/latest/?$|/archives?/?$|/news/?$|/blog/?$)",
}
# words of the host name: docs.x.org, community.x.com, shop.x.com, news.x.com
_HOST_WORDS = {
    "docs": r"(^|[.-])(docs?|developers?|dev|api|learn|help|support|kb|wiki|manual|guides?)[.-]",
    "forum": r"(^|[.-])(forums?|community|discuss|answers|boards?|talk|bbs)[.-]",
    "shop": r"(^|[.-])(shop|store|buy)[.-]",
    "news": r"(^|[.-])(news|blogs?|press|magazine|times|post|daily)[.-]",
}
_URL_PATTERNS = {name: re.compile(pattern) for name, pattern in _URL_WORDS.items()}
_URL_PATTERNS_2 = {name: re.compile(pattern) for name, pattern in _URL_WORDS_2.items()}
_HOST_PATTERNS = {name: re.compile(pattern) for name, pattern in _HOST_WORDS.items()}
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
# added in router v2, counted in the seed's text only: documentation furniture, a service
# page's account and legal links, a listing's post furniture, dates (repeated per item)
_CUES_2 = {
    "docs_nav": ("on this page", "edit this page", "table of contents", "was this page helpful",
                 "next steps", "prerequisites", "see also", "deprecated", "previous", "next"),
    "account": ("privacy policy", "terms of", "sign in", "log in", "sign up", "free trial",
                "pricing", "testimonial", "faq", "schedule a"),
    "listing": ("posted in", "filed under", "comments", "older", "newer", "page 1", "page 2",
                "tags:", "categories"),
    "dates": ("january", "february", "march", "april", "may ", "june", "july", "august",
              "september", "october", "november", "december", " ago"),
}  # fmt: skip
# words of <title> and the first <h1>: a listing is named by its section, a service page by
# what it offers, a document by its product's docs
_TITLE_WORDS = {
    "listing": ("archive", "category", "categories", "tag", "tags", "page", "latest", "all posts",
                "posts", "news", "blog", "articles", "stories", "results", "jobs"),
    "docs": ("documentation", "docs", "api", "reference", "guide", "tutorial", "manual",
             "getting started", "how to", "install", "introduction"),
    "service": ("contact", "about", "pricing", "services", "solutions", "privacy", "terms",
                "login", "log in", "sign in", "home", "careers", "plans", "agency", "company"),
    "forum": ("forum", "thread", "question", "reply", "discussion", "community", "topic",
              "board"),
    "product": ("buy", "shop", "price", "sale", "store", "$", "€", "£"),
}  # fmt: skip
# <meta name="generator">: the software that made the site often says what the page is
_GENERATORS = {
    "docs": ("sphinx", "docusaurus", "mkdocs", "gitbook", "vuepress", "docfx", "mintlify",
             "nextra", "starlight", "antora", "doxygen", "jsdoc", "readme", "hugo"),
    "blog": ("wordpress", "ghost", "blogger", "substack", "jekyll", "medium", "typepad"),
    "shop": ("shopify", "woocommerce", "magento", "prestashop", "bigcommerce", "opencart"),
    "forum": ("discourse", "vbulletin", "phpbb", "xenforo", "invision", "smf", "mybb",
              "flarum", "nodebb"),
    "site": ("wix", "squarespace", "webflow", "elementor", "drupal", "joomla", "framer"),
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


def _cue_counts(lowered: str, cues: dict[str, tuple[str, ...]] = _CUES) -> list[float]:
    return [float(sum(lowered.count(p) for p in phrases)) for phrases in cues.values()]


# class-name words counted over the whole page (one C-level XPath for every @class value):
# item cards and grids, forum posts, shop widgets, article furniture
_CLASS_WORDS = (
    "card", "item", "tile", "grid", "teaser", "product", "price", "cart", "comment", "reply",
    "post", "message", "thread", "user", "avatar", "pagination", "pager", "filter", "sidebar",
    "toc", "doc", "article", "byline", "author", "share", "related", "breadcrumb", "hero",
    "cta", "testimonial", "faq", "feature", "rating", "review", "vote", "quote", "signature",
)  # fmt: skip
# added in router v2: documentation themes and code highlighting, navigation, a service
# page's widgets, a listing's entry furniture
_CLASS_WORDS_2 = (
    "docs", "highlight", "hljs", "language", "admonition", "sphinx", "menu", "nav", "navbar",
    "pricing", "plan", "contact", "login", "btn", "entry", "meta", "date", "tag", "tags",
    "category", "excerpt", "summary", "archive", "widget", "list", "feed", "story",
    "headline", "thumbnail", "thumb", "media", "slider", "carousel", "logo", "social",
    "newsletter", "subscribe", "gallery", "topic", "forum",
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
# router v2 (issue 13): appended, so a model can be trained without them (columns zeroed)
ROUTER_FEATURES_2 = (
    [f"url_{w}" for w in _URL_WORDS_2]
    + [f"host_{w}" for w in _HOST_WORDS]
    + [f"title_{w}" for w in _TITLE_WORDS]
    + [f"h1_{w}" for w in _TITLE_WORDS]
    + [f"generator_{g}" for g in _GENERATORS]
    + ["title_words", "title_separators", "h1_words", "rel_next", "paged_links",
       "headline_links", "contact_links", "nav_links", "p_max", "rep_text_share",
       "rep_linked_items", "rep_item_chars", "headings_per_long_p", "linked_heading_share",
       "headline_links_per_long_p"]
    + [f"class_{w}" for w in _CLASS_WORDS_2]
    + [f"seed_cue_{c}" for c in _CUES_2]
)  # fmt: skip
ROUTER_FEATURES_1 = ROUTER_FEATURES
ROUTER_FEATURES = ROUTER_FEATURES_1 + ROUTER_FEATURES_2


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
# each XPath below is one pass over the tree (a union of two paths would be two)
_RELS = etree.XPath("//a/@rel|//link/@rel", smart_strings=False)  # 1/6 of a count() filter
_HREFS = etree.XPath("//a/@href", smart_strings=False)
# a link whose text is a headline (an item card's title), not a menu word
_HEADLINE_LINKS = etree.XPath("count(//a[string-length(normalize-space(.)) > 35])")
_NAV_LINKS = etree.XPath("count(//a[ancestor::nav or ancestor::aside])")


@dataclass(slots=True)
class _Scan:
    tags: dict[str, int]
    p_chars: int
    long_p: int
    p_max: int
    h1_text: str  # the first <h1>'s
    linked_headings: int
    articles_headed: int


def _scan(root: HtmlElement) -> _Scan:
    """Counts of the few tags the router reads, in one pass that stops only on them."""
    tags: dict[str, int] = {}
    p_chars = long_p = p_max = linked = headed = 0
    h1_text = None
    for element in root.iter(*_COUNTED):
        tag = element.tag
        tags[tag] = tags.get(tag, 0) + 1
        if tag == "p":
            n = _solid(element.text_content())
            p_chars += n
            long_p += n > 200
            p_max = max(p_max, n)
        elif tag == "h1" and h1_text is None:
            h1_text = " ".join(element.text_content().split())
        elif tag in ("h2", "h3", "h4"):
            linked += element.find(".//a") is not None
        elif tag == "article":
            headed += any(True for _ in element.iter("h2", "h3", "h4"))
    return _Scan(tags, p_chars, long_p, p_max, h1_text or "", linked, headed)


@dataclass(slots=True)
class _Repeats:
    largest: int  # most same-shape siblings under one parent
    groups: int  # parents with >= 4 same-shape children
    text_share: float  # of the page's text, in the wordiest group of linked items
    linked_items: int  # that group's items holding a link
    item_chars: float  # that group's characters per item


_CONTAINERS = ("ul", "ol", "div", "section", "tbody", "main")


def _repeats(root: HtmlElement, text_chars: int) -> _Repeats:
    """Repeated sibling structures: item cards of a listing or a grid (many siblings of one
    tag + class, each holding a link and a short text), a forum's posts, a table's rows.
    Their text is measured only for groups of >= 4 items (a page has a few dozen)."""
    largest = groups = 0
    best_chars = best_linked = best_items = 0
    for element in root.iter(*_CONTAINERS):
        if len(element) < 4:
            continue
        by_shape: dict[tuple[str, str], list[HtmlElement]] = {}
        for child in element:
            if isinstance(child.tag, str) and len(child):
                by_shape.setdefault((child.tag, child.get("class") or ""), []).append(child)
        if not by_shape:
            continue
        items = max(by_shape.values(), key=len)  # the first shape of the largest count
        top = len(items)
        if top < 4:
            continue
        groups += 1
        largest = max(largest, top)
        linked = sum(1 for item in items if next(item.iterdescendants("a"), None) is not None)
        if linked * 2 < top:
            continue  # not item cards: a menu of plain blocks, a post's paragraphs
        chars = sum(_solid(item.text_content()) for item in items)
        if chars > best_chars:
            best_chars, best_linked, best_items = chars, linked, top
    return _Repeats(
        largest,
        groups,
        min(1.0, best_chars / text_chars),
        best_linked,
        best_chars / max(1, best_items),
    )


# whole words only (a title is short: a regex costs nothing here, and "tag" must not match
# "vintage")
_TITLE_PATTERNS = {
    name: re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)")
    for name, words in _TITLE_WORDS.items()
}


def _title_words(text: str) -> list[float]:
    lowered = text.lower()
    return [float(len(p.findall(lowered))) for p in _TITLE_PATTERNS.values()]


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
    repeats = _repeats(root, text_chars)
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
        float(repeats.largest),
        float(repeats.groups),
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
    lowered, seed_lowered = text.lower(), seed.lower()
    row += _cue_counts(lowered)
    row += _cue_counts(seed_lowered)
    row += _seed_style(seed, lines)
    row += _features_2(root, parts, meta, scan, repeats, words, seed_lowered)
    return row


def _title(root: HtmlElement) -> str:
    element = next(root.iter("title"), None)  # in <head>: found at once
    return " ".join(element.text_content().split()) if element is not None else ""


def _features_2(
    root: HtmlElement,
    parts: SplitResult,
    meta: dict[str, str],
    scan: _Scan,
    repeats: _Repeats,
    class_words: Counter[str],
    seed_lowered: str,
) -> list[float]:
    """The columns of ROUTER_FEATURES_2. Their cue phrases are counted in the seed only: over
    the whole page's text (~100 KB, scripts included) 42 more `str.count`s cost ~2/3 of what
    all the other v2 features did."""
    full = (parts.path + ("?" + parts.query if parts.query else "")).lower()
    host = parts.netloc.lower().split(":")[0]
    row = [1.0 if p.search(full) else 0.0 for p in _URL_PATTERNS_2.values()]
    row += [1.0 if p.search(host) else 0.0 for p in _HOST_PATTERNS.values()]
    title = _title(root)
    h1 = scan.h1_text
    row += _title_words(title)
    row += _title_words(h1)
    generator = meta.get("generator", "")
    row += [1.0 if any(g in generator for g in group) else 0.0 for group in _GENERATORS.values()]
    tags = scan.tags
    long_p = scan.long_p + 1
    headings = tags.get("h2", 0) + tags.get("h3", 0)
    headline_links = _HEADLINE_LINKS(root)
    hrefs = _HREFS(root)
    row += [
        float(len(title.split())),
        float(sum(title.count(s) for s in (" | ", " - ", " – ", " — ", ": ", " · "))),
        float(len(h1.split())),
        float(sum(1 for rel in _RELS(root) if "next" in rel or "prev" in rel)),
        float(sum(1 for h in hrefs if "page=" in h or "/page/" in h)),
        headline_links,
        float(sum(1 for h in hrefs if h.startswith(("tel:", "mailto:")))),
        _NAV_LINKS(root),
        float(scan.p_max),
        repeats.text_share,
        float(repeats.linked_items),
        repeats.item_chars,
        headings / long_p,
        scan.linked_headings / max(1, headings),
        headline_links / long_p,
    ]
    row += [float(class_words.get(word, 0)) for word in _CLASS_WORDS_2]
    row += _cue_counts(seed_lowered, _CUES_2)
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
