"""Turn an article's HTML body into clean plain text.

lxml's HTML parser reads the body (in C, forgiving of broken markup) and hands its tags and text straight
to html2text, which does the layout (paragraphs, lists, line breaks) without tokenizing the HTML a second
time in Python. On the way, the parts that are never text (scripts, styles, frames) are left out, and so
are the inline tags that only style text. The Markdown html2text would add is then taken off again, so the
stored text has no ``**``, ``[...](...)`` or ``\\_`` in it. Entities are decoded exactly once, by lxml;
nothing decodes html2text's output again.
"""

from __future__ import annotations

import re
import threading
from html import unescape

import html2text
from lxml import etree

NEVER_TEXT = frozenset({"script", "style", "iframe", "frame", "frameset", "noscript", "object", "embed", "template",
                        "svg", "math", "head", "form", "button", "select", "textarea", "video", "audio", "canvas"})
# Empty in HTML, but lxml reports the text after it as inside it, up to its parent's end: not hidden alone.
VOID_NEVER_TEXT = frozenset({"embed"})
# Blocks html2text does not know (it knows <p> and <div>): passed on as <div>, or their text would run into
# the next block's ("Photo: PTIIndia's exports rose").
BLOCKS = frozenset({"article", "section", "header", "footer", "aside", "nav", "main", "figure", "figcaption",
                    "address", "center", "details", "summary", "hgroup", "fieldset", "legend", "caption"})
# Inline tags that only style text (and the document wrappers lxml adds). html2text is told to ignore
# emphasis, so they would change nothing in the output, but CMS bodies wrap every paragraph in them and
# html2text pays per tag; <del> and <s> would even come out as "~~".
# <strike>, <code>, <tt> and <kbd> would come out as "~~" and "`".
STYLE_ONLY = frozenset({"span", "font", "strong", "b", "em", "i", "u", "small", "big", "mark", "abbr", "cite", "ins",
                        "del", "s", "strike", "sub", "sup", "code", "tt", "kbd", "html", "body"})
CELLS = frozenset({"td", "th"})  # html2text puts each table row on its own line but runs its cells together

_HEADING = re.compile(r"^#{1,6}\s+")
_QUOTE = re.compile(r"^(?:>\s?)+")
_BULLET = re.compile(r"^(\s*)[*+-]\s+")
_RULE = re.compile(r"^\s*(?:\* ?){3,}$|^\s*-{3,}\s*$")
# Invisible characters go; every other kind of space becomes a plain one (so a line needs folding only
# where it has two spaces together, or one at an end).
_TIDY = str.maketrans({**dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad"),
                       **dict.fromkeys("\t\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\u00a0\u1680\u2000\u2001\u2002\u2003\u2004"
                                       "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000", " ")})


class _PlainText(html2text.HTML2Text):
    """html2text without its Markdown escaping of the text (``\\_``, ``1\\.``): we want the text as written.

    html2text skips the escaping for data that came from an entity; all data is treated so here.
    """

    def handle_data(self, data: str, entity_char: bool = False) -> None:
        super().handle_data(data, entity_char=True)

    def o(self, data: str, puredata: bool = False, force: bool | str = False) -> None:
        """html2text folds each run of spaces in text with ``re.sub(r"\\s+", " ", ...)``, a match per space:
        a sixth of the whole ingest's time. Folded here with ``str.split`` instead (the same spaces), with
        html2text's own handling of a leading space kept; the text then passes as already folded."""
        if puredata and not self.pre and not self.quiet and data:
            folded = " ".join(data.split())
            if data[0].isspace():
                self.space = True
            if folded and data[-1].isspace():
                folded += " "
            data, puredata = folded, False
        super().o(data, puredata, force)


def _converter() -> html2text.HTML2Text:
    converter = _PlainText()
    converter.body_width = 0
    converter.unicode_snob = True
    converter.ignore_links = True
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_tables = True
    converter.ignore_mailto_links = True
    converter.single_line_break = False
    return converter


class _Layout:
    """An lxml parser target that feeds html2text: ``markdown(html)`` is html2text's output for the body.

    Text that lxml reports in pieces (around an entity, or around a style-only tag left out) goes to
    html2text as one piece: it pays per call.
    """

    def __init__(self):
        self.parser = etree.HTMLParser(target=self, remove_comments=True, remove_pis=True, no_network=True)
        self.converter, self.hidden, self.text = _converter(), 0, []

    def markdown(self, html: str) -> str:
        self.converter, self.hidden, self.text = _converter(), 0, []
        self.parser.feed(html)
        self.parser.close()
        return self.converter.optwrap(self.converter.finish())

    def _flush(self) -> None:
        if self.text:
            self.converter.handle_data("".join(self.text))
            self.text = []

    def _tag(self, tag: str, attrib, start: bool) -> None:
        self._flush()
        self.converter.handle_tag(tag, attrib, start)

    # the parser's events
    def start(self, tag: str, attrib) -> None:
        if tag in VOID_NEVER_TEXT and not self.hidden:
            return
        if self.hidden or tag in NEVER_TEXT:
            self.hidden += 1
        elif tag in CELLS:
            self.text.append(" ")  # "2024" and "5 crore" in two cells must not read "20245 crore"
        elif tag not in STYLE_ONLY:
            self._tag("div" if tag in BLOCKS else tag, dict(attrib), True)

    def end(self, tag: str) -> None:
        if tag in VOID_NEVER_TEXT and not self.hidden:
            return
        if self.hidden:
            self.hidden -= 1
        elif tag in CELLS:
            self.text.append(" ")
        elif tag not in STYLE_ONLY:
            self._tag("div" if tag in BLOCKS else tag, {}, False)

    def data(self, text: str) -> None:
        if not self.hidden:
            self.text.append(text)

    def close(self) -> None:
        self._flush()


_layouts = threading.local()  # an lxml parser serves one thread at a time; making one per body costs more


def _markdown(html: str) -> str:
    layout = getattr(_layouts, "layout", None) or _Layout()
    _layouts.layout = None  # a parser that failed half-way is not used again
    try:
        markdown = layout.markdown(html)
    except ValueError:  # lone surrogates (from a broken decoder) that lxml cannot encode
        layout = _Layout()
        markdown = layout.markdown(html.encode("utf-8", "replace").decode("utf-8"))
    _layouts.layout = layout
    return markdown


_MARKS = ("*", "-", "#", ">", "+")


def _unmarkdown(line: str) -> str:
    """A line of html2text's output (spaces folded) without its layout marks."""
    if _RULE.match(line):
        return ""
    return _BULLET.sub(r"\1• ", _QUOTE.sub("", _HEADING.sub("", line))).strip()


_BLANK_LINE = re.compile(r"\n\s*\n")


def _plain_text(text: str) -> str:
    """A body with no markup at all (an Atom ``type="text"``, a CMS field typed as text): its blank lines are
    its paragraphs, which HTML reading would run together. Entities are decoded once, as in HTML."""
    paragraphs = (" ".join(part.split()) for part in _BLANK_LINE.split(unescape(text).translate(_TIDY)))
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def html_to_text(html: str) -> str:
    """Plain text with paragraphs separated by one blank line and single spaces inside lines."""
    if not html or not html.strip():
        return ""
    if "<" not in html:
        return _plain_text(html)
    paragraphs: list[str] = []
    current: list[str] = []
    for line in _markdown(html.replace("\r", "")).translate(_TIDY).split("\n"):
        if "  " in line or line.startswith(" ") or line.endswith(" "):
            line = " ".join(line.split())
        if line.startswith(_MARKS):  # the regexes are costly; most lines are plain prose
            line = _unmarkdown(line)
        if line:
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return "\n\n".join(paragraphs)
