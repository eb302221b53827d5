"""Turn an article's HTML body into clean plain text.

lxml's HTML parser reads the body (in C, forgiving of broken markup) and hands its tags and text straight
to html2text, which does the layout (paragraphs, lists, line breaks) without tokenizing the HTML a second
time in Python. On the way, the parts that are never text (scripts, styles, frames) are left out, and so
are the inline tags that only style text. The Markdown html2text would add is then taken off again, so the
stored text has no ``**``, ``[...](...)`` or ``\\_`` in it. Entities are decoded exactly once, by lxml;
nothing decodes html2text's output again.

What is never the article's own text is left out too: captions (``<figcaption>``) and the blocks that feeds
wrap around it (share bars, "related" lists, ad and sponsor slots, told by their class or id), then, as
text, the lines that are boilerplate in any of the usual languages ("Continue reading", "The post X appeared
first on Y", "Related: ...", "Advertisement", a share widget's labels, a bare URL, an affiliate disclosure). Mojibake (UTF-8 read as
Latin-1 or windows-1252, C1 controls) is repaired with ftfy, only where a cheap test finds a sign of it.
A text the source itself cut off ("...", "[…]") ends with "…" after a whole word.
"""

from __future__ import annotations

import re
import threading
from html import unescape

import ftfy
import html2text
from lxml import etree

NEVER_TEXT = frozenset({"script", "style", "iframe", "frame", "frameset", "noscript", "object", "embed", "template",
                        "svg", "math", "head", "form", "button", "select", "textarea", "video", "audio", "canvas",
                        "figcaption"})
# Blocks that feeds and CMSs put around the article, told by a word of their class or id: FeedBurner's
# "feedflare" and Feedsportal's "mf-related"/"mf-viral" bars, share and social buttons, "related" lists, ad,
# sponsor and newsletter slots, WordPress and other captions and photo credits, embedded tweets and posts (an
# English tweet in a French story is no part of its text).
_WIDGET = re.compile(r"(?:^|[\s_-])(?:feedflare|mf-related|mf-viral|share|sharing|sharedaddy|social|related|sponsor"
                     r"|sponsored|advert|advertisement|ads?|adv|promo|newsletter|outpost-pub-container|caption"
                     r"|wp-caption-text|credit|credits|twitter-tweet|instagram-media)(?:$|[\s_-])", re.IGNORECASE)
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
_PARAGRAPHS = frozenset({"p", "div"})
CELLS = frozenset({"td", "th"})  # html2text puts each table row on its own line but runs its cells together

_HEADING = re.compile(r"^#{1,6}\s+")
_QUOTE = re.compile(r"^(?:>\s?)+")
_BULLET = re.compile(r"^(\s*)[*+-]\s+")
_RULE = re.compile(r"^\s*(?:\* ?){3,}$|^\s*-{3,}\s*$")
# Invisible characters go; every other kind of space becomes a plain one (so a line needs folding only
# where it has two spaces together, or one at an end). The zero-width (non-)joiners stay: they are spelling in
# Hindi, Urdu and Persian ("क्‍यों") and hold emoji sequences together.
_TIDY = str.maketrans({**dict.fromkeys("\u200b\u2060\ufeff\u00ad"),
                       **dict.fromkeys("\t\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\u00a0\u1680\u2000\u2001\u2002\u2003\u2004"
                                       "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000", " ")})

_TIDY_ASCII = tuple(char for char in map(chr, _TIDY) if char.isascii())


def _tidy(text: str) -> str:
    """``text.translate(_TIDY)``; ASCII text is looked at first for the few ASCII characters it changes (a look
    for each is quicker than ``translate``, and most text has none)."""
    if text.isascii() and not any(char in text for char in _TIDY_ASCII):
        return text
    return text.translate(_TIDY)


class _PlainText(html2text.HTML2Text):
    """html2text without its Markdown escaping of the text (``\\_``, ``1\\.``): we want the text as written.

    html2text skips the escaping for data that came from an entity; all data is treated so here.
    """

    def handle_tag(self, tag: str, attrs, start: bool) -> None:
        """A paragraph's start or end (most of the tags a body has) outside a link or table cell: all that
        html2text's ``handle_tag`` does for it, without its forty other tests of the tag."""
        if tag in _PARAGRAPHS and not self.astack and not self.split_next_td and self.tag_callback is None \
                and not self.google_doc:
            self.current_tag = tag
            self.p()
            self.lastWasList = False
        else:
            super().handle_tag(tag, attrs, start)

    def handle_data(self, data: str, entity_char: bool = False) -> None:
        """Text in plain prose (not in a quote, ``<pre>``, an ``<abbr>`` or after emphasis): what html2text's
        ``handle_data`` and ``o`` (with the folding below) do with it there, in one call instead of four."""
        if self.quiet or self.pre or self.startpre or self.blockquote or self.stressed or self.preceding_stressed \
                or self.style or self.abbr_data is not None or self.maybe_automatic_link is not None or self.a \
                or self.google_doc or not data:
            super().handle_data(data, entity_char=True)
            return
        self.preceding_data = data
        folded = self._folded(data)
        if not folded:
            return
        if self.start:
            self.space = False
            self.p_p = 0
            self.start = False
        if self.p_p:
            self.out((self.br_toggle + "\n") * self.p_p)
            self.space = False
            self.br_toggle = ""
        if self.space:
            if not self.lastWasNL:
                self.out(" ")
            self.space = False
        self.p_p = 0
        self.out(folded)
        self.outcount += 1

    def _folded(self, data: str) -> str:
        """``data`` with its runs of spaces folded as html2text folds them; a leading space sets ``space``. Text
        whose only spaces are single ones (most text) has nothing to fold but its ends, which is quicker to
        check: ASCII with no two spaces together and none of the other characters ``str.split`` splits at (a
        test for each, quicker than one ``isprintable``)."""
        single_spaced = data.isascii() and "  " not in data and "\n" not in data and "\t" not in data \
            and "\r" not in data and "\x0b" not in data and "\x0c" not in data and "\x1c" not in data \
            and "\x1d" not in data and "\x1e" not in data and "\x1f" not in data
        folded = data.strip(" ") if single_spaced else " ".join(data.split())
        if data[0].isspace():
            self.space = True
        if folded and data[-1].isspace():
            folded += " "
        return folded

    def o(self, data: str, puredata: bool = False, force: bool | str = False) -> None:
        """html2text folds each run of spaces in text with ``re.sub(r"\\s+", " ", ...)``, a match per space:
        a sixth of the whole ingest's time. Folded here with ``str.split`` instead (the same spaces), with
        html2text's own handling of a leading space kept; the text then passes as already folded."""
        if puredata and not self.pre and not self.quiet and data:
            data, puredata = self._folded(data), False
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
        self.converter, self.hidden, self.text, self.item = _converter(), 0, [], None
        self.item_depth = self.item_links = self.in_link = 0
        self.item_text = self.replaying = False
        self.fresh = dict(self.converter.__dict__)
        self.containers = [name for name, value in self.fresh.items() if type(value) in (list, dict)]

    def _reset_converter(self) -> None:
        """The converter as new, for the next body: its state put back as it was made, with empty lists and
        dicts of its own (a quarter of the cost of making one; only tags and text are fed to it, never HTML,
        so the state of html2text's own HTML parser does not matter)."""
        state = self.converter.__dict__
        state.clear()
        state.update(self.fresh)
        for name in self.containers:
            state[name] = type(self.fresh[name])()

    def markdown(self, html: str) -> str:
        self._reset_converter()
        self.hidden, self.text, self.item, self.replaying = 0, [], None, False
        self.parser.feed(html)
        self.parser.close()
        return self.converter.optwrap(self.converter.finish())

    def _flush(self) -> None:
        if self.text:
            self.converter.handle_data("".join(self.text))
            self.text = []

    def _tag(self, tag: str, attrib, start: bool) -> None:
        if self.text:  # ``_flush``, without a call of its own: this runs for every tag passed on
            self.converter.handle_data("".join(self.text))
            self.text = []
        self.converter.handle_tag(tag, attrib, start)

    # the parser's events; a list item is held back until its end: one that is only a link (a "related"
    # list, an aggregator's list of other outlets' headlines) is navigation, not text
    def start(self, tag: str, attrib) -> None:
        if tag in STYLE_ONLY and self.item is None and not self.hidden:
            if tag == "span" and _is_small_print(attrib):
                self.hidden += 1  # its end is counted by ``end``, as every tag's while hidden
            return  # the commonest case, told first
        if tag in VOID_NEVER_TEXT and not self.hidden:
            return
        if self.item is not None or tag == "li" and not self.replaying and not self.hidden:
            self._hold(True, tag, dict(attrib))
        elif self.hidden or tag in NEVER_TEXT or (tag not in STYLE_ONLY and attrib and _is_widget(attrib)):
            self.hidden += 1
        elif tag in CELLS:
            self.text.append(" ")  # "2024" and "5 crore" in two cells must not read "20245 crore"
        elif tag not in STYLE_ONLY:
            self._tag("div" if tag in BLOCKS else tag, attrib, True)  # a dict of its own, or an empty mapping

    def end(self, tag: str) -> None:
        if tag in STYLE_ONLY and self.item is None and not self.hidden:
            return
        if tag in VOID_NEVER_TEXT and not self.hidden:
            return
        if self.item is not None:
            self._hold(False, tag, None)
        elif self.hidden:
            self.hidden -= 1
        elif tag in CELLS:
            self.text.append(" ")
        elif tag not in STYLE_ONLY:
            self._tag("div" if tag in BLOCKS else tag, {}, False)

    def data(self, text: str) -> None:
        if self.item is not None:
            self._hold(None, text, None)
        elif not self.hidden:
            self.text.append(text)

    def close(self) -> None:
        if self.item is not None:
            self._replay()
        self._flush()

    def _hold(self, opening: bool | None, name: str, attrib) -> None:
        """Keep an event of a list item (``opening``: True, False, or None for text) until the item ends."""
        if self.item is None:
            self.item, self.item_depth, self.item_links, self.in_link, self.item_text = [], 0, 0, 0, False
        self.item.append((opening, name, attrib))
        if opening is None:
            if not self.in_link and not self.item_text and _LETTER.search(name):
                self.item_text = True
        elif name == "a":
            self.in_link += 1 if opening else -1
            self.item_links += opening
        elif name == "li":
            self.item_depth += 1 if opening else -1
            if not self.item_depth:
                self._replay()

    def _replay(self) -> None:
        events, self.item = self.item, None
        if self.item_links and not self.item_text:
            return  # nothing but a link
        self.replaying = True
        for opening, name, attrib in events:
            if opening is None:
                self.data(name)
            elif opening:
                self.start(name, attrib)
            else:
                self.end(name)
        self.replaying = False


_LETTER = re.compile(r"[^\W\d_]")


def _is_small_print(attrib) -> bool:
    """A span set in small bold type: a photo's caption under it (Next INpact's ``<span style="font-size: smaller;
    font-weight: bold;">Patrick Drahi, à droite, lors d'une conférence ...</span>``). Small type alone is no sign:
    some blog editors set a whole post in ``font-size: small``."""
    style = attrib.get("style")
    return bool(style) and "small" in style and _SMALL_TYPE.search(style) is not None \
        and _BOLD.search(style) is not None  # "small": cheap first


_SMALL_TYPE = re.compile(r"font-size\s*:\s*(?:smaller|x-small|xx-small)\b", re.IGNORECASE)
_BOLD = re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)\b", re.IGNORECASE)


def _is_widget(attrib) -> bool:
    names = attrib.get("class"), attrib.get("id")
    return any(name and _WIDGET.search(name) for name in names)


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

# ftfy as a repairer only: nothing that would change correct text (entities are decoded already, curly quotes,
# ligatures, full-width forms and Unicode normal forms stay as written).
_FTFY = ftfy.TextFixerConfig(unescape_html=False, fix_latin_ligatures=False, fix_character_width=False,
                             uncurl_quotes=False, fix_line_breaks=False, normalization=None, explain=False)
_CP1252_HIGH = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"  # what windows-1252 makes of the bytes 0x80-0x9F
# The signs of mojibake, cheap to look for: a C1 control; a UTF-8 lead byte read as Latin-1/windows-1252
# (Ã Â â Ð Ñ ...) followed by a continuation byte read the same way ("Ã©", "â€™", "Ð¾"); and UTF-8 Cyrillic
# read as windows-1251 ("Р" or "С" followed by what 0x80-0xBF are there: "РѕСЃ").
_MOJIBAKE_SIGN = re.compile(f"[\x80-\x9f]|[\xc2-\xf4][\xa0-\xbf{_CP1252_HIGH}]"
                            "|[РС][\u0402-\u040f\u0452-\u045f\u2018-\u203a\u00a0-\u00bb\u0490\u0491\u2116]")


def fix_mojibake(text: str) -> str:
    """``text`` with double-encoded UTF-8 and C1 control characters repaired by ftfy; correct text as it is.

    ftfy costs about a quarter of the HTML conversion itself, so it only runs where a cheap test (ASCII, then
    one regular expression) finds a sign of mojibake: most text has none."""
    if text.isascii() or not _MOJIBAKE_SIGN.search(text):
        return text
    return ftfy.fix_text(text, _FTFY)


# Boilerplate, as whole lines (a link or a label in a paragraph of its own), in the languages of the usual
# feeds. Matched case-insensitively against the start of a line; a line is left out if the match is all of it.
_READ_MORE = (r"continue reading|keep reading|read more|read full (?:article|story)|read the (?:full|whole|rest)\b[^.!?]*"
              r"|read on|full story|click here to read\b[^.!?]*|leia mais|leia a (?:matéria|reportagem|notícia) completa"
              r"|continue lendo|saiba mais|leer más|seguir leyendo|sigue leyendo|lire la suite|lire l['’]article"
              r"|en savoir plus|weiterlesen|mehr lesen|zum artikel|continua a leggere|leggi (?:tutto|di più|l['’]articolo)"
              r"|lees meer|lees verder|читать далее|читать полностью|подробнее|और पढ़ें|पूरी खबर पढ़ें|مزید پڑھیں")
_POSTED_ON = (r"the post .{1,300}? appeared first on .{1,120}?|der beitrag .{1,300}? erschien zuerst auf .{1,120}?"
              r"|l['’]article .{1,300}? est apparu en premier sur .{1,120}?|o post .{1,300}? apareceu primeiro em .{1,120}?"
              r"|(?:la entrada|el post) .{1,300}? (?:se publicó primero en|apareció primero en) .{1,120}?"
              r"|l['’]articolo .{1,300}? (?:proviene da|sembra essere il primo su) .{1,120}?"
              r"|het bericht .{1,300}? verscheen eerst op .{1,120}?")
_READ_MORE, _POSTED_ON = (pattern.replace(" ", r"\s+") for pattern in (_READ_MORE, _POSTED_ON))  # for re.VERBOSE
_BOILERPLATE_LINE = re.compile(
    rf"""(?:{_READ_MORE})\s*(?:[.…!»>›→]+|\(.{{0,40}}\)|(?:no|em|on|at|in|auf|sur|su|en)\s.{{1,40}}|\W*)\s*
      | (?:{_POSTED_ON})\s*\.?
      | (?:advertisement|ads?|anzeige|werbung|publicidade|publicidad|publicité|pubblicità|реклама|विज्ञापन
           |sponsored(?:\s+content|\s+post)?|paid\s+(?:content|post|partner\w*)|featured\s+advertiser
           |(?:sponsored|presented|brought\s+to\s+you)\s+by\s+[^.!?]{{1,60}})\s*[.:]?
      | (?:share|share\s+this(?:\s+(?:article|story|post|page))?|share\s+on\s+\w+|tweet|email|print|pin\s+it
           |copy\s+(?:this\s+)?link|follow\s+us\s+on\s+[\w ,&]{{1,40}}|subscribe\s+to\s+our\s+newsletter
           |sign\s+up\s+for\s+our\s+newsletter)\s*[.:!]?
      | (?:image|media|picture|photo|video)\s+(?:copyright|caption)\b.*
      | follow\s+(?:live|along|(?:our|the)\s+live\s+(?:blog|coverage|updates))(?:\s+(?:here|updates|below))?\s*[.!:]?
      | media\s+playback\s+is\s+(?:unsupported|not\s+supported)\s+on\s+(?:your|this)\s+device
      | scroll\s+down\s+for\s+(?:video|more)s?\s*\.?
      | click\s+here\b.{{0,100}}
      | (?:last\s+updated|updated|published|posted)(?:\s+at|\s+on)?:?\s+(?=[^\d\n]{{0,20}}\d)[\w ,:./+-]{{1,40}}
      | https?://\S+
      | \[(\w+)\b[^\]]{{0,80}}\][^\[\]]{{0,80}}\[/\1\] | \[\w+\b[^\]]{{0,80}}/?\]  # a CMS shortcode: "[PDN]852550[/PDN]"
    """, re.IGNORECASE | re.VERBOSE)
# A publisher speaking of itself: an affiliate disclosure (TheWeek's "When you make a purchase using links on our
# site, The Week may earn a commission. All reviews are ..."), a newsletter's blurb (Bloomberg's "Before the
# trading day starts we bring you a digest of the key news ... Today we look at:"). Tried on lines that start
# with one of ``_ABOUT_ITSELF_FIRST_WORDS`` only.
_ABOUT_ITSELF = re.compile(
    r"""(?:when|if)\s+you\s+(?:make\s+a\s+)?(?:purchase|buy|click|shop)\b[^.!?]{0,80}\b(?:may|might|could)\s+(?:earn|receive
           |get)\s+(?:an?\s+)?(?:affiliate\s+)?(?:commission|compensation|share)\b.{0,160}
      | we\s+may\s+earn\s+(?:an?\s+)?(?:affiliate\s+)?commission\b.{0,160}
      | (?:before|every|each|we)\b[^.!?]{0,60}?\bwe\s+bring\s+you\s+(?:a|the|our)\s+(?:digest|round-?up|summary|briefing
           |selection)\b[^.!?]{0,120}[.!?]?(?:\s+today\s+we\s+look\s+at\s*:?)?
    """, re.IGNORECASE | re.VERBOSE)
_ABOUT_ITSELF_FIRST_WORDS = frozenset("when if we before every each".split())
# Boilerplate at the end of a paragraph, after its text: "... whole sentence. Continue reading...", "... cidad...
# Leia mais no Massa News!", "excerpt. The post Headline appeared first on Site."
_BOILERPLATE_TAIL = re.compile(
    rf"""(?:(?<=[.!?…"”’»)\]])|(?<=\.\.\.))\s+(?:
        (?:{_READ_MORE})\s*(?:[.…!»>›→]+|\(.{{0,40}}\)|(?:no|em|on|at|in|auf|sur|su|en)\s.{{1,40}}|\W*)
      | (?:{_POSTED_ON})\s*\.?
    )\s*$""", re.IGNORECASE | re.VERBOSE)
# "Share this with Email Facebook ... Copy this link" (the BBC's share panel), wherever it starts a line
_SHARE_PANEL = re.compile(r"^Share this with\b.{0,200}?Copy this link\s*(?:These are external links and will open "
                          r"in a new window\s*)?", re.IGNORECASE)
# a photo credit in brackets: "(Image credit: Kevin Frayer)", "(Photo: AFP)"
_CREDIT = re.compile(r"\s*\((?:image|photo|picture|foto|bild)(?:\s+credits?)?\s*:[^()]{1,80}\)", re.IGNORECASE)
# "Related: ...", "See also", "Articles en rapport": a line of its own, with the list of links that follows
_RELATED = re.compile(r"(?:related(?:\s+(?:articles?|stories|coverage|content|links|posts|news|reading))?|see\s+also"
                      r"|(?:also|further)\s+read(?:ing)?|read\s+also|more\s+on\s+this(?:\s+story)?|articles\s+en\s+rapport"
                      r"|à\s+lire\s+aussi|lire\s+aussi|sur\s+le\s+même\s+sujet|veja\s+também|leia\s+também|lesen\s+sie\s+auch"
                      r"|mehr\s+zum\s+thema|leggi\s+anche|vedi\s+anche|ver\s+también|lee\s+también|читайте\s+также"
                      r"|यह\s+भी\s+पढ़ें|ये\s+भी\s+पढ़ें)\s*(?:[:：»›>-].*)?", re.IGNORECASE)
_RELATED_STARTS = frozenset(word[:4] for word in """related see also further read more articles à lire sur veja leia
    lesen mehr leggi vedi ver lee читайте यह ये""".split())
_LIST_ITEM = re.compile(r"• |\d{1,2}[.)] ")
_PUBLISHER = re.compile(r"^\[[^\[\]\n]{2,40}\]\s*(?=\S)")  # "[allAfrica] On World Pulses Day ..."
# how the source marks text it cut off: "...", "…", "[…]", "[...]", "(...)", at the very end
_CUT_OFF = re.compile(r"(?:\s*[\[(](?:…|\.{3})[\])]|\s*(?:…|\.{3,}))\s*$")
_CUT_MARKS = ("…", "...", "…]", "...]", "…)", "...)")
_INNER_STOP = re.compile(r"^(.*\w[.!?])\w+$")  # "enguiçado.P": the sentence ends inside the cut word


# The first words of the lines above: most lines start with none of them, and need no try of the expression.
_BOILERPLATE_FIRST_WORDS = frozenset("""continue keep read full click leia saiba leer seguir sigue lire en weiterlesen
    mehr zum continua leggi lees читать подробнее और पूरी مزید the der l'article l’article o la el l'articolo
    l’articolo het advertisement ad ads anzeige werbung publicidade publicidad publicité pubblicità реклама विज्ञापन
    sponsored paid featured presented brought share tweet email print pin copy follow subscribe sign image media
    picture photo video scroll last updated published posted""".split())
_SHORTCODE = re.compile(r"\[\w")


def is_boilerplate(line: str) -> bool:
    """Whether a line (or a sentence) is a feed's boilerplate: a link label, an ad slot, a share widget, ..."""
    if len(line) > 200 or not line:
        return False
    first = line[:24].split(None, 1)[0].lower().rstrip(".:!…»>›")
    if first in _ABOUT_ITSELF_FIRST_WORDS:
        return _ABOUT_ITSELF.fullmatch(line) is not None
    if first not in _BOILERPLATE_FIRST_WORDS and not first.startswith(("http://", "https://")) \
            and not _SHORTCODE.match(line):
        return False
    return _BOILERPLATE_LINE.fullmatch(line) is not None


# labels glued to the text around them: Google News' link to its story page after the publisher's name
# ("nejm.orgView Full Coverage on Google News"), a Dvbbs forum's "此主题相关图片如下：" ("pictures of this post below")
# and its payment widget's "查看交易帮助，买卖放心" ("trading help: buy and sell with confidence")
_GLUED_LABEL = re.compile(r"\s*(?:View\s+Full\s+Coverage\s+on\s+Google\s+News|此主题相关图片如下[：:…]?|查看交易帮助，买卖放心)\s*")


def _clean_line(line: str) -> str:
    if line.endswith("Google News") or not line.isascii() and ("此主题相关图片" in line or "查看交易帮助" in line):
        line = _GLUED_LABEL.sub(" ", line).strip()
    if is_boilerplate(line):
        return ""
    if line.startswith(("Share", "share")):
        line = _SHARE_PANEL.sub("", line)
    if "(" in line and ":" in line and ("redit" in line or "oto" in line or "ild" in line):
        line = _CREDIT.sub("", line)
    return line


# Words one of which every boilerplate tail has, looked for as plain text first, since the tail's expression
# is costly to try at every place of a paragraph: a "read more" link's, near the end; a "The post X appeared
# first on Y" line's, anywhere in its reach.
_READ_MORE_WORDS = ("read", "story", "click", "leia", "lendo", "saiba", "leer", "leyendo", "lire", "savoir", "lesen",
                    "artikel", "legg", "lees", "читать", "подробнее", "पढ़ें", "پڑھیں")
_POSTED_ON_WORDS = ("first on", "zuerst auf", "en premier sur", "primeiro em", "primero en", "proviene da",
                    "primo su", "eerst op")
_TAIL_REACH = 480  # characters: the longest tail ("The post <headline> appeared first on <site>.")
_READ_MORE_REACH = 130


# a byline closing the text, after its last sentence, with the section links some feeds add: golem's "...
# Sieben Tage im Überblick. Von Stefan Krempl (Datenschutz, IBM)", "Ein Test von Tobias Költzsch (iPhone, ...)"
_CLOSING_BYLINE = re.compile(
    r"(?<=[.!?…\"”’»])\s+(?:(?:Ein|Eine|A|An)\s+\w+\s+(?:von|by)|Von|By|Por|Par)\s+[A-ZÀ-ÞŁŚŻ][\w.'’-]*"
    r"(?:\s+(?:[A-ZÀ-ÞŁŚŻ][\w.'’-]*|von|van|de|da|der|und|and|e|et|y)){0,6}\s*(?:\([^()\n]{1,80}\))?\s*$")
_CLOSING_BYLINE_REACH = 160


def _without_tail(paragraph: str) -> str:
    end = paragraph[-_TAIL_REACH:].lower()
    near = end[-_READ_MORE_REACH:]
    if any(word in end[-_CLOSING_BYLINE_REACH:] for word in ("von ", "by ", "por ", "par ")):
        cut = max(0, len(paragraph) - _CLOSING_BYLINE_REACH)
        paragraph = paragraph[:cut] + _CLOSING_BYLINE.sub("", paragraph[cut:], count=1)
    if not any(word in near for word in _READ_MORE_WORDS) and not any(words in end for words in _POSTED_ON_WORDS):
        return paragraph
    return paragraph[: max(0, len(paragraph) - _TAIL_REACH)] + _BOILERPLATE_TAIL.sub("", paragraph[-_TAIL_REACH:], count=1)


def _is_list(lines: list[str]) -> bool:
    return all(_LIST_ITEM.match(line) for line in lines)


def _cut_off(text: str) -> str:
    """A text that the source cut off, ending with "…" after its last whole word (a word the cut ends inside,
    "cidad...", is left out; one where a sentence ends, "enguiçado.P...", ends with that sentence)."""
    if not text.endswith(_CUT_MARKS):
        return text
    match = _CUT_OFF.search(text, len(text) - 16)
    kept = text[: match.start()].rstrip()
    if match.group()[:1].isspace() or not kept:  # "word …", "word [...]": the word is whole
        if kept and kept[-1] in ".!?" and not _abbreviated(kept):  # "... (5). ...": whole; no "(5).…"
            return kept
        return kept.rstrip(" ,;:-–—") + ELLIPSIS if kept else ""
    head, _, last = kept.rpartition(" ")
    sentence = _INNER_STOP.match(last)
    if sentence:
        return f"{head} {sentence.group(1)}".lstrip()
    if head and head[-1] in ".!?" and not _abbreviated(head):  # "(5). D...": the sentence before it is whole
        return head
    if not head or last[-1:] in ".!?":  # one word only, or a sentence that ended: leave it whole
        return kept + ("" if last[-1:] in ".!?" else ELLIPSIS)
    return head.rstrip(" ,;:-–—") + ELLIPSIS


ELLIPSIS = "…"


def _abbreviated(text: str) -> bool:
    """Whether the stop ``text`` ends with may end an abbreviation rather than a sentence ("o Dr.", "the U.S."):
    a short capitalised word, or stops inside the word. A short word that does end a sentence is then taken as
    cut off too, which costs an "…"."""
    word = text.rsplit(None, 1)[-1].rstrip(".!?")
    return "." in word or len(word) <= 3 and word[:1].isupper()


def _without_boilerplate(paragraphs: list[list[str]]) -> str:
    """The text of paragraphs (given as their cleaned lines) without the boilerplate that takes paragraphs:
    a "Related" heading and its links, a publisher's "[Name]" before the text, a tail after its last words."""
    kept: list[str] = []
    after_related = False
    for lines in paragraphs:
        if after_related and _is_list(lines):  # the links under a "Related" heading
            continue
        after_related = False
        first = lines[0]
        if len(first) <= 200 and first[:4].lower() in _RELATED_STARTS and _RELATED.fullmatch(first):
            after_related = len(lines) == 1 or _is_list(lines[1:])
            if after_related:
                continue
        kept.append("\n".join(lines) if len(lines) > 1 else first)
    if not kept:
        return ""
    if kept[0].startswith("["):
        kept[0] = _PUBLISHER.sub("", kept[0], count=1)
    kept[-1] = _without_tail(kept[-1])
    if len(kept) == 1 and is_boilerplate(kept[0]):  # a tail that was all there was
        return ""
    return _cut_off("\n\n".join(kept))


def _plain_text(text: str) -> str:
    """A body with no markup at all (an Atom ``type="text"``, a CMS field typed as text): its blank lines are
    its paragraphs, which HTML reading would run together. Entities are decoded once, as in HTML."""
    paragraphs = (_clean_line(" ".join(part.split()))
                  for part in _BLANK_LINE.split(fix_mojibake(unescape(text)).translate(_TIDY)))
    return _without_boilerplate([[paragraph] for paragraph in paragraphs if paragraph])


def html_to_text(html: str) -> str:
    """Plain text with paragraphs separated by one blank line and single spaces inside lines, without the
    feed's boilerplate and with mojibake repaired."""
    if not html or not html.strip():
        return ""
    if "<" not in html:
        return _plain_text(html)
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in _tidy(fix_mojibake(_markdown(html.replace("\r", "")))).split("\n"):
        if not line:  # between paragraphs: half the lines
            if current:
                paragraphs.append(current)
                current = []
            continue
        if "  " in line or line.startswith(" ") or line.endswith(" "):
            line = " ".join(line.split())
        if line.startswith(_MARKS):  # the regexes are costly; most lines are plain prose
            line = _unmarkdown(line)
        if line:
            if len(line) <= 200 or "(" in line or line.startswith(("Share", "share")):
                line = _clean_line(line)
            if line:
                current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return _without_boilerplate(paragraphs)
