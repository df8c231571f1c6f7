"""`CharNgramCounter` must count exactly what scikit-learn's `char_wb` 2-5 analyzer counts, on real texts."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from classifiers import data as D
from classifiers.char_ngrams import CharNgramCounter
from classifiers.tfidf_linear import ANALYZER, fit_features

ODD = ["", None, "   ", "a", "Я", "İSTANBUL ǅemal", "эмодзи 😀👍🏽 тест", "\ttab\nnewline\x1cfs\xa0nbsp\u3000ideo",
       "ﬁ ﬂ ß ẞ", "x" * 50, "ЪЪЪ qqq ЪЪЪ", "@cdek_ru http://t.co/AbC123xyz !!!", "中文 ☃ snow"]


def sklearn_counts(vocabulary, texts):
    kw = {k: v for k, v in ANALYZER.items() if k != "sublinear_tf"}
    return CountVectorizer(**kw, vocabulary=vocabulary, dtype=np.float32).transform([t or "" for t in texts])


@pytest.fixture(scope="module")
def vocabulary():
    texts = [r["text"] for r in D.load_tweets("train")[:2000]] + [r["text"] for r in D.load_logistics("train")[:500]]
    vec, _, _ = fit_features(texts, min_df=2)
    return vec.vocabulary_


def test_counts_equal_scikit_learn_on_real_texts(vocabulary):
    texts = [r["text"] for r in D.load_tweets("test")[:1500]] + [r["text"] for r in D.load_logistics("test")[:300]]
    texts += ODD
    ours, theirs = CharNgramCounter(vocabulary).transform(texts), sklearn_counts(vocabulary, texts)
    assert ours.shape == theirs.shape and ours.dtype == np.float32
    assert theirs.nnz > 10 * len(texts) and (ours != theirs).nnz == 0


def test_each_text_counts_alone_as_in_a_batch(vocabulary):
    counter = CharNgramCounter(vocabulary)
    batch = counter.transform(ODD).toarray()
    for i, text in enumerate(ODD):
        assert np.array_equal(counter.transform([text]).toarray()[0], batch[i])


def test_unknown_characters_never_match_and_edge_cases():
    vocabulary = {" к": 0, "ку": 1, "у ": 2, " ку ": 3, "ку ": 4, " ку": 5, "ab": 6}
    counter = CharNgramCounter(vocabulary)
    texts = ["КУ ку", "Ж", "ЖКУ", "ку\tку", "", None, "kу"]  # the last one starts with a Latin k
    assert np.array_equal(counter.transform(texts).toarray(), sklearn_counts(vocabulary, texts).toarray())
    assert counter.transform([]).shape == (0, 7)
    with pytest.raises(ValueError, match="outside 2-5"):
        CharNgramCounter({"к": 0})
