"""`CharNgramCounter` must count exactly what scikit-learn's `char_wb` 2-5 analyzer counts, on real texts."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from classifiers import data as D
from classifiers.char_ngrams import CharNgramCounter, SklearnNgramCounter, ngram_counter
from classifiers.tfidf_linear import ANALYZER, fit_features

ODD = ["", None, "   ", "a", "Я", "İSTANBUL ǅemal", "эмодзи 😀👍🏽 тест", "\ttab\nnewline\x1cfs\xa0nbsp\u3000ideo",
       "ﬁ ﬂ ß ẞ", "x" * 50, "ЪЪЪ qqq ЪЪЪ", "@cdek_ru http://t.co/AbC123xyz !!!", "中文 ☃ snow"]


def sklearn_counts(vocabulary, texts):
    """scikit-learn's counts under the options the mixtures' vectorizer is fitted with (TF weighting aside)."""
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


def test_an_alphabet_too_large_for_exact_keys_is_counted_by_scikit_learn():
    vocabulary = {chr(0x4E00 + i) + chr(0x4E00 + i + 1): i for i in range(5000)}
    with pytest.raises(ValueError, match="exact 64-bit"):
        CharNgramCounter(vocabulary)
    counter = ngram_counter(vocabulary)
    texts = ["".join(chr(0x4E00 + i) for i in range(0, 60, 3)) + " 一丁", "тест"]
    assert isinstance(counter, SklearnNgramCounter)
    assert (counter.transform(texts) != sklearn_counts(vocabulary, texts)).nnz == 0
    assert counter.transform(texts).sum() > 0
