"""Russian text normalisation, the dedup key and language tagging."""

import pytest

from crawlers.language import detect_language
from store.text import dedup_key, long_numbers, normalize_text, shingles


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("при\u0438\u0306ти", "прийти"),  # decomposed й → NFC
        ("семья 👨\u200d👩\u200d👧 и флаг 🏳️\u200d🌈", "семья 👨\u200d👩\u200d👧 и флаг 🏳️\u200d🌈"),  # emoji sequences kept
        ("сло\u200dво и\u00adмя\u2060", "слово имя"),  # stray joiner, soft hyphen, word joiner dropped
        ("раз\u2028два\u2029три\x85четыре", "раз\nдва\nтри\nчетыре"),  # Unicode line breaks
        ("\tтаб\tи\u3000пробел\u202f!", "таб и пробел !"),
        ("спасибо [id123|Олегу] и [club45|СкороДоставке]", "спасибо Олегу и СкороДоставке"),  # VK mention markup
        ("ссылка https://skoro.ru/t?id=1&x=2 остаётся", "ссылка https://skoro.ru/t?id=1&x=2 остаётся"),
        ("\ufeffБОМ в начале\x9b", "БОМ в начале"),
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


def test_dedup_key_drops_urls_mentions_and_markup():
    a = "Ёжик @skoro_help: посылка SK123456789RU ушла на skoro.ru/track/1 и www.skoro.ru 😡 #доставка"
    assert dedup_key(a) == "ежик посылка sk123456789ru ушла на и доставка"
    assert dedup_key("[id1|Олег], где заказ?") == dedup_key("Олег где заказ")
    assert dedup_key("e-mail: a@b.ru") == "e mail a b ru"  # an address is not a @mention


def test_shingles_and_order_numbers():
    assert shingles("абвгд") == {"абвг", "бвгд"}
    assert shingles("аб") == {"аб"} and shingles("") == set()
    assert long_numbers("заказ 40012345, трек SK123456789RU, дом 12") == {"40012345", "123456789"}


@pytest.mark.parametrize(
    "text, lang",
    [
        ("Курьер опоздал на три часа и даже не позвонил", "ru"),
        ("Посилка досі не прийшла, ніхто не відповідає на дзвінки", "uk"),
        ("The courier never showed up and support does not answer", "en"),
        ("Заказ из iPhone Store пришёл быстро, курьер вежливый", "ru"),  # Latin brand names inside Russian
        ("👍👍👍", ""),
        ("ок", ""),
        ("", ""),
    ],
)
def test_language_tags(text, lang):
    assert detect_language(text) == lang
