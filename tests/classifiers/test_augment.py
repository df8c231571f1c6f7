"""Distillation's augmented copies: readable edits of real training text, no gold labels, reproducible."""

import random

import pytest

from classifiers.augment import WORD, Neighbours, augmented_rows, delete_span, join_texts, replace_words

TEXTS = [
    "Курьер опоздал на три часа, посылка пришла мятая. Поддержка не отвечает!",
    "Доставка быстрая, спасибо большое",
    "Где мой заказ? Жду уже неделю",
]


@pytest.fixture(scope="module")
def neighbours():
    return Neighbours(w for t in TEXTS for w in WORD.findall(t))


def test_neighbours_are_other_real_words(neighbours):
    near = neighbours.get("Доставка")  # case-insensitive lookup
    assert near and "доставка" not in near
    assert all(WORD.fullmatch(w) or "-" in w for w in near)
    assert neighbours.get("несуществующееслово") == []


def test_replace_keeps_the_rest_of_the_text(neighbours):
    text = TEXTS[0]
    assert replace_words(text, neighbours, random.Random(0), p=0.0) == text
    swapped = replace_words(text, neighbours, random.Random(0), p=1.0)
    assert swapped != text
    # punctuation and short words survive; only Cyrillic words of 3+ letters may change
    assert len(swapped.split()) == len(text.split())
    assert " на " in swapped and swapped.endswith("!")
    assert swapped[0].isupper()  # the capital of the first word is kept


def test_delete_and_join():
    rng = random.Random(3)
    short = "Спасибо, всё пришло"
    assert delete_span(short, rng) == short  # under four words: nothing to cut
    cut = delete_span(TEXTS[0], rng)
    assert 0 < len(cut.split()) < len(TEXTS[0].split())
    assert join_texts("Жду неделю", "Где заказ?") == "Жду неделю. Где заказ?"
    assert join_texts("Жду неделю!", "Где заказ?") == "Жду неделю! Где заказ?"


def test_augmented_rows_carry_no_gold_and_repeat_with_the_seed(neighbours):
    rows = [{"text": t, "sentiment": "negative", "topics": ["delivery_delay"]} for t in TEXTS]
    a = augmented_rows(rows, 3, seed=5, neighbours=neighbours)
    assert a == augmented_rows(rows, 3, seed=5, neighbours=neighbours)
    assert 0 < len(a) <= 9
    assert all(r["sentiment"] is None and r["topics"] is None and r["text"] not in TEXTS for r in a)
    assert {r["augmented"] for r in a} <= {"replace", "delete", "join"}
    assert augmented_rows(rows, 0) == []
