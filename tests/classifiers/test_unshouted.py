"""Texts typed in capitals, whole or in words, are read as the same text written calmly; others as they are."""

from __future__ import annotations

import pytest

from classifiers.checkpoint import encoder_text, unshouted
from classifiers.registry import DEFAULT_MODEL_DIR


@pytest.mark.parametrize("text, read", [
    ("КУРЬЕР НЕ ПРИЕХАЛ! ВЕРНИТЕ ДЕНЬГИ. где посылка?", "Курьер не приехал! Верните деньги. Где посылка?"),
    ("ПВЗ ЗАКРЫТ… УЖАС", "Пвз закрыт… Ужас"),
    ("СДЭК", "сдэк"),
    ("Курьер ОПЯТЬ опоздал, ПВЗ закрыт, МТС не ловит", "Курьер опять опоздал, ПВЗ закрыт, МТС не ловит"),
    ("Посылка пришла, спасибо Boxberry", "Посылка пришла, спасибо Boxberry"),
    ("", ""),
])
def test_unshouted(text, read):
    assert unshouted(text) == read


def test_the_encoder_reads_a_shouted_text_calmly_links_still_replaced():
    assert encoder_text("ГДЕ МОЯ ПОСЫЛКА http://T.CO/ABC", "query: ", "http") == "query: Где моя посылка http"


CALM = ["Курьер нахамил и бросил коробку у двери", "Списали деньги дважды, верните переплату",
        "Посылку потеряли, трек не обновляется уже месяц", "Спасибо, доставили раньше срока, всё целое",
        "Привезли не тот товар, в коробке чужой заказ", "Как поменять адрес доставки на другой?"]


def test_the_shipped_model_labels_a_shouted_complaint_as_the_calm_one():
    from classifiers.model import load_checkpoint

    clf = load_checkpoint(DEFAULT_MODEL_DIR, device="cpu")
    calm = [(p.sentiment, p.topics) for p in clf.predict(CALM)]
    shouted = clf.predict([t.upper() for t in CALM])
    in_words = clf.predict([" ".join(w.upper() if i % 2 else w for i, w in enumerate(t.split())) for t in CALM])
    assert [(p.sentiment, p.topics) for p in shouted] == calm
    assert [(p.sentiment, p.topics) for p in in_words] == calm
