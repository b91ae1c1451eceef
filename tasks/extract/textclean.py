"""Boilerplate removal for plain-text article dumps.

Some sources deliver rendered text instead of HTML (news APIs, "copy all text" dumps).
trafilatura needs markup, so plain text gets its own block-level classifier here. It
mirrors jusText (`justext/core.py`): blocks are classified context-free by length and
stopword density, then "short" and "neargood" blocks are revised by their good/bad
neighbours, the document start and end counting as bad. Before that, a few hard rules
recognise what text alone does give away: copyright and footer link lines, navigation
and teaser phrases (vocabulary after trafilatura's discard tokens), photo captions and
credits, repeated titles and pull quotes, and by-lines / end credit lines (-> authors).

Block kinds, decided before the jusText pass:
- "bad" blocks (copyright, footer link lines, navigation labels, calls to action, cookie
  banners, time stamps, by-lines) take part in the context revision as bad neighbours:
  they mark the page chrome around the article;
- "skip" blocks (captions, ad slots and embed buttons, teaser boxes, pull quotes, the title
  and its repeats, blocks without any letter or digit) are taken out before it: they
  interrupt the article without ending it, so the body on both sides still counts as one.

jusText's rules are kept, with four additions for text without markup: three sentence
paragraphs in a row are body text even when none is long; a short complete sentence next
to body text belongs to it; a sentence with few stopwords between good blocks is body
text; everything after a reader-comments heading is not. Sub-headings are ALL-CAPS lines
after the body started (jusText knows them from <h1>-<h6>).

Public API: `clean_text(raw, language=None) -> CleanText`. It never raises on a str.
"""

from __future__ import annotations

import logging
import math
import re
import string
from dataclasses import dataclass
from functools import lru_cache

import justext
from trafilatura.settings import JUSTEXT_LANGUAGES

from tasks.normalise.authors import split_names

__all__ = ["CleanText", "clean_text"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class CleanText:
    title: str | None
    text: str  # article paragraphs (incl. sub-headings) joined by "\n\n"
    authors: list[str]  # credits found in by-lines / end credit lines, e.g. ["Reuters"]


# jusText's defaults (justext/core.py).
LENGTH_LOW = 70
LENGTH_HIGH = 200
STOPWORDS_LOW = 0.30
STOPWORDS_HIGH = 0.32
MAX_HEADING_DISTANCE = 200
# A block of at least this many tokens found inside a longer block is a pull quote; below it,
# short sub-headings such as "'BAD SITUATION'" would be taken for quotes of a body sentence.
PULL_QUOTE_MIN_TOKENS = 8
# Technical prose ("Modular blockchains decouple core functions, such as consensus, ...")
# has fewer function words than jusText expects; a complete sentence this dense is near-good.
PROSE_STOPWORDS_LOW = 0.20
PROSE_RUN = 3  # sentence paragraphs in a row that make up body text by themselves ...
PROSE_RUN_NEARGOOD = 2  # ... when at least this many of them are near-good

# ISO 639-1 -> jusText stoplist name: trafilatura's table, plus the stoplists jusText ships
# for languages py3langid does not know.
_STOPLIST_NAMES = {
    **JUSTEXT_LANGUAGES,
    "fy": "West_Frisian", "ig": "Igbo", "io": "Ido", "pa": "Western_Panjabi",
    "sh": "Serbo_Croatian", "su": "Sundanese", "tk": "Turkmen", "tt": "Chuvash",
    "uz": "Uzbek", "yo": "Yoruba",
}  # fmt: skip


@lru_cache(maxsize=1)
def _all_stopwords() -> frozenset[str]:
    """All of jusText's stoplists merged (as trafilatura does): counts the function words of
    any language jusText knows. ~150,000 words, built once (~0.1 s)."""
    return frozenset().union(*(justext.get_stoplist(n) for n in sorted(justext.get_stoplists())))


@lru_cache(maxsize=256)
def _stoplist(language: str | None) -> frozenset[str]:
    """Stopwords for an ISO 639-1 code ("de", "pt-BR"); English by default, all stoplists
    merged for a language jusText has no stoplist for (e.g. zh, ja)."""
    code = (language or "en").strip().lower().replace("_", "-").split("-")[0]
    name = _STOPLIST_NAMES.get(code)
    return justext.get_stoplist(name) if name is not None else _all_stopwords()


# ---------------------------------------------------------------------------------------------
# Splitting into blocks

_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85\x1c-\x1e]")
_INVISIBLE = re.compile(r"[\u200b\u200e\u200f\u2060\ufeff\xad]")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")  # a line holding only whitespace separates blocks
_SPACES = re.compile(r"\s+")
# Hard-wrapped text keeps lines at a fixed width; browsers and APIs produce logical lines.
_WRAP_MIN_WIDTH, _WRAP_MAX_WIDTH = 40, 100


def _first_word_len(line: str) -> int:
    return len(line.split(" ", 1)[0])


def _split_blocks(raw: str) -> list[str]:
    """Blank-line separated blocks; inside them every line is a block unless hard-wrapped."""
    text = _INVISIBLE.sub("", _NEWLINES.sub("\n", raw))
    chunks = [
        [line for line in map(str.strip, chunk.split("\n")) if line]
        for chunk in _BLANK_LINE.split(text)
    ]
    # Lines that end inside a block. In hard-wrapped text (fixed width W) almost each one is
    # "full": the next line's first word would not have fitted on it.
    inner = [(c[i], c[i + 1]) for c in chunks for i in range(len(c) - 1)]
    width = max((len(a) for a, _ in inner), default=0)
    full = sum(len(a) + 1 + _first_word_len(b) > width for a, b in inner)
    wrapped = _WRAP_MIN_WIDTH <= width <= _WRAP_MAX_WIDTH and full >= 0.6 * len(inner) >= 2
    blocks: list[str] = []
    for chunk in chunks:
        if not wrapped:
            blocks.extend(chunk)
            continue
        current: list[str] = []
        for i, line in enumerate(chunk):
            current.append(line)
            nxt = chunk[i + 1] if i + 1 < len(chunk) else None
            # A line with room left for the next word ends its paragraph.
            if nxt is None or len(line) + 1 + _first_word_len(nxt) <= width:
                blocks.append(" ".join(current))
                current = []
    return [b for b in (_SPACES.sub(" ", b).strip() for b in blocks) if b]


# ---------------------------------------------------------------------------------------------
# Block features

_PUNCT = string.punctuation + "“”‘’«»„‚‹›–—―…•·¡¿"
_WORD = re.compile(r"\w+")
_ALNUM = re.compile(r"[^\W_]")
_LETTER = re.compile(r"[^\W\d_]")
# Scripts written without spaces between words (Thai, Lao, Myanmar, Khmer, kana, CJK ideographs).
_NO_SPACE_SCRIPT = re.compile(
    r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)
_CLAUSE_PUNCT = re.compile(r"[、，。！？；]")
_CLOSERS = "\"'”’»)]*"
_SENTENCE_END = frozenset(".!?…。！？")
# "...", "…" at the end of a short block: a truncated teaser, not a finished sentence.
_ELLIPSIS_END = re.compile(r"(?:\.\.\.|…)[\"'”’»)\]]*$")
# A sentence break inside a block ("crisis. It is"); "Mr. Trump" and "U.S. Army" do not count.
_INNER_SENTENCE = re.compile(r"[^\W\d_A-Z]{2,}[.!?]\s+[\"“‘']?[A-Z]")


def _ends_sentence(text: str) -> bool:
    tail = text.rstrip(_CLOSERS)
    return bool(tail) and tail[-1] in _SENTENCE_END


def _key(text: str) -> str:
    """Comparison key: lower-cased word tokens, so quotes/punctuation/case do not matter."""
    return " ".join(_WORD.findall(text.casefold()))


def _stopword_density(text: str, stoplist: frozenset[str]) -> float:
    """jusText's share of stopwords among the words, punctuation around a word ignored."""
    words = text.lower().replace("’", "'").split()
    if not words:
        return 0.0
    return sum(1 for w in words if w.strip(_PUNCT) in stoplist) / len(words)


@dataclass(slots=True)
class _Block:
    text: str
    words: list[str]
    key: str
    length: int  # characters, as jusText measures it (doubled for scripts without spaces)
    density: float
    heading: bool
    kind: str = ""  # "", "bad" (hard rule: page chrome) or "skip" (left out of the context pass)
    cf: str = ""  # context-free class: short | neargood | good | bad
    cls: str = ""  # final class: good | bad


def _make_block(text: str, stoplist: frozenset[str]) -> _Block:
    words = text.split()
    if len(_NO_SPACE_SCRIPT.findall(text)) * 2 > len(text):
        # Chinese, Japanese, Thai...: no spaces, so no words to look up in a stoplist. A
        # character there carries about what a short word does elsewhere, and prose is what
        # has clause punctuation: that stands in for the stopword density.
        length = 2 * len(text)
        density = STOPWORDS_HIGH if _CLAUSE_PUNCT.search(text) else 0.0
    else:
        length = len(text)
        density = _stopword_density(text, stoplist)
    return _Block(text, words, _key(text), length, density, _is_caps_heading(text, words))


def _is_sentence(b: _Block) -> bool:
    """A complete sentence: capital or quote first, sentence punctuation last, a few words."""
    first = b.text.lstrip("\"'“‘«„(")[:1]
    return len(b.words) >= 4 and (first.isupper() or first.isdigit()) and _ends_sentence(b.text)


def _is_caps_heading(text: str, words: list[str]) -> bool:
    """Wire-style sub-heading: short, ALL CAPS, no sentence punctuation ('BAD SITUATION')."""
    return (
        2 <= len(words) <= 12
        and text == text.upper()
        and sum(c.isupper() for c in text) >= 4
        and not _ends_sentence(text)
    )


# ---------------------------------------------------------------------------------------------
# Hard rules. Vocabulary: trafilatura's discard tokens (xpaths.py: nav, menu, share, social,
# newsletter, related, most-popular, more-on, footer, cookie, consent, ad, sponsored, tags)
# spelled as the visible labels those page parts carry.

_I = re.IGNORECASE
# Copyright lines: jusText drops any block with "©"; "Copyright ..." / "All rights reserved" too.
_COPYRIGHT = re.compile(
    r"©|&copy\b|\(c\)\s*(?:\d{4}|copyright)|^copyright\b|\ball rights reserved\b", _I
)
_COPYRIGHT_HINT = re.compile(r"©|&copy|\(c\)|copyright|rights reserved")  # cheap pre-check
# Photo agencies and libraries that appear as bare credits: "(AP)", "(Getty Images)".
_AGENCY = (
    r"(?:AP|PA|AFP|EPA|UPI|ANP|ANSA|AAP|dpa|DPA|TASS|Xinhua|Reuters|Getty(?: Images)?|"
    r"Shutterstock|Alamy|iStock(?:photo)?|Bloomberg|Corbis|Rex(?: Features| Shutterstock)?|"
    r"NurPhoto|SOPA Images|Sipa(?: USA)?|Handout|Supplied|Pool|File|Associated Press|"
    r"PA (?:Wire|Media|Archive)|Press Association)"
    r"(?: Photos?| Images?| via Getty(?: Images)?| Wire)?"
)
_AGENCY_ONLY = re.compile(_AGENCY, _I)
# Caption ending in a credit: "(Efrem Lukatsky/AP)", "(AP)", "(Getty Images)".
_PAREN_END = re.compile(r"[(\[]([^()\[\]]{1,80})[)\]]$")  # "(...)" or "[...]" closing the block
_SLASH_CREDIT = re.compile(r"[^/]*[A-Z][^/]*/\s*[A-Z][^/]*")  # "Name/Agency", "AP Photo/Name"
_PAREN_CREDIT = re.compile(
    rf"(?:(?:File|Photo|Picture|Image)(?: photo)?:\s*)?(?:{_AGENCY}(?:/.*)?|"
    r"Twitter|Instagram|Facebook|YouTube|TikTok)"
)
# "© Reuters / David Mercado" closing a caption (a copyright credit, not a site footer).
_COPYRIGHT_CREDIT = re.compile(rf"©\s*(?:[^©/]+/[^©/]+|{_AGENCY})$")
# Caption/credit labels: "Picture: AP Photo/...", "Photograph: AFP via Getty", "Image: ...".
# Labels are capitalised ("Picture:", "PHOTO:"): "with the caption: ..." in a sentence is no label.
_LABELS = ("Picture", "Pic", "Photo", "Photograph", "Image", "Credit", "Illustration", "Caption")
_CAPTION_LABEL = re.compile(
    rf"\b(?:{'|'.join(w + '|' + w.upper() for w in _LABELS)})[sS]?"
    r"(?: (?:credit|caption|copyright|CREDIT|CAPTION|COPYRIGHT))?\s*:\s*\S"
)
_CAPTION_PREFIX = re.compile(r"(?:image|photo|picture|media) (?:copyright|caption|credit)\b", _I)
_CAPTION_MAX_CHARS = 400  # a caption is a sentence or two; longer blocks are never dropped as one
# Ad slots and the buttons of embedded posts interrupt the body without ending it.
_INTERRUPTION = re.compile(
    r"(?:advertisement|advertising|advert|ad|sponsored(?: content| links| stories)?|"
    r"promoted(?: content| stories)?|paid (?:content|post)|"
    r"(?:story|article) continues below(?: advertisement)?|"
    r"continue reading(?: the main story| below)?|report(?: this)?(?: post| ad)?|embed|"
    r"view (?:this post )?on (?:twitter|instagram|facebook|youtube|tiktok))",
    _I,
)
# Headings that introduce a list of links to other pages (related/teaser boxes).
_TEASER_HEAD = re.compile(
    r"(?:more (?:in|on|from)(?: [\w' &-]{1,30})?|more stories|more news|"
    # "More Serious Eats Recipes", "Other interesting articles", "Recent posts"
    r"(?:more|other|recent|similar|popular|latest|featured)(?: [\w'&-]+){0,3}? "
    r"(?:articles|stories|posts|recipes|guides|reviews|reads)|"
    r"related(?: articles| stories| news| content| links| topics| coverage| posts| reading)?|"
    r"read (?:next|more|also)|see also|also read|what to read next|keep reading|"
    r"most (?:read|popular|viewed|shared|commented|watched)(?: today| now| stories| articles)?|"
    r"trending(?: now| stories)?|top stories|popular(?: now| stories)?|latest(?: news| stories)?|"
    r"recommended(?: for you| stories| reading| articles)?|"
    r"(?:you|we think you) (?:may|might) (?:also )?(?:like|enjoy|be interested in)|"
    r"don'?t miss|editor'?s picks?|in other news|elsewhere on [\w' .-]{1,30}|"
    r"(?:must|just) watch(?:ed)?|(?:more|latest|top|related) videos|watch next|up next)",
    _I,
)
# A bare label ending in a colon introduces a list too: "More:", "See also:".
_LIST_LABEL = re.compile(r"(?:more|also|see|read|watch|listen)\s*:", _I)
# Stand-alone page-chrome labels: skip links, menus, account, sharing, footer items.
_NAV_PHRASE = re.compile(
    r"(?:skip to (?:main )?content|skip (?:to )?navigation|jump to (?:main )?content|"
    r"back to top|go to top|accessibility(?: links| help)?|(?:main |open |close )?menu|close|"
    r"search(?: [\w' ]{1,25})?|sign in|log ?in|sign out|log ?out|register|my account|"
    r"sign up|subscribe(?: now)?|home(?:page)?|(?:go )?back to home|"
    r"share(?: this| the)?(?: article| story| page| post| link)?(?: (?:on|via|with) \w+)?|"
    r"tweet|pin it|e-?mail|print|copy(?: this)? link|copy|reuse this content|"
    r"(?:\d+ )?comments?(?: \(\d+\))?|leave a comment|(?:show|view) comments|"
    r"report (?:a comment|abuse)|get short url|enlarge(?: image)?|"
    r"(?:view|see|show|load) (?:all|more|less)(?: \(\d+\))?|next|previous|"
    r"(?:next|previous) (?:article|story|post)|read (?:more|less)|expand|collapse|"
    r"privacy(?: policy| notice| settings| options)?|cookies?(?: policy| settings| preferences)?|"
    r"terms(?: of (?:use|service))?|terms (?:and|&) conditions|contact(?: us| info)?|"
    r"about(?: us)?|site ?map|careers|advertise(?: with us)?|faq|help|rss(?: feeds?)?|"
    r"(?:email )?newsletters?|topics|tags|sections|features|explore)",
    _I,
)
# The heading of a reader-comment section; comments are prose, but not the article's.
_COMMENTS_HEAD = re.compile(
    r"(?:\d+ |top rated |reader |readers' |most recent |featured |show |view |read all )?"
    r"(?:comments?|responses?|replies|thoughts)(?: \(\d+\))?(?: (?:to|on) .+)?|"
    r"leave a (?:reply|comment)|join the (?:discussion|conversation)|discussion|"
    r"what do you think\?",
    _I,
)
_CHROME_STRIP = " :|>»›<«‹→←·•-–—*#"
# A short block opening with a navigation label: "Read more: ...", "Also on rt.com ...".
_NAV_LABEL = re.compile(
    r"^(?:(?:read more|read also|also read|related|see also|more|watch|listen|"
    r"recommended|trends?|trending|tags?|topics?|categor(?:y|ies)|filed under|posted in)"
    r"\s*[:|]|also on \S+\s|filed under\b|share\b|read more\b|"
    r"(?:previous|next) (?:article|story|post)\b)",
    _I,
)
_NAV_LABEL_MAX_WORDS = 25
# Calls to action: "Sign up to our newsletter", "Follow us on Twitter", "Share it with a friend",
# "Follow our coverage at https://...".
_CTA = re.compile(
    r"^(?:sign up|subscribe|follow|like|join|download|get|listen|watch|click|tap|read|share|"
    r"visit|go to|find|chat)\b"
    r"(?=.*(?:newsletter|podcast|facebook|twitter|instagram|youtube|tiktok|linkedin|whatsapp|"
    r"telegram|messenger|https?:|www\.|\b(?:apps?|alerts?|notifications|rss|friends?)\b))",
    _I,
)
_CTA_MAX_WORDS = 25
# Cookie / consent banners.
_CONSENT = re.compile(
    r"\bcookies?\b.*\b(?:we use|(?:this|our) (?:web)?site|accept|consent|preferences|settings)"
    r"|\b(?:we use|(?:this|our) (?:web)?site uses?|accept(?: all)?)\b.*\bcookies?\b",
    _I,
)
_CONSENT_MAX_WORDS = 80
# Affiliate and editorial-independence disclosures: "We may earn a commission from links on
# this page", "We independently test everything we recommend", "As an Amazon Associate".
_DISCLOSURE = re.compile(
    r"\b(?:we|i) (?:may )?(?:earn|receive|get|make)(?: an?| small)? (?:affiliate )?"
    r"(?:commissions?|compensation)\b|"
    r"\b(?:we|our editors) independently (?:test|evaluate|review|research|select|choose)|"
    r"\bproducts (?:are|were) (?:chosen|selected) independently\b|"
    r"\breader-supported\b|\bas an (?:amazon associate|affiliate)\b|"
    r"\baffiliate (?:disclosure|disclaimer|marketer)\b|\badvertiser disclosure\b",
    _I,
)
_DISCLOSURE_MAX_WORDS = 60
# Words of footer link lines ("Cookie Policy Privacy Policy ... Contact Us Terms").
_FOOTER_WORD = re.compile(
    r"\b(?:privacy|cookies?|terms|conditions|contact|about us|sitemap|site map|faq|help|"
    r"advertise|careers|accessibility|newsletters?|subscriptions?|imprint|impressum|"
    r"disclaimer|copyright|feedback|rss|safety)\b",
    _I,
)
# Time stamps: "Published 2:16 AM EST Nov 20, 2019", "20 Nov, 2019 05:47", "11/20/2019 01:14 PM".
_MONTH = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DAY = (
    r"mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:rs(?:day)?)?|fri(?:day)?|"
    r"sat(?:urday)?|sun(?:day)?"
)
_TIMESTAMP = re.compile(
    rf"(?:(?:published|updated|posted|last updated|modified|on|at|{_MONTH}|{_DAY}|"
    r"\d{1,4}(?:st|nd|rd|th|[ap]\.?m\.?)?|[ap]\.?m\.?|(?-i:[A-Z]{2,4})|today|yesterday|ago|"
    r"hours?|hrs?|minutes?|mins?|days?|weeks?)\b\.?|[\s,:/|•·–—()-])+",
    _I,
)
_TIMESTAMP_MAX_CHARS = 80
_DIGIT = re.compile(r"\d")
_SENTENCE_PUNCT = re.compile(r"[.!?…][\"'”’»)\]*]*(?:\s|$)")
_LIST_SEPARATORS = re.compile(r"\s[|•·/]\s")
# Words a Title-Case link line leaves in lower case.
_CONNECTORS = frozenset({"and", "&", "of", "the", "to", "for", "in", "on", "with", "a", "or"})


def _is_link_line(text: str, words: list[str], density: float) -> bool:
    """A run of Title-Case link labels: no sentence punctuation, footer words or no stopwords."""
    if len(words) < 4 or _SENTENCE_PUNCT.search(text):
        return False
    items = _LIST_SEPARATORS.split(text)
    if len(items) >= 3 and all(len(i.split()) <= 4 for i in items):
        return True  # "Terms | Privacy | Sitemap"
    cased = [w for w in words if w[:1].isalpha() and w.lower() not in _CONNECTORS]
    if not cased or sum(w[0].isupper() for w in cased) < 0.8 * len(cased):
        return False
    footer_words = {m.lower() for m in _FOOTER_WORD.findall(text)}
    return len(footer_words) >= 2 or (len(words) >= 8 and density == 0)


def _caption_rule(text: str, n_words: int) -> bool:
    """Photo captions and credits."""
    if len(text) > _CAPTION_MAX_CHARS:
        return False
    paren = _PAREN_END.search(text) if text[-1] in ")]" else None
    if paren and (_SLASH_CREDIT.fullmatch(paren[1]) or _PAREN_CREDIT.fullmatch(paren[1])):
        return True
    if (":" in text and _CAPTION_LABEL.search(text)) or _CAPTION_PREFIX.match(text):
        return True  # "... Picture: AP Photo/...", "Image copyright Getty Images"
    if n_words >= 4 and "©" in text and _COPYRIGHT_CREDIT.search(text):
        return True  # "<caption>. © Reuters / David Mercado"
    return _AGENCY_ONLY.fullmatch(text.rstrip(".")) is not None  # a bare "Shutterstock"


# ---------------------------------------------------------------------------------------------
# Credits

_DASH_CREDIT = re.compile(r"^[-–—―‒]\s*(?P<names>[^\d@:/]{2,80})$")
# "By Jane Doe", also after a word: "Analysis by ...", "Words by ...", "Reported by ..."; a
# photo credit ("Photo by ...") or an editor ("Edited by ...") is no author.
_BYLINE = re.compile(
    r"^(?!(?:Photo|Photograph|Picture|Image|Illustration|Video|Graphic|Edited)s? )"
    r"(?:[A-Z][a-z]+ )?(?i:by)\s+(?P<names>.+)$"
)
# Job titles after the name ("Chris Cillizza, CNN Editor-at-large") are not names.
_ROLE = re.compile(
    r"\b(?:editor|correspondent|reporter|writer|columnist|contributor|staff|critic|"
    r"producer|analyst|journalist)",
    _I,
)
_REPORTING = re.compile(
    r"^\(?(?:additional )?(?:reporting|writing|research)\s+by\s+(?P<names>[^;()]+)", _I
)
_PLACE_SUFFIX = re.compile(r"\s+in\s+[A-Z].*$")
_NAME_PARTICLES = frozenset(
    {"de", "da", "di", "del", "della", "van", "von", "der", "den", "la", "le", "du", "bin", "al"}
    | {"el", "ter", "ten", "y", "e", "dos", "das", "st", "st."}
)
_CREDIT_MAX_WORDS = 12
_NAME_STRIP = _PUNCT.replace(".", "").replace("'", "") + " "  # keep "J." and "O'Neil"


def _names(part: str) -> list[str] | None:
    """Split a credit into names; None unless every piece looks like a name or an agency."""
    names: list[str] = []
    for piece in split_names(_PLACE_SUFFIX.sub("", part.strip())):
        piece = piece.strip(_NAME_STRIP).rstrip(".")
        if not piece:
            continue
        words = piece.split()
        if names and _ROLE.search(piece):
            continue  # "Jane Doe, Political Editor"
        if not 1 <= len(words) <= 5 or any(c.isdigit() for c in piece):
            return None
        if not all(w[:1].isupper() or w.lower() in _NAME_PARTICLES for w in words):
            return None
        if piece.isupper() and any(len(w) > 3 for w in words):
            # "DANICA KIRKA" -> "Danica Kirka"; agency acronyms ("AP", "BBC") stay upper case.
            piece = " ".join(w if len(w) <= 3 else w.capitalize() for w in words)
        names.append(piece)
    return names or None


def _dash_credit(text: str, n_words: int) -> list[str] | None:
    """End credit line: "- Reuters and Associated Press", "— AP"."""
    m = _DASH_CREDIT.match(text)
    if m is None or n_words > _CREDIT_MAX_WORDS:
        return None
    return _names(m["names"])


def _byline(text: str, n_words: int) -> list[str] | None:
    """By-line: "By Jane Doe", "By DANICA KIRKA and JILL LAWLESS"."""
    m = _BYLINE.match(text)
    if m is None or n_words > _CREDIT_MAX_WORDS:
        return None
    return _names(m["names"])


def _reporting_credit(text: str, n_words: int) -> list[str] | None:
    """Wire end credit: "Reporting by Jane Doe in Kyiv; Editing by John Roe" (editors left out)."""
    if n_words > 3 * _CREDIT_MAX_WORDS:
        return None
    names: list[str] = []
    for part in text.split(";"):
        m = _REPORTING.match(part.strip())
        if m is not None:
            names.extend(_names(m["names"]) or [])
    return names or None


# ---------------------------------------------------------------------------------------------
# The classifier


def _hard_kind(b: _Block) -> str:
    """Classify what the hard rules recognise; '' leaves the block to the jusText pass."""
    text, n = b.text, len(b.words)
    if not _ALNUM.search(text):
        return "skip"  # separators such as "___" or "|" carry no text
    bare = text.strip(_CHROME_STRIP)
    if _INTERRUPTION.fullmatch(bare):
        return "skip"  # an ad slot or an embed's button inside the body does not end the body
    if _caption_rule(text, n):
        return "skip"  # captions sit inside the body but are not part of it
    low = text.lower()
    if (
        len(text) < 2 * _CAPTION_MAX_CHARS
        and _COPYRIGHT_HINT.search(low)
        and _COPYRIGHT.search(text)
    ):
        return "bad"  # copyright notices close the page
    if _NAV_PHRASE.fullmatch(bare):
        return "bad"  # a page-chrome label
    if len(text) <= _TIMESTAMP_MAX_CHARS and _DIGIT.search(text) and _TIMESTAMP.fullmatch(text):
        return "bad"  # a time stamp is page metadata, around the article or a teaser
    if _byline(text, n) is not None:
        return "bad"  # a by-line: page metadata (in the lead it also names the authors)
    if n <= _NAV_LABEL_MAX_WORDS and _NAV_LABEL.match(text):
        return "bad"  # an inline teaser such as "Read more: <headline>"
    if n <= _CTA_MAX_WORDS and _CTA.match(text):
        return "bad"  # newsletter/social call to action
    if n <= _CONSENT_MAX_WORDS and "cookie" in low and _CONSENT.search(text):
        return "bad"  # cookie banner
    if n <= _DISCLOSURE_MAX_WORDS and _DISCLOSURE.search(text):
        return "skip"  # an affiliate disclosure: above or below the body, or inside it
    if _is_link_line(text, b.words, b.density):
        return "bad"  # footer/navigation link line
    return ""


def _mark_teaser_boxes(blocks: list[_Block]) -> None:
    """A teaser heading ("More from UK", "Related") and the headline-like blocks after it.

    The box is left out of the context pass: boxes sit inside articles as often as after them,
    and the body on both sides of one should still see each other as neighbours.
    """
    in_box = False
    for b in blocks:
        if _TEASER_HEAD.fullmatch(b.text.strip(_CHROME_STRIP)) or _LIST_LABEL.fullmatch(b.text):
            b.kind = "skip"
            in_box = True
            continue
        if not in_box or b.kind == "skip":
            continue
        headline_like = b.length < LENGTH_HIGH and not b.heading
        if headline_like and (not _ends_sentence(b.text) or _ELLIPSIS_END.search(b.text)):
            b.kind = "skip"
        else:
            in_box = False


def _mark_pull_quotes(blocks: list[_Block]) -> None:
    """A block repeated inside a longer block is a pull quote: keep only the longer one."""
    tokens = [b.key.split(" ") for b in blocks]
    firsts = {
        (toks[0], toks[1])
        for b, toks in zip(blocks, tokens, strict=True)
        if not b.kind and len(toks) >= PULL_QUOTE_MIN_TOKENS
    }
    # Blocks by the token pairs they contain: a pull quote's first pair leads to its source.
    index: dict[tuple[str, str], list[int]] = {}
    for i, toks in enumerate(tokens):
        if blocks[i].kind != "bad" and len(toks) > PULL_QUOTE_MIN_TOKENS:
            for pair in firsts.intersection(zip(toks, toks[1:], strict=False)):
                index.setdefault(pair, []).append(i)
    for i, (b, toks) in enumerate(zip(blocks, tokens, strict=True)):
        if b.kind or len(toks) < PULL_QUOTE_MIN_TOKENS:
            continue
        needle = f" {b.key} "
        for j in index.get((toks[0], toks[1]), ()):
            other = blocks[j]
            if j != i and len(other.key) > len(b.key) and needle in f" {other.key} ":
                b.kind = "skip"
                break


def _classify(blocks: list[_Block]) -> None:
    """jusText's context-free classification (the hard rules replace its link density)."""
    for b in blocks:
        length = b.length
        if b.kind == "bad":
            b.cf = "bad"
        elif length < LENGTH_LOW:
            b.cf = "short"
        elif b.density >= STOPWORDS_HIGH:
            b.cf = "good" if length > LENGTH_HIGH else "neargood"
        elif b.density >= STOPWORDS_LOW or (b.density >= PROSE_STOPWORDS_LOW and _is_sentence(b)):
            b.cf = "neargood"
        else:
            b.cf = "bad"


def _promote_prose_runs(blocks: list[_Block]) -> None:
    """Three sentence paragraphs in a row are body text even when none is long (BBC-style
    one-sentence paragraphs); jusText would only keep them next to a block over LENGTH_HIGH
    characters. Members: near-good blocks and short complete sentences."""
    start = 0
    for i in range(len(blocks) + 1):
        if i < len(blocks) and (
            blocks[i].cf == "neargood" or (blocks[i].cf == "short" and _is_sentence(blocks[i]))
        ):
            continue
        run = [b for b in blocks[start:i] if b.cf == "neargood"]
        if i - start >= PROSE_RUN and len(run) >= PROSE_RUN_NEARGOOD:
            for b in run:
                b.cf = "good"
        start = i + 1


def _neighbours(classes: list[str], wanted: frozenset[str]) -> tuple[list[str], list[str]]:
    """For every block, the class of the nearest block before/after it whose class is wanted."""
    n = len(classes)
    prev, nxt = ["bad"] * n, ["bad"] * n  # the document start and end count as bad
    last = "bad"
    for i in range(n):
        prev[i] = last
        if classes[i] in wanted:
            last = classes[i]
    last = "bad"
    for i in range(n - 1, -1, -1):
        nxt[i] = last
        if classes[i] in wanted:
            last = classes[i]
    return prev, nxt


_GOOD_BAD = frozenset({"good", "bad"})
_GOOD_BAD_NEAR = frozenset({"good", "bad", "neargood"})


def _chars_to_next_good(blocks: list[_Block], classes: list[str]) -> list[float]:
    """For every block, the characters between it and the next good block (inf: none)."""
    distance = [math.inf] * len(blocks)
    for i in range(len(blocks) - 2, -1, -1):
        nxt = i + 1
        distance[i] = 0 if classes[nxt] == "good" else len(blocks[nxt].text) + distance[nxt]
    return distance


def _revise(blocks: list[_Block]) -> None:
    """jusText's context-sensitive revision (revise_paragraph_classification), in linear time."""
    classes = [b.cf for b in blocks]
    # Short headings at most MAX_HEADING_DISTANCE characters before good text are near-good.
    # jusText knows headings from <h1>-<h6>; in text an ALL-CAPS line before the body is as
    # often a kicker or a credit ("ITV, ASSOCIATED PRESS"), so only sub-headings count.
    seen = [False] * len(blocks)
    for i in range(1, len(blocks)):
        seen[i] = seen[i - 1] or classes[i - 1] in ("good", "neargood")
    heading = [b.heading and seen[i] for i, b in enumerate(blocks)]
    to_good = _chars_to_next_good(blocks, classes)
    for i in range(len(blocks)):
        if heading[i] and classes[i] == "short" and to_good[i] <= MAX_HEADING_DISTANCE:
            classes[i] = "neargood"
    # Short blocks take the class of their good/bad neighbours; mixed: good if next to neargood.
    prev, nxt = _neighbours(classes, _GOOD_BAD)
    prev_n, nxt_n = _neighbours(classes, _GOOD_BAD_NEAR)
    new = list(classes)
    for i, c in enumerate(classes):
        if c != "short":
            continue
        if prev[i] == nxt[i]:
            new[i] = prev[i]
        elif "good" in (prev[i], nxt[i]) and _is_sentence(blocks[i]):
            new[i] = "good"  # a complete sentence next to body text opens or closes it
        elif (prev[i] == "bad" and prev_n[i] == "neargood") or (
            nxt[i] == "bad" and nxt_n[i] == "neargood"
        ):
            new[i] = "good"
        else:
            new[i] = "bad"
    classes = new
    # Near-good blocks are good unless both neighbours are bad.
    prev, nxt = _neighbours(classes, _GOOD_BAD)
    for i, c in enumerate(classes):
        if c == "neargood":
            classes[i] = "bad" if prev[i] == nxt[i] == "bad" else "good"
    # A sentence the stopword test rejected (name-heavy: "Senator Elizabeth Warren and ...")
    # is body text when good text surrounds it; jusText's bad blocks are mostly link lists.
    prev, nxt = _neighbours(classes, _GOOD_BAD)
    for i, b in enumerate(blocks):
        if b.cf == "bad" and not b.kind and prev[i] == nxt[i] == "good" and _is_sentence(b):
            classes[i] = "good"
    # Headings demoted by context come back when good text follows them.
    to_good = _chars_to_next_good(blocks, classes)
    for i, b in enumerate(blocks):
        if (
            heading[i]
            and classes[i] == "bad"
            and b.cf != "bad"
            and to_good[i] <= MAX_HEADING_DISTANCE
        ):
            classes[i] = "good"
    for b, c in zip(blocks, classes, strict=True):
        b.cls = c


# An author's bio closing the article: "Kelia Losa Reinoso is a content writer at Tastewise
# with ...", "Chris Toy is the CEO and co-founder of ...".
_AUTHOR_BIO = re.compile(
    r"^(?:[A-Z][\w'’.-]+ ){1,3}(?:is|was|has been) (?:an?|the) (?:[\w-]+ ){0,4}?"
    r"(?:writer|editor|journalist|reporter|author|contributor|columnist|researcher|expert|"
    r"specialist|strategist|consultant|founder|co-founder|ceo|director|manager|marketer)\b"
)
_BIO_MAX_WORDS = 80
_BIO_TAIL = 3  # a bio is one of the last good blocks


def _cut_author_bio(blocks: list[_Block]) -> None:
    """An author bio among the article's last good blocks is page furniture, not body."""
    good = [b for b in blocks if b.cls == "good"]
    for b in good[-_BIO_TAIL:]:
        if len(b.words) <= _BIO_MAX_WORDS and _AUTHOR_BIO.match(b.text):
            b.cls = "bad"


def _cut_comments(blocks: list[_Block]) -> None:
    """Everything after a comment-section heading that follows the body is reader comments."""
    seen_good = False
    for i, b in enumerate(blocks):
        seen_good = seen_good or b.cls == "good"
        if (
            seen_good
            and len(b.words) <= 12
            and _COMMENTS_HEAD.fullmatch(b.text.strip(_CHROME_STRIP + "[]"))
        ):
            for later in blocks[i:]:
                later.cls = "bad"
            return


def _is_headline(b: _Block) -> bool:
    """Title-like: a few words, no sentence-final full stop, no second sentence, no handle/URL."""
    text = b.text
    if _NO_SPACE_SCRIPT.search(text):  # Chinese, Japanese, Thai...: no words to count
        enough = 5 <= len(text) <= 100
    else:
        enough = 3 <= sum(1 for w in b.words if _LETTER.search(w)) <= 30
    return (
        enough
        and len(text) <= 250
        and text.rstrip(_CLOSERS)[-1:] not in ".,;:"
        and not _INNER_SENTENCE.search(text)
        and "@" not in text
        and "http" not in text
    )


def _first_block_title(blocks: list[_Block]) -> str | None:
    """Dumps open with the headline: the first block is the title when it reads as one."""
    first = blocks[0]
    return first.text if not first.kind and _is_headline(first) else None


def _lead_title(blocks: list[_Block]) -> str | None:
    """Otherwise (page chrome first): the longest headline-like block before the body."""
    candidates = []
    for b in blocks:
        if b.cls == "good":
            break
        if not b.kind and _is_headline(b):  # by-lines and time stamps are kind "bad"
            candidates.append(b.text)
    return max(candidates, key=len, default=None)


def _take_credits(body: list[_Block]) -> list[str]:
    """By-lines before the first good block and end credit lines after the last one are
    credits: their names become the authors and the lines leave the text."""
    credit_at: dict[int, list[str]] = {}
    for i, b in enumerate(body):
        names = _dash_credit(b.text, len(b.words)) or _reporting_credit(b.text, len(b.words))
        if names:
            credit_at[i] = names
    good = [i for i, b in enumerate(body) if b.cls == "good" and i not in credit_at]
    first_good = good[0] if good else len(body)
    last_good = good[-1] if good else -1
    authors: list[str] = []
    for i, b in enumerate(body):
        if i < first_good:
            names = _byline(b.text, len(b.words))
        elif i > last_good:
            names = credit_at.get(i)
        else:
            names = None
        if names:
            b.cls = "bad"
            authors.extend(n for n in names if n not in authors)
    return authors


def _clean(raw: str, language: str | None) -> CleanText:
    stoplist = _stoplist(language)
    blocks = [_make_block(text, stoplist) for text in _split_blocks(raw)]
    if not blocks:
        return CleanText(None, "", [])
    for b in blocks:
        b.kind = _hard_kind(b)
    _mark_teaser_boxes(blocks)
    # Dumps repeat the title: when the first block is one, every copy of it leaves the body.
    title = _first_block_title(blocks)
    if title is not None:
        title_key = _key(title)
        for b in blocks:
            if b.key == title_key:
                b.kind = "skip"
    _mark_pull_quotes(blocks)

    body = [b for b in blocks if b.kind != "skip"]
    _classify(body)
    _promote_prose_runs(body)
    _revise(body)
    _cut_comments(body)
    _cut_author_bio(body)
    if not any(b.cls == "good" for b in body):
        # Too short for context (a clean one-paragraph text): keep what reads as prose.
        for b in body:
            if b.cf in ("good", "neargood"):
                b.cls = "good"
    if title is None:
        title = _lead_title(blocks)
        if title is not None:
            title_key = _key(title)
            for b in body:
                if b.key == title_key:
                    b.cls = "bad"

    authors = _take_credits(body)

    # Exact repeats: the first good copy stays.
    seen: set[str] = set()
    paragraphs = []
    for b in body:
        if b.cls == "good" and b.key not in seen:
            seen.add(b.key)
            paragraphs.append(b.text)
    return CleanText(title, "\n\n".join(paragraphs), authors)


def clean_text(raw: str, language: str | None = None) -> CleanText:
    """Strip boilerplate from a plain-text article dump.

    `language` is an ISO 639-1 hint choosing the jusText stoplist (English by default; a
    language without a stoplist uses all of them). Never raises on a str.
    """
    if not isinstance(raw, str):
        raise TypeError(f"clean_text expects str, got {type(raw).__name__}")
    try:
        return _clean(raw, language)
    except Exception:  # a bug here must not take a batch down: log it, return no text
        log.exception("clean_text failed on a %d-character input", len(raw))
        return CleanText(None, "", [])
