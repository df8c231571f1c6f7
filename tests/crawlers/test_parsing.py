"""Text fidelity helpers and the review-site / Telegram parsing the real pages do not cover."""

from __future__ import annotations

from datetime import datetime

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse, Request

from crawlers.parsing import html_to_text, parse_datetime, parse_rating, parse_score
from crawlers.sites import embedded_json, json_values
from crawlers.spiders.review_site import ReviewSiteSpider, block_reason
from crawlers.spiders.telegram import _forwarded


@pytest.mark.parametrize("value, score, rating", [
    ("4.9", 4.9, 5), ("4,4 из 5", 4.4, 4), ("4.5", 4.5, 5), ("Оценка: 3", 3.0, 3), ("5", 5.0, 5),
    ("0", None, None), ("999", None, None), ("-3", 3.0, 3), ("", None, None), (None, None, None), ("нет", None, None),
])
def test_ratings_keep_decimals_and_round_half_up(value, score, rating):
    assert parse_score(value) == score and parse_rating(value) == rating


@pytest.mark.parametrize("html, text", [
    ("<div>Курьер\n    опоздал,\n  но\tвежлив</div>", "Курьер опоздал, но вежлив"),  # source wraps are spaces
    ("один<br>два<br/>три", "один\nдва\nтри"),
    ("<p>абзац</p><p>второй</p>", "абзац\n\nвторой"),
    ("&laquo;Скоро&raquo; &amp; &#10071; &#x1F621;", "«Скоро» & ❗ 😡"),
    ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"),  # decoded once, kept as text
    ("a<br><br><br><br>b", "a\n\nb"),
    ("<ul>\n  <li>раз</li>\n  <li>два</li>\n</ul>", "раз\nдва"),  # a line per item, no blank line between
    ("<table><tr><td>вес</td><td>2 кг</td></tr><tr><td>цена</td></tr></table>", "вес 2 кг\nцена"),
    ("<td>вес<td>2 кг", "вес 2 кг"),  # cells without their closing tags
    ("<li>пункт</li>хвост", "пункт хвост"),
    ("<p>Текст</p><style>.a{color:red}</style><script>var x = 1;</script>", "Текст"),  # never read as words
    ("a" + "&#32;" * 40_000 + "b", "a b"),
])
def test_html_to_text(html, text):
    assert html_to_text(html) == text


@pytest.mark.parametrize("value, expected", [
    ("2 июн 2026", "2026-06-02T00:00:00+03:00"),
    ("15 мая 2025, 10:30", "2025-05-15T10:30:00+03:00"),
    ("3 января 2024", "2024-01-03T00:00:00+03:00"),
    ("20.04.2026 14:04", "2026-04-20T14:04:00+03:00"),
    ("вчера", None),
    ("Пн, 24 сен 2018 19:42:40 +0500", "2018-09-24T19:42:40+05:00"),  # seconds and the written offset kept
    ("24.09.2018 19:42:40", "2018-09-24T19:42:40+03:00"),
    # other languages (RSS from CMSs that write localised RFC 822 dates), the instant exact
    ("Seg, 24 Set 2018 19:42:40 -0300", "2018-09-25T01:42:40+03:00"),
    ("lun., 24 sept. 2018 19:42:40 +0200", "2018-09-24T20:42:40+03:00"),
    ("24 Set", None),  # no year: never guessed from today's
])
def test_russian_dates(value, expected):
    got = parse_datetime(value)
    assert (got.isoformat() if got else None) == expected


# The otzovik facts of issue 17 (the only saved otzovik page is a captcha wall): items are schema.org reviews
# without data-review-id, the id is in link[itemprop=url], the date in div.review-postdate's content attribute,
# and the product's overall rating (4.9) sits outside the items.
OTZOVIK = """<html><body><div class="product-rating"><span>4.9</span></div><div class="review-list-2">
<div class="item status4 mshow0" itemprop="review" itemscope itemtype="http://schema.org/Review">
<link itemprop="url" href="https://otzovik.com/review_1234567.html">
<div class="login-col"><a class="user-login" itemprop="author" itemscope itemtype="http://schema.org/Person">
<span itemprop="name">Marina_K</span></a></div>
<div itemprop="reviewRating" itemscope><meta itemprop="ratingValue" content="2"></div>
<div class="review-postdate" content="2026-06-02">2 июн 2026</div>
<h3><a class="review-title" href="https://otzovik.com/review_1234567.html">Потеряли посылку</a></h3>
<div class="review-teaser">Посылку искали
   две недели,&nbsp;так и не нашли.</div>
<div class="review-plus">Достоинства: дешево</div><div class="review-minus">Недостатки: теряют посылки</div>
</div></div></body></html>"""


def test_otzovik_config_reads_the_real_markup():
    spider = ReviewSiteSpider(source="otz", config={"site": "otzovik", "start_url": "https://otzovik.com/reviews/x/"})
    (record,) = spider.records(Selector(text=OTZOVIK))
    f = spider.fields(record, "https://otzovik.com/reviews/x/")
    assert f["id"] == "1234567" and f["rating"] == 2 and f["author"] == "Marina_K" and f["title"] == "Потеряли посылку"
    assert f["posted_at"] == datetime.fromisoformat("2026-06-02T00:00:00+03:00")
    # The list shows a teaser; the pros and cons beside it follow as paragraphs.
    assert f["text"] == ("Посылку искали две недели,\xa0так и не нашли.\n\nДостоинства: дешево\n\n"
                         "Недостатки: теряют посылки")
    assert f["url"] == "https://otzovik.com/review_1234567.html"


def test_embedded_json_is_read_as_data_never_run():
    html = """<script>var initialState = JSON.parse('{"data":{"review":{"1":{"data":{"id":"1","text":"a\\\\nb \\\\u0026 \\'q\\'"}}}}}');
    window.other = {"x": [1, 2]};</script>"""
    data = embedded_json(html, "initialState")
    assert json_values(data, "data.review.*.data.text") == ["a\nb & 'q'"]
    assert embedded_json(html, "window.other") == {"x": [1, 2]}
    assert embedded_json(html, "missing") is None and embedded_json("x = JSON.parse('{broken');", "x") is None


def test_telegram_forward_keeps_its_origin():
    msg = Selector(text="""<div class="tgme_widget_message" data-post="skoro/9"><div class="tgme_widget_message_forwarded_from
    accent_color">Forwarded from <a class="tgme_widget_message_forwarded_from_name" href="https://t.me/skoro_news/120">
    <span dir="auto">СкороДоставка Новости</span></a></div></div>""")
    assert _forwarded(msg) == {"forwarded_from": "СкороДоставка Новости", "forwarded_from_url": "https://t.me/skoro_news/120"}
    assert _forwarded(Selector(text="<div class='tgme_widget_message'></div>")) == {}


def test_vk_post_text_decodes_entities_and_falls_back_to_attachments():
    from crawlers.spiders.vk_fields import post_text as _post_text

    assert _post_text({"text": "Посылка пришла &#10071; &quot;Скоро&quot; &amp; быстро"}) == 'Посылка пришла ❗ "Скоро" & быстро'
    video = {"text": "", "attachments": [{"type": "video", "video": {"title": "Распаковка &laquo;посылки&raquo;",
                                                                      "description": ""}}, {"type": "photo", "photo": {}}]}
    assert _post_text(video) == "Распаковка «посылки»"
    assert _post_text({"text": "", "attachments": [{"type": "photo", "photo": {"text": "x"}}]}) == ""


def test_a_hidden_captcha_field_is_no_block_and_json_pages_say_what_they_lacked():
    # A login pop-up with a captcha field, hidden, on an ordinary page (the shape of a saved Yandex.Market page).
    login = '<div class="popup" style="display: none"><form><input name="captcha"></form></div>'
    assert block_reason(Selector(text=f"<html><head><title>Маркет</title></head><body>{login}</body></html>")) is None
    shown = "<html><head><title>Маркет</title></head><body><form><input name='captcha'></form></body></html>"
    assert block_reason(Selector(text=shown)) == "blocked by a captcha or bot check (page title 'Маркет')"

    spider = ReviewSiteSpider(source="g", config={"site": "2gis", "start_url": "https://2gis.ru/x/firm/1"})
    assert spider.no_reviews_reason(Selector(text="<html><script>var x = 1;</script></html>")) == (
        "the page assigns no JSON to 'initialState' (a changed layout, or not the site's page)")
    # 2GIS's answer for a firm that does not exist: the state parses, its reviews are empty.
    missing = """<script>var initialState = JSON.parse('{"data":{"entity":{"profile":{"1":{"meta":{"code":404}}}},\
"review":{}}}');</script>"""
    assert spider.no_reviews_reason(Selector(text=missing)) == (
        "no reviews under 'data.review.*.data' in the page's 'initialState' JSON")


@pytest.mark.parametrize("total, warned", [("251", True), ("1 234", True), ("50", False), ("²", False),
                                           ("9" * 5000, False), ("", False)])
def test_a_page_with_fewer_reviews_than_its_total_warns(total, warned):
    spider = ReviewSiteSpider(source="g", config={"site": "2gis", "start_url": "https://2gis.ru/x/firm/1"})
    notes = []
    spider.warn = notes.append
    page = Selector(text="""<script>var initialState = JSON.parse('{"data":{"review":{},"reviewSearch":{"1":\
{"data":{"total":"%s"}}}}}');</script>""" % total)
    spider.warn_when_partial(page, 50)
    assert bool(notes) == warned
