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

_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|~])")
_HEADING = re.compile(r"^#{1,6}\s+")
_QUOTE = re.compile(r"^(?:>\s?)+")
_BULLET = re.compile(r"^(\s*)[*+-]\s+")
_RULE = re.compile(r"^\s*(?:\* ?){3,}$|^\s*-{3,}\s*$")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def _converter() -> html2text.HTML2Text:
    converter = html2text.HTML2Text()
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
    first = line.lstrip()[:1]
    if first in ("*", "-", "#", ">", "+"):  # the regexes are costly; most lines are plain prose
        if _RULE.match(line):
            return ""
        line = _HEADING.sub("", line)
        line = _QUOTE.sub("", line)
        line = _BULLET.sub(r"\1• ", line)
    if "\\" in line:
        line = _MD_ESCAPE.sub(r"\1", line)
    return line.strip()


def html_to_text(html: str) -> str:
    """Plain text with paragraphs separated by one blank line and single spaces inside lines."""
    if not html or not html.strip():
        return ""
    markdown = _converter().handle(strip_never_text(html).replace("\r", ""))
    markdown = _SPACES.sub(" ", _INVISIBLE.sub("", markdown))  # once for the whole text, not per line
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
