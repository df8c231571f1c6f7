"""`otklik sources check`: a dry run of a review-site config over a saved page or a URL; nothing is stored."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from crawlers.fakeweb import FakeWeb, Reply
from otklik.cli import main
from store.models import Mention, QuarantinedItem
from tests.crawlers.realweb import PAGES, needs_real_pages, page

pytestmark = [needs_real_pages, pytest.mark.django_db]


@pytest.fixture
def wide(monkeypatch, tmp_path):
    from otklik.clitools import console

    monkeypatch.setattr(console, "width", 250)
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - {name: sber, kind: review_site, site: banki-ru, start_url: 'https://www.banki.ru/services/responses/bank/sberbank/'}\n"
        "  - name: sber-wrong-date\n    kind: review_site\n    site: banki-ru\n"
        "    start_url: 'https://www.banki.ru/services/responses/bank/sberbank/'\n"
        "    selectors: {date: 'time::attr(datetime)', author: '.author::text'}\n"
        "  - {name: news, kind: rss, url: 'https://x.ru/rss'}\n", encoding="utf-8")
    return ["sources", "--sources-file", str(path), "check"]


def test_check_a_saved_page_shows_what_the_selectors_find(wide):
    out = CliRunner().invoke(main, [*wide, "sber", "--file", str(PAGES / "banki_ru_sberbank_responses_list_repmon.html"),
                                    "--url", "https://www.banki.ru/services/responses/bank/sberbank/", "--show", "1"])
    assert out.exit_code == 0, out.output
    assert "найдено отзывов — 25" in out.output
    assert "13054481" in out.output and "Сбер - это экономия. За счет клиента" in out.output
    assert "https://www.banki.ru/services/responses/bank/response/13054481/" in out.output
    assert "Следующая страница: /services/responses/bank/sberbank/?page=2&is_countable=on" in out.output
    assert "Не заданы (необязательные): author" in out.output
    assert "превью" in out.output and "да: сайт показал только начало отзыва" in out.output  # cut at ~250 chars
    assert not Mention.objects.exists() and not QuarantinedItem.objects.exists()  # a dry run


def test_check_names_each_selector_that_matched_nothing(wide):
    out = CliRunner().invoke(main, [*wide, "sber-wrong-date", "--file", str(PAGES / "banki_ru_sberbank_responses_list_repmon.html")])
    assert out.exit_code == 0, out.output
    assert "Селектор author ничего не нашёл ни в одном отзыве" in out.output
    assert "Селектор date ничего не нашёл ни в одном отзыве" in out.output


def test_check_a_site_key_on_embedded_json_and_a_captcha_wall(wide):
    out = CliRunner().invoke(main, [*wide, "2gis", "--file", str(PAGES / "2gis_firm_reviews_vologda_feedbackservice.html")])
    assert out.exit_code == 0 and "найдено отзывов — 50" in out.output and "Анатолий Калинин" in out.output
    wall = CliRunner().invoke(main, [*wide, "otzovik", "--file", str(PAGES / "otzovik_captcha_block_page_repmon.html")])
    assert wall.exit_code == 1
    assert "blocked by a captcha or bot check (page title 'Отзовик - Вы робот?')" in wall.output
    assert "селекторы не нашли ни одного отзыва" in wall.output


def test_check_fetches_a_url_and_refuses_other_kinds(wide):
    with FakeWeb() as web:
        web.add("https://www.banki.ru/services/responses/bank/sberbank/",
                Reply(page("banki_ru_sberbank_responses_list_repmon.html")))
        out = CliRunner().invoke(main, [*wide, "sber", "--url", f"{web.url}/www.banki.ru/services/responses/bank/sberbank/"])
    assert out.exit_code == 0 and "найдено отзывов — 25" in out.output, out.output
    other = CliRunner().invoke(main, [*wide, "news"])
    assert other.exit_code == 1 and "только для review_site" in other.output
    unknown = CliRunner().invoke(main, [*wide, "nope"])
    assert unknown.exit_code == 1 and "нет ни источника, ни сайта 'nope'" in unknown.output


def test_check_a_saved_review_page_with_the_full_text_selectors(wide, tmp_path):
    from tests.crawlers.test_review_previews import FULL_TEXT, REVIEW_PAGE

    review = tmp_path / "review.html"
    review.write_text(REVIEW_PAGE, encoding="utf-8")
    out = CliRunner().invoke(main, [*wide, "otzovik", "--review-file", str(review)])
    assert out.exit_code == 0, out.output
    assert f"({len(FULL_TEXT)} символов)" in out.output and "Вернули деньги только после претензии." in out.output
    assert "yandex" not in out.output and "OTZOAD" not in out.output  # the ad slot inside the text reads as none
    cut = tmp_path / "cut.html"
    cut.write_text(REVIEW_PAGE.split("Вернули")[0], encoding="utf-8")
    failed = CliRunner().invoke(main, [*wide, "otzovik", "--review-file", str(cut)])
    assert failed.exit_code == 1 and "на странице отзыва не найден текст: truncated page" in failed.output
    none = CliRunner().invoke(main, [*wide, "sber", "--review-file", str(review)])
    assert none.exit_code == 1 and "the site has no full_text selector" in none.output
