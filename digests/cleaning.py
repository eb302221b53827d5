"""Turn an article's HTML body into clean plain text.

lxml drops the parts that are never text (scripts, styles, frames); html2text does the layout
(paragraphs, lists, line breaks); the Markdown it would add is then taken off again, so the stored
text has no ``**``, ``[...](...)`` or ``\\_`` in it. Entities are decoded exactly once: html2text decodes
what the HTML escapes, and nothing decodes its output again.
"""

from __future__ import annotations

import re

import html2text
from lxml import etree
from lxml import html as lxml_html

NEVER_TEXT = ("script", "style", "iframe", "frame", "frameset", "noscript", "object", "embed", "template",
              "svg", "math", "head", "form", "button", "select", "textarea")

_HEADING = re.compile(r"^#{1,6}\s+")
_QUOTE = re.compile(r"^(?:>\s?)+")
_BULLET = re.compile(r"^(\s*)[*+-]\s+")
_RULE = re.compile(r"^\s*(?:\* ?){3,}$|^\s*-{3,}\s*$")
# Invisible characters go; the odd spaces become plain ones (then runs of spaces fold in one split()).
_TIDY = str.maketrans({**dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad"),
                       **dict.fromkeys("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
                                       "\u200a\u202f\u205f\u3000", " ")})


class _PlainText(html2text.HTML2Text):
    """html2text without its Markdown escaping of the text (``\\_``, ``1\\.``): we want the text as written.

    html2text skips the escaping for data that came from an entity; all data is treated so here.
    """

    def handle_data(self, data: str, entity_char: bool = False) -> None:
        super().handle_data(data, entity_char=True)


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


_MAY_HIDE_TEXT = re.compile(r"<\s*(?:" + "|".join(NEVER_TEXT) + r")\b|<!|<\?", re.IGNORECASE)


def strip_never_text(html: str) -> str:
    """Remove scripts, styles, frames and the like; returns HTML again.

    Most bodies have none of them: one scan finds that and saves parsing the body twice.
    """
    if not html.strip():
        return ""
    if not _MAY_HIDE_TEXT.search(html):
        return html
    try:
        fragment = lxml_html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return html
    etree.strip_elements(fragment, *NEVER_TEXT, with_tail=False)
    etree.strip_elements(fragment, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    return etree.tostring(fragment, encoding="unicode", method="html")


def _unmarkdown_line(line: str) -> str:
    """One line of html2text's output without its layout marks, spaces folded."""
    line = " ".join(line.translate(_TIDY).split())
    if line[:1] in ("*", "-", "#", ">", "+"):  # the regexes are costly; most lines are plain prose
        if _RULE.match(line):
            return ""
        line = _HEADING.sub("", line)
        line = _QUOTE.sub("", line)
        line = _BULLET.sub(r"\1• ", line)
    return line.strip()


def html_to_text(html: str) -> str:
    """Plain text with paragraphs separated by one blank line and single spaces inside lines."""
    if not html or not html.strip():
        return ""
    markdown = _converter().handle(strip_never_text(html).replace("\r", ""))
    paragraphs: list[str] = []
    current: list[str] = []
    for raw in markdown.splitlines():
        line = _unmarkdown_line(raw)
        if line:
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return "\n\n".join(paragraphs)
