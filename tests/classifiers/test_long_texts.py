"""A text longer than the checkpoint's max_length is read whole: overlapping windows, pooled per text."""

from __future__ import annotations

import numpy as np
import pytest

from classifiers import model as M
from classifiers.registry import load_classifier

STORY = ("Заказала диван, оплатила сразу, менеджер обещал доставку через неделю. Прошло две недели, "
         "трек не обновляется, на горячей линии никто не отвечает. ")
COMPLAINT = "Курьер опоздал на три часа, коробка пришла мятая."


@pytest.fixture(scope="module")
def clf(tiny_trained):
    return load_classifier(tiny_trained, device="cpu")


def test_a_long_text_becomes_overlapping_windows_that_cover_it(clf):
    long = STORY * 3 + COMPLAINT
    windows, owner = clf.windows(["ок", long, "спасибо"])
    assert owner.tolist()[0] == 0 and owner.tolist()[-1] == 2 and len(windows) > 4
    mine = [w for w, o in zip(windows, owner) if o == 1]
    assert mine[0] == clf.encode([long])[0]  # the first window is what a cut text read
    head = clf.tokenizer(clf.prefix.rstrip(), add_special_tokens=False)["input_ids"]
    body = list(range(1000, 1300))  # distinct ids, so every window's place in the text is known
    split = clf._split([0, *head, *body, 2], head)
    places = []
    for w in split:
        assert len(w) == clf.max_length and w[0] == 0 and w[-1] == 2 and w[1 : 1 + len(head)] == head
        piece = w[1 + len(head) : -1]
        places.append((piece[0] - 1000, piece[-1] - 1000))
        assert piece == body[places[-1][0] : places[-1][1] + 1]
    assert places[0][0] == 0 and places[-1][1] == len(body) - 1
    assert all(b[0] < a[1] for a, b in zip(places, places[1:]))  # they overlap: no word is lost at a cut


def test_windows_are_capped_for_a_huge_text(clf):
    windows, owner = clf.windows([STORY * 400])
    assert len(windows) == M.MAX_WINDOWS and set(owner.tolist()) == {0}


def test_a_long_texts_logits_pool_its_windows(clf):
    """Sentiment: the mean of the windows' logits; topics: their maximum (a topic named anywhere counts)."""
    long = STORY * 5 + COMPLAINT
    windows, _ = clf.windows([long])
    each = np.stack([clf._forward(*clf.pad([w])) [0] for w in windows])
    got = clf.logits([long])[0]
    ns = len(clf.sentiments)
    np.testing.assert_allclose(got[:ns], each[:, :ns].mean(axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[ns:], each[:, ns:].max(axis=0), rtol=1e-5, atol=1e-5)
    clf.read_whole = False
    try:
        np.testing.assert_allclose(clf.logits([long])[0], each[0], rtol=1e-5, atol=1e-5)  # cut: the first window
    finally:
        clf.read_whole = True


def test_a_long_text_scores_the_same_alone_and_among_others(clf):
    long = STORY * 5 + COMPLAINT
    alone = clf.logits([long])[0]
    batched = clf.logits(["ок", STORY * 3, long, COMPLAINT])[2]
    assert np.array_equal(alone, batched)
    short = clf.logits([COMPLAINT])[0]
    assert np.array_equal(short, clf.logits([long, COMPLAINT])[1])  # a short text is untouched by the long one


def test_the_long_review_check_scores_each_system_read_whole_and_cut(clf):
    from classifiers.evaluate import long_review_rows, long_review_sentiment, render_long_reviews

    rows = long_review_rows()
    assert len(rows) == 605 and {r["sentiment"] for r in rows} == {"positive", "negative"}  # the shared reviews
    sample = rows[:6] + [{"text": STORY * 4 + COMPLAINT, "sentiment": "negative"}]
    got = long_review_sentiment(clf, sample)
    assert got["n"] == 7 and 1 <= got["n_long"] <= 7 and got["max_length"] == clf.max_length
    for way in ("whole", "cut"):
        assert 0.0 <= got[way]["all"] <= 1.0 and 0.0 <= got[way]["long"] <= 1.0
    assert clf.read_whole  # restored
    table = "\n".join(render_long_reviews({"model": got}))
    assert f"{got['n_long']} of them longer than {clf.max_length} word pieces" in table
    assert f"| fine-tuned e5-small | {got['whole']['all']:.3f} |" in table
