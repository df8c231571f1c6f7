"""`otklik train --brand-swap`: training tweets name random companies of their domain; nothing else changes."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

from classifiers.brands import BRANDS, brand_swapped, swap_brands
from classifiers.pipeline import sentiment_splits

sys.path.insert(0, str(Path(__file__).parent))
from test_rusentiment_share import ids_by_set  # noqa: E402


def test_every_spelling_of_a_company_is_replaced_by_a_company_of_the_same_domain():
    name = "(" + "|".join(re.escape(n) for n, _ in BRANDS["telecom"]) + ")"
    text = "@ru_mts опять нет связи, ушёл в Билайн, а Мегафону и Теле2 не верю. #beeline"
    out = swap_brands(text, "telecom", random.Random(0))
    template = f"@ru_{name} опять нет связи, ушёл в {name}, а {name} и {name} не верю\\. #{name}"
    assert re.fullmatch(template, out), out
    seen = {swap_brands(text, "telecom", random.Random(seed)) for seed in range(5)}
    assert len(seen) > 1


def test_words_that_only_contain_a_name_and_other_domains_are_left_alone():
    rng = random.Random(0)
    assert swap_brands("В Сбербанке очередь, а в МТС нет", "banks", rng).endswith("а в МТС нет")
    assert swap_brands("взял кредит в Сбербанке", "vk_posts", rng) == "взял кредит в Сбербанке"
    assert swap_brands("сегодня заметки про простую жизнь", "telecom", rng) == "сегодня заметки про простую жизнь"


def test_brand_swap_changes_training_tweets_only_and_is_seeded():
    plain, val_plain = sentiment_splits(13)
    swapped, val_swapped = sentiment_splits(13, brand_swap=True)
    assert ids_by_set(val_plain) == ids_by_set(val_swapped)
    assert [r["id"] for r in plain] == [r["id"] for r in swapped]
    assert [r["sentiment"] for r in plain] == [r["sentiment"] for r in swapped]
    changed = [(a, b) for a, b in zip(plain, swapped) if a["text"] != b["text"]]
    assert all(a["domain"] in BRANDS for a, _ in changed)
    tweets = [r for r in plain if r["domain"] in BRANDS]
    assert len(changed) > 0.5 * len(tweets)
    assert brand_swapped(tweets[:200], 5) == brand_swapped(tweets[:200], 5)
