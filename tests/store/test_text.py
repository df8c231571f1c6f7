import pytest

from store.text import content_hash, dedup_key, normalize_text


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  Привет,\u00a0мир  ", "Привет, мир"),
        ("e\u0301", "é"),  # NFC
        ("до\u200bставка", "доставка"),  # zero-width removed
        ("строка1\r\n\r\n\r\nстрока2", "строка1\n\nстрока2"),
        ("эмодзи 😡📦 остаются", "эмодзи 😡📦 остаются"),
        ("a\x00b\x07c", "abc"),
        (None, ""),
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


def test_dedup_key_ignores_case_punctuation_urls_and_mentions():
    a = "Курьер ОПОЗДАЛ на 3 часа!!! https://t.me/x @skoro"
    b = "курьер опоздал, на 3 часа"
    assert dedup_key(a) == dedup_key(b) == "курьер опоздал на 3 часа"
    assert content_hash(a) == content_hash(b)


def test_content_hash_differs_for_different_words():
    assert content_hash("посылка пришла") != content_hash("посылка не пришла")


def test_yo_folding():
    assert dedup_key("Ещё ждём") == dedup_key("еще ждем")
