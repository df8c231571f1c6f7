"""A review listing that shows cut previews (otzovik: every teaser ends with "...", real list pages named in
docs/crawlers.md): a new review is read whole from its own page (the real page's shape: the text under
itemprop=description with an ad slot inside); when that page fails, the preview is stored and the run warns; a
rerun reads no review page again and stores no false edit."""

from __future__ import annotations

import pytest

from crawlers.fakeweb import FakeWeb, Reply
from store.models import Mention, Source
from tests.crawlers.local import crawl_once, load_sources

LIST_URL = "https://otzovik.com/reviews/skoro/"


def _review(rid: int, date: str, teaser: str) -> str:
    return f"""<div class="item" itemprop="review" itemscope itemtype="http://schema.org/Review">
<link itemprop="url" href="https://otzovik.com/review_{rid}.html">
<div class="item-left" itemprop="author"><a class="user-login" href="/profile/u{rid}">
<span itemprop="name">u{rid}</span></a></div>
<div class="review-postdate" itemprop="datePublished" content="{date}"><span>1 ноября 2026</span></div>
<h3><a class="review-title" href="https://otzovik.com/review_{rid}.html">Отзыв {rid}</a></h3>
<div class="review-teaser" itemprop="description">{teaser}</div>
<div class="review-plus"><b>Достоинства:</b> Дёшево</div><div class="review-minus"><b>Недостатки:</b> Сроки</div>
</div>"""


LISTING = f"""<html><head><meta charset="utf-8"><title>Отзывы о СкороДоставке</title></head><body>
{_review(3, "2026-11-03T10:00:00+03:00", "Посылку ждал три недели, трек не обновлялся, в поддержке...")}
{_review(2, "2026-11-02T10:00:00+03:00", "Курьер приехал не в тот день и не позвонил заранее, а потом...")}
{_review(1, "2026-11-01T10:00:00+03:00", "Всё пришло вовремя.")}
</body></html>"""

REVIEW_PAGE = """<html><head><meta charset="utf-8"><meta name="description" content="Посылку ждал три недели...">
<title>Отзыв</title></head><body><div class="review-contents" itemprop="review" itemscope>
<div class="review-body description" itemprop="description">Посылку ждал три недели, трек не обновлялся, в поддержке
отвечали шаблонами.<br><br><div class="otz_panel_inpage"><!-- #OTZOAD --><div id="yandex_rtb_R-A-1"></div>
<script>window.yaContextCb.push(()=>{})</script></div>Вернули деньги только после претензии.</div>
<div class="review-plus"><b>Достоинства:</b> Дёшево</div></div></body></html>"""

FULL_TEXT = ("Посылку ждал три недели, трек не обновлялся, в поддержке отвечали шаблонами.\n\n"
             "Вернули деньги только после претензии.")


@pytest.fixture
def web(shared_db, tmp_path):
    web = FakeWeb()
    web.add(LIST_URL, Reply(LISTING, content_type="text/html; charset=utf-8"))
    web.add("https://otzovik.com/review_3.html", Reply(REVIEW_PAGE, content_type="text/html; charset=utf-8"))
    # review_2.html is not served: 404
    load_sources(tmp_path, [{"name": "otz", "kind": "review_site", "site": "otzovik", "start_url": LIST_URL}])
    with web:
        yield web


def test_a_cut_teaser_is_read_whole_from_the_reviews_own_page(web):
    stats = crawl_once(web)["otz"]
    assert stats["ok"] and stats["new"] == 3

    whole = Mention.objects.get(external_id="3")
    assert whole.text == FULL_TEXT + "\n\nДостоинства: Дёшево\n\nНедостатки: Сроки"  # no ad slot, no script
    assert "preview" not in whole.raw

    kept = Mention.objects.get(external_id="2")  # its page failed: the preview is stored, not lost
    assert kept.text.startswith("Курьер приехал не в тот день и не позвонил заранее, а потом...")
    assert kept.raw["preview"] is True and kept.raw["listing"] == LIST_URL
    status = Source.objects.get(name="otz").last_status
    assert "warning: a review's own page gave no text" in status
    assert "(https://otzovik.com/review_2.html: HTTP 404)" in status

    uncut = Mention.objects.get(external_id="1")
    assert uncut.text.startswith("Всё пришло вовремя.") and "preview" not in uncut.raw
    pages = sorted(u for u in web.fetched("https://otzovik.com/review_"))
    assert pages == ["https://otzovik.com/review_2.html", "https://otzovik.com/review_3.html"]


def test_a_rerun_reads_no_review_page_and_stores_no_false_edit(web):
    crawl_once(web)
    before = Mention.objects.count()
    again = crawl_once(web)["otz"]
    assert again["ok"] and again["new"] == again["near_duplicate"] == 0
    # The listing's preview of review 3 differs from the whole text stored: a repeat, not a new version.
    assert Mention.objects.count() == before and not Mention.objects.filter(external_id__contains="#edit-").exists()
    assert len(web.fetched("https://otzovik.com/review_")) == 2  # only the first run's two


def test_a_captcha_on_the_reviews_page_keeps_the_preview_and_says_so(web):
    wall = "<html><head><title>Отзовик - Вы робот?</title></head><body><form class='captcha'></form></body></html>"
    web.add("https://otzovik.com/review_3.html", Reply(wall, content_type="text/html; charset=utf-8"))
    web.add("https://otzovik.com/review_2.html", Reply(REVIEW_PAGE.replace("Посылку", "Заказ"),
                                                       content_type="text/html; charset=utf-8"))
    assert crawl_once(web)["otz"]["ok"]
    assert Mention.objects.get(external_id="2").text.startswith("Заказ ждал три недели")
    kept = Mention.objects.get(external_id="3")
    assert kept.raw["preview"] is True and kept.text.endswith("Недостатки: Сроки")
    status = Source.objects.get(name="otz").last_status
    assert "https://otzovik.com/review_3.html: blocked by a captcha" in status


def test_a_review_of_the_floors_day_is_read_whole_too(web):
    """otzovik's review pages date by day: a new review may tie with the newest stored one."""
    crawl_once(web)
    day = "2026-11-03T10:00:00+03:00"  # review 3's date, the floor now
    web.add(LIST_URL, Reply(LISTING.replace('<div class="item"', _review(4, day, "Заказ 4 ждал неделю...") +
                                            '\n<div class="item"', 1), content_type="text/html; charset=utf-8"))
    page = ('<html><head><meta charset="utf-8"></head><body><div class="review-body" itemprop="description">'
            "Заказ 4 ждал неделю, курьер так и не позвонил.</div></body></html>")
    web.add("https://otzovik.com/review_4.html", Reply(page, content_type="text/html; charset=utf-8"))
    assert crawl_once(web)["otz"]["new"] == 1
    assert Mention.objects.get(external_id="4").text.startswith("Заказ 4 ждал неделю, курьер так и не позвонил.")
    assert web.fetched("https://otzovik.com/review_").count("https://otzovik.com/review_3.html") == 1


OTHER_HOST = _review(5, "2026-11-05T10:00:00+03:00", "Чужой адрес у отзыва…").replace(
    "https://otzovik.com/review_5", "http://169.254.169.254/review_5")
ODD_ADDRESS = _review(6, "2026-11-06T10:00:00+03:00", "Адрес не для браузера...").replace(
    "https://otzovik.com/review_6.html", "javascript:x=6")
HOSTILE = f"""<html><head><meta charset="utf-8"><title>Отзывы</title></head><body>
{OTHER_HOST}
{ODD_ADDRESS}
{_review(7, "2026-11-07T10:00:00+03:00", "Страница оборвана...")}
</body></html>"""


def test_review_pages_only_on_the_listings_host_and_never_half_read(web, tmp_path):
    web.add(LIST_URL, Reply(HOSTILE, content_type="text/html; charset=utf-8"))
    web.add("https://otzovik.com/review_7.html", Reply(REVIEW_PAGE.split("Вернули")[0],
                                                       content_type="text/html; charset=utf-8"))
    load_sources(tmp_path, [{"name": "otz", "kind": "review_site", "site": "otzovik", "start_url": LIST_URL,
                             "selectors": {"preview_end": ["...", "…"]}}])  # either mark cuts a text
    stats = crawl_once(web)["otz"]
    assert stats["ok"] and stats["new"] == 3
    assert sorted(web.fetched()) == sorted([LIST_URL, "https://otzovik.com/review_7.html"])  # no other host
    for rid in ("5", "6", "7"):  # kept as previews: the other host and the odd address are not followed,
        assert Mention.objects.get(external_id=rid).raw["preview"] is True  # the cut page is not taken whole
    assert "truncated page" in Source.objects.get(name="otz").last_status
