"""Reading article XML: the sample, many articles per file, dates, and files that must be rejected."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from digests.parsing import parse_bytes, parse_date, parse_file, read_capped
from tests.conftest import KOLKATA, SHARED, article_xml, need_shared


def parse(data: str | bytes, **kw):
    data = data.encode() if isinstance(data, str) else data
    return parse_bytes(data, shown="test.xml", default_source="folder", source_tz=KOLKATA, **kw)


def test_sample_fields(sample_file):
    result = parse_file(sample_file, default_source="knn", source_tz=KOLKATA)
    assert result.rejections == []
    [article] = result.articles
    assert article.title == "India And Russia Hold 11th Session On Industrial Cooperation In New Delhi"
    assert article.link.startswith("https://knnindia.co.in/news/newsdetails/global/india-and-russia")
    assert article.categories == ["Global"]
    assert article.source == "knnindia.co.in"
    assert article.external_id == "43098"
    assert article.author == "ENA"
    # 14:42:28 in India is 09:12:28 UTC
    assert article.published_at == datetime(2025, 8, 7, 9, 12, 28, tzinfo=UTC)
    assert article.html.startswith("<p><span")  # the escaped HTML, decoded once by the XML parser


def test_many_articles_in_one_file_and_a_bad_one_among_them():
    data = """<articles>
      <article><title>One</title><link>https://x.org/1</link><category>MSME</category><category>Trade</category></article>
      <article><title>No link here</title></article>
      <article><title>Three</title><link>https://x.org/3</link></article>
    </articles>"""
    result = parse(data)
    assert [a.title for a in result.articles] == ["One", "Three"]
    assert result.articles[0].categories == ["MSME", "Trade"]
    assert result.articles[1].source == "folder"  # no <source>: the folder's name
    assert [r.reason for r in result.rejections] == ["missing <link>"]
    assert "article 2" in result.rejections[0].path


def test_a_wrapper_with_its_own_title_but_no_link_is_not_taken_for_the_article():
    data = """<export><title>KNN daily export</title>
      <root><title>One</title><link>https://x.example/1</link></root>
      <root><title>Two</title><link>https://x.example/2</link></root>
    </export>"""
    result = parse(data)
    assert [a.title for a in result.articles] == ["One", "Two"] and result.rejections == []
    single = parse("<root><title>One</title><description><p>No link</p></description></root>")
    assert [(r.path, r.reason) for r in single.rejections] == [("test.xml", "missing <link>")]


@pytest.mark.parametrize(("data", "reason"), [
    ("<root><title>Cut off", "not well-formed XML"),
    ("", "file is empty"),
    ("<root><link>https://x.org</link></root>", "no article found"),
    ("<root><title>  </title><link>https://x.org</link></root>", "missing <title>"),
])
def test_broken_files_are_rejected_with_a_reason(data, reason):
    result = parse(data)
    assert result.articles == []
    assert reason in result.rejections[0].reason


def test_size_cap_checked_before_reading(tmp_path: Path):
    big = tmp_path / "big.xml"
    big.write_text(article_xml(1, body="x" * 5000))
    result = parse_file(big, default_source="f", source_tz=KOLKATA, max_bytes=1000)
    assert result.articles == [] and "too large" in result.rejections[0].reason


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_file_larger_than_its_reported_size_is_read_whole_and_still_capped():
    """/proc files report size 0, like a file still being appended to: read on to the end, up to the cap."""
    whole = read_capped(Path("/proc/self/status"), 1 << 20)
    assert whole.startswith(b"Name:") and b"\nPid:" in whole
    assert len(read_capped(Path("/proc/self/status"), 10)) > 10  # over the cap, so parse_bytes refuses it


def test_entities_are_never_expanded():
    bomb = """<?xml version="1.0"?>
    <!DOCTYPE root [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
    <root><title>&b;</title><link>https://x.org</link></root>"""
    result = parse(bomb)
    assert result.articles == []
    assert "entities" in result.rejections[0].reason


def test_external_entity_is_not_read():
    xxe = """<?xml version="1.0"?><!DOCTYPE root [<!ENTITY x SYSTEM "file:///etc/passwd">]>
    <root><title>&x;</title><link>https://x.org</link></root>"""
    result = parse(xxe)
    assert result.articles == []
    assert "root:" not in str(result.rejections)


ATTACKS = SHARED / "testdata" / "xml-attacks"


@pytest.mark.parametrize("name", [
    "defusedxml/xmlbomb.xml", "defusedxml/quadratic.xml", "defusedxml/cyclic.xml", "defusedxml/external.xml",
    "defusedxml/external_file.xml", "payloadsallthethings/classic_xxe_etc_passwd.xml",
    "payloadsallthethings/billion_laughs_dos.xml", "payloadsallthethings/classic_xxe_b64_data_uri_param_entity.xml",
])
def test_shared_xml_attacks_are_refused(name):
    path = need_shared(ATTACKS / name, "an XML attack file of ../shared/testdata")
    result = parse_file(path, default_source="f", source_tz=KOLKATA)
    assert result.articles == []
    assert result.rejections
    assert "root:" not in str(result.rejections)


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-08-07 14:42:28", datetime(2025, 8, 7, 9, 12, 28, tzinfo=UTC)),  # naive: the source's timezone
    ("2025-08-07T14:42:28+00:00", datetime(2025, 8, 7, 14, 42, 28, tzinfo=UTC)),
    ("2025-08-07T14:42:28Z", datetime(2025, 8, 7, 14, 42, 28, tzinfo=UTC)),
    ("Thu, 07 Aug 2025 14:42:28 GMT", datetime(2025, 8, 7, 14, 42, 28, tzinfo=UTC)),
    ("Thu, 07 Aug 2025 14:42:28 +0530", datetime(2025, 8, 7, 9, 12, 28, tzinfo=UTC)),
    ("Thu, 07 Aug 2025 14:42:28 -0000", datetime(2025, 8, 7, 14, 42, 28, tzinfo=UTC)),  # RFC 5322: UTC
    ("Thu, 07 Aug 2025 14:42:28", datetime(2025, 8, 7, 9, 12, 28, tzinfo=UTC)),  # no zone: the source's
    ("yesterday", None),
    ("", None),
])
def test_dates(text, expected):
    assert parse_date(text, KOLKATA) == expected


ARTICLE = "<root><title>{title}</title><link>https://x.org/e</link><description>{title}</description></root>"
QUOTED = "\u201cBudget\u201d \u2013 FM\u2019s plan, \u20ac 5 crore"  # windows-1252 has these at 0x80-0x9F


@pytest.mark.parametrize(("data", "title"), [
    (b'<?xml version="1.0" encoding="utf-8"?>' + ARTICLE.format(title="Caf\u00e9 \u20ac").encode(), "Caf\u00e9 \u20ac"),
    (b"\xef\xbb\xbf" + ARTICLE.format(title="BOM \u00e9").encode(), "BOM \u00e9"),
    ('<?xml version="1.0" encoding="UTF-16"?>'.encode("utf-16") + ARTICLE.format(title="\u00e9t\u00e9").encode("utf-16")[2:],
     "\u00e9t\u00e9"),
    (b'<?xml version="1.0" encoding="windows-1251"?>' + ARTICLE.format(title="\u041c\u043e\u0441\u043a\u0432\u0430").encode("cp1251"),
     "\u041c\u043e\u0441\u043a\u0432\u0430"),  # declared legacy encoding
    (ARTICLE.format(title="Caf\u00e9 \u2018quoted\u2019").encode("cp1252"), "Caf\u00e9 \u2018quoted\u2019"),  # undeclared
    (b'<?xml version="1.0" encoding="utf-8"?>' + ARTICLE.format(title="na\u00efve").encode("cp1252"), "na\u00efve"),  # wrong
    (b'<?xml version="1.0" encoding="iso-8859-1"?>' + ARTICLE.format(title="\u20b9 5 crore").encode(), "\u20b9 5 crore"),
    # Latin-1 and ASCII labels are read as windows-1252, as browsers do
    (b'<?xml version="1.0" encoding="ISO-8859-1"?>' + ARTICLE.format(title=QUOTED).encode("cp1252"), QUOTED),
    (b'<?xml version="1.0" encoding="us-ascii"?>' + ARTICLE.format(title=QUOTED).encode("cp1252"), QUOTED),
    (b'<?xml version="1.0" encoding="latin1"?>' + ARTICLE.format(title="na\u00efve caf\u00e9").encode("latin-1"),
     "na\u00efve caf\u00e9"),
    # valid UTF-8 is UTF-8 whatever one-byte encoding is declared
    (b'<?xml version="1.0" encoding="windows-1251"?>' + ARTICLE.format(title="Caf\u00e9 \u201cx\u201d").encode(),
     "Caf\u00e9 \u201cx\u201d"),
    (b'<?xml version="1.0" encoding="iso-8859-5"?>' + ARTICLE.format(title="Caf\u00e9 \u201cx\u201d").encode(),
     "Caf\u00e9 \u201cx\u201d"),
])
def test_encodings(data, title):
    result = parse(data)
    assert result.rejections == []
    assert (result.articles[0].title, result.articles[0].html) == (title, title)


@pytest.mark.parametrize(("data", "reason"), [
    ("<root><title>Cut off", "not well-formed XML: Premature end of data in tag title"),  # then lxml's position
    (" \n ", "file is empty"),
    ("<root><link>https://x.org</link></root>", "no article found (expected elements with <title> and <link>)"),
    ("<root><title/><link>https://x.org</link></root>", "missing <title>"),
    ("<root><title>T</title><link/></root>", "missing <link>"),
    ('<?xml version="1.0"?><!DOCTYPE root [<!ENTITY a "x">]><root/>', "the document declares XML entities, which are not allowed"),
    ('<?xml version="1.0" encoding="utf-7"?><root/>',
     "the utf-7 encoding is not accepted: markup can hide in it from the entity check"),
    ('<?xml version="1.0" encoding="punycode"?><root/>',  # a codec that fails even with "replace": no crash
     "the punycode encoding is not accepted: markup can hide in it from the entity check"),
])
def test_each_rejection_names_the_file_and_says_exactly_why(data, reason):
    result = parse(data)
    assert result.articles == []
    [rejection] = result.rejections
    assert rejection.path == "test.xml"
    assert rejection.reason.startswith(reason) if "lxml" in reason or "Premature" in reason else rejection.reason == reason


def test_the_size_cap_is_inclusive():
    data = article_xml(1).encode()
    assert len(parse(data, max_bytes=len(data)).articles) == 1
    [rejection] = parse(data, max_bytes=len(data) - 1).rejections
    assert (rejection.path, rejection.reason) == ("test.xml", f"file too large ({len(data)} bytes, limit {len(data) - 1})")


def test_read_capped_reads_a_file_at_the_cap_and_names_the_file_it_cannot_read(tmp_path):
    path = tmp_path / "a.xml"
    path.write_bytes(b"x" * 100)
    assert read_capped(path, 100) == b"x" * 100
    assert (read_capped(path, 99).path, read_capped(path, 99).reason) == (str(path), "file too large (100 bytes, limit 99)")
    missing = read_capped(tmp_path / "gone.xml", 100)
    assert (missing.path, missing.reason) == (str(tmp_path / "gone.xml"), "cannot read file: No such file or directory")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_file_is_read_only_until_past_the_cap():
    """/dev/zero reports size 0 and never ends: reading stops at the first chunk past the cap."""
    cap = 1 + 2 ** 20
    assert cap < len(read_capped(Path("/dev/zero"), cap)) <= cap + 2 ** 20


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_parse_file_applies_its_cap_to_what_it_read_and_names_the_file(tmp_path):
    [rejection] = parse_file(Path("/proc/self/status"), default_source="f", source_tz=KOLKATA, max_bytes=10).rejections
    assert rejection.path == "/proc/self/status" and rejection.reason.startswith("file too large (")
    (tmp_path / "one.xml").write_text("<root><title>T</title><link>https://x.org/1</link></root>")
    [article] = parse_file(tmp_path / "one.xml", default_source="folder-name", source_tz=KOLKATA).articles
    assert article.source == "folder-name"


def test_titles_with_markup_empty_bodies_creators_and_namespaces():
    data = ('<a:articles xmlns:a="urn:cms" xmlns:dc="http://purl.org/dc/elements/1.1/"><!-- exported -->'
            "<a:group><a:root><a:title><b>Bold</b></a:title><a:link>https://x.org/1</a:link>"
            "<dc:creator>Desk</dc:creator></a:root>"
            "<a:root><a:title>One <i>and</i> two</a:title><a:link>https://x.org/2</a:link></a:root></a:group>"
            "<a:root><a:title>Three</a:title><a:link>https://x.org/3</a:link><a:description>"
            "<p>Para <b>bold</b></p> tail<?cms keep?></a:description></a:root></a:articles>")
    first, second, third = parse(data).articles
    assert [first.title, second.title, third.title] == ["Bold", "One and two", "Three"]  # in document order
    assert (first.author, first.html, second.author) == ("Desk", "", None)
    assert third.html == '<p xmlns:a="urn:cms" xmlns:dc="http://purl.org/dc/elements/1.1/">Para <b>bold</b></p> tail'


def test_processing_instructions_are_dropped_also_from_a_document_read_again_as_windows_1252():
    utf8 = "<root><title>T</title><link>https://x.org/1</link><body>a<?php x ?>b</body></root>".encode()
    assert parse(utf8).articles[0].html == "ab"
    cp1252 = "<root><title>Caf\u00e9 \x81</title><link>https://x.org/1</link><body>a<?php x ?>b</body></root>"
    [article] = parse(cp1252.encode("latin-1")).articles  # not UTF-8, 0x81 undefined in windows-1252
    assert (article.title, article.html) == ("Caf\u00e9 \ufffd", "ab")


def test_the_parser_itself_expands_nothing_and_loads_no_dtd(tmp_path):
    """Behind the byte check, the parser lxml gets is hardened too: were a declaration to get past the
    check, its entity would stay unexpanded and an external DTD unread."""
    from lxml import etree

    from digests.parsing import _hardened_parser

    (tmp_path / "x.dtd").write_text('<!ENTITY x "LOADED">')
    inner = etree.fromstring(b'<!DOCTYPE r [<!ENTITY x "EXPANDED">]><r>&x;</r>', _hardened_parser())
    assert "EXPANDED" not in etree.tostring(inner, encoding="unicode").replace("<!ENTITY", "")
    outer = etree.fromstring(f'<!DOCTYPE r SYSTEM "{tmp_path / "x.dtd"}"><r>y</r>'.encode(), _hardened_parser())
    assert outer.getroottree().docinfo.externalDTD is None
    with pytest.raises(etree.XMLSyntaxError):  # no text node over 10 MB (lxml's huge_tree off)
        etree.fromstring(b"<r>" + b"x" * (11 << 20) + b"</r>", _hardened_parser())


@pytest.mark.parametrize(("name", "checkable"), [
    *[(name, True) for name in ("utf-8", "UTF-8", "utf-8-sig", "ascii", "latin-1", "windows-1252", "cp1251",
                                "koi8-r", "shift_jis", "shift_jis_2004", "euc-kr", "gb18030", "big5", "cp864",
                                "utf-16", "utf-16-le", "UTF-32BE",
                                "utf8mb4", "x-mac-roman", "base64", "x-\u0127\u0127")],  # neither parser reads text in these
    *[(name, False) for name in ("utf-7", "UTF7", "unicode-1-1-utf-7", "iso-2022-jp", "iso2022_kr", "hz", "cp037",
                                 "cp500", "unicode_escape", "raw_unicode_escape", "punycode", "idna",
                                 "csUnicode11UTF7", "JAVA", "C99", "ISO-2022-CN")],  # the last four: lxml's only
])
def test_which_encodings_the_entity_check_can_read(name, checkable):
    from digests.parsing import _checkable

    assert _checkable(name) is checkable


def test_a_document_broken_in_its_bytes_and_its_markup_is_one_rejection():
    [rejection] = parse(b"<root><title>caf\xe9</title>").rejections  # not UTF-8, and cut off
    assert rejection.reason.startswith("not well-formed XML: ")


def test_bytes_windows_1252_leaves_undefined_are_replaced_not_fatal():
    declared = b'<?xml version="1.0" encoding="iso-8859-1"?><root><title>Caf\xe9 \x81 \x80</title><link>https://x.org/e</link></root>'
    [article] = parse(declared).articles  # read as windows-1252, where 0x81 is undefined
    assert article.title == "Caf\u00e9 \ufffd \u20ac"
    [article] = parse(declared.split(b"?>", 1)[1]).articles  # undeclared, and not UTF-8
    assert article.title == "Caf\u00e9 \ufffd \u20ac"
