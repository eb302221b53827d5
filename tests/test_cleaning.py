"""HTML to clean text: no Markdown residue, entities decoded once, no scripts, tidy whitespace."""

import pytest

from digests.cleaning import html_to_text


def test_no_markdown_residue():
    text = html_to_text('<h2>Heading</h2><p><b>Bold</b> and <em>italic</em> with <a href="https://x.org">a link</a>'
                        ' and <img src="i.png" alt="pic"> snake_case_name</p><ul><li>one</li><li>two</li></ul><hr>')
    assert text == "Heading\n\nBold and italic with a link and snake_case_name\n\n• one\n• two"
    for residue in ("**", "](", "\\_", "#", "* * *"):
        assert residue not in text


def test_styling_tags_leave_no_marks():
    html = "<p><span style='font-size:14px'><strong>Mumbai</strong> <del>old</del> new x<sup>2</sup> <u>u</u></span></p>"
    assert html_to_text(html) == "Mumbai old new x2 u"


def test_strikethrough_and_code_leave_no_marks():
    html = "<p>Rate <strike>7%</strike> 6.5% for <code>msme_loans</code>, press <kbd>F5</kbd></p><pre><code>a = 1</code></pre>"
    assert html_to_text(html) == "Rate 7% 6.5% for msme_loans, press F5\n\na = 1"


def test_table_cells_stay_apart_and_rows_keep_their_lines():
    html = ("<p>Results:</p><table><tr><th>Year</th><th>Revenue</th></tr>"
            "<tr><td>2024</td><td>5 crore</td></tr><tr><td>2025</td><td><b>7</b> crore</td></tr></table>")
    assert html_to_text(html) == "Results:\n\nYear Revenue\n2024 5 crore\n2025 7 crore"


def test_html5_blocks_keep_their_text_apart():
    html = ("<figure><img src='a.jpg'></figure><section>Exports rose on Saturday.</section>"
            "<article><header>Tax</header>Slabs changed.</article>")
    assert html_to_text(html) == "Exports rose on Saturday.\n\nTax\n\nSlabs changed."


def test_media_fallback_text_is_left_out():
    html = "<p>Watch:</p><video src='v.mp4'>Your browser does not support video.</video><audio>No audio</audio>"
    assert html_to_text(html) == "Watch:"


def test_the_text_after_an_embed_is_kept():
    """<embed> has no content; lxml reports what follows it as inside it until the parent ends."""
    html = '<p>Watch the launch <embed src="https://x.example/v.swf"> live from Sriharikota.</p><p>More later.</p>'
    assert html_to_text(html) == "Watch the launch live from Sriharikota.\n\nMore later."
    assert html_to_text("<object><embed src='v.swf'>fallback</embed></object><p>After.</p>") == "After."


def test_a_body_without_markup_keeps_its_paragraphs():
    assert html_to_text("First paragraph.\r\n\r\nSecond paragraph,\nwrapped.  AT&amp;T") == \
        "First paragraph.\n\nSecond paragraph, wrapped. AT&T"


def test_literal_markdown_characters_in_the_text_survive_unescaped():
    assert html_to_text(r"<p>1. Prices rose by 5* - see [note] \ more #1</p>") == r"1. Prices rose by 5* - see [note] \ more #1"


@pytest.mark.parametrize(("html", "text"), [
    ("<p>Tom &amp; Jerry</p>", "Tom & Jerry"),
    ("<p>AT&amp;amp;T</p>", "AT&amp;T"),  # double-escaped in the source: decoded once, not twice
    ("<p>caf&#233; &lt;tag&gt; &nbsp;x</p>", "café <tag> x"),
])
def test_entities_decoded_exactly_once(html, text):
    assert html_to_text(html) == text


def test_scripts_styles_and_frames_never_reach_the_text():
    html = ('<p onclick="steal()">Real text.</p><script>alert("x")</script><style>p{color:red}</style>'
            '<iframe src="https://evil.example">frame text</iframe><noscript>enable js</noscript>')
    assert html_to_text(html) == "Real text."


def test_whitespace_is_tidy(sample_file):
    from digests.parsing import parse_file
    from tests.conftest import KOLKATA

    [article] = parse_file(sample_file, default_source="knn", source_tz=KOLKATA).articles
    text = html_to_text(article.html)
    assert "\r" not in text and "  " not in text and "\n\n\n" not in text
    assert text.startswith("New Delhi, Aug 7 (KNN) India and Russia convened")
    assert text.endswith("(KNN Bureau)")


def test_empty_body():
    assert html_to_text("") == ""
    assert html_to_text("<p> </p>") == ""


def test_spaces_inside_text_fold_to_one_and_pre_keeps_its_lines():
    html = "<p>New\tDelhi,\n  Aug 7 <span> (KNN)\u00a0</span>\u3000text </p><pre>line one\n  line two</pre>"
    assert html_to_text(html) == "New Delhi, Aug 7 (KNN) text\n\nline one\nline two"


def test_space_folding_is_the_same_as_html2text_own(monkeypatch):
    """Cleaning folds spaces itself, for speed (see ``_PlainText.o``): the output must not change."""
    import random

    import html2text

    from digests import cleaning

    pieces = ["word", "x y", " ", "  ", "\t", "\n", "\u00a0", "\u3000", "&nbsp;", "&amp;", "<p>", "</p>", "<br>",
              "<span>", "</span>", "<b>", "</b>", "<pre>", "</pre>", "<ul>", "<li>", "</ul>", "<blockquote>",
              "</blockquote>", "<h2>", "</h2>", "<td>", "<a href='/x'>", "</a>"]
    rng = random.Random(7)
    bodies = ["".join(rng.choices(pieces, k=rng.randint(1, 60))) for _ in range(3000)]
    ours = [html_to_text(body) for body in bodies]
    monkeypatch.setattr(cleaning._PlainText, "o", html2text.HTML2Text.o)
    assert [html_to_text(body) for body in bodies] == ours
