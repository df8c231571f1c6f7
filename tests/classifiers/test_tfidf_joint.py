"""`JointTfidf` counts each text's n-grams once for the topic and sentiment mixtures and must score exactly as
each part's own TF-IDF vectorizer does (sublinear tf, the part's idf, L2 norm over the part's vocabulary)."""

import numpy as np
import pytest

from classifiers import data as D
from classifiers.sentiment_tfidf import SentimentTfidf
from classifiers.tfidf_linear import JointTfidf, vectorizer
from classifiers.topic_tfidf import TopicTfidf

LABELS = ["negative", "neutral", "positive"]


@pytest.fixture(scope="module")
def parts():
    tweets = D.load_tweets("train")[:1500]
    logistics = [{"text": r["text"], "topics": r["topics"]} for r in D.load_logistics("train")[:1500]]
    codes = sorted({c for r in logistics for c in r["topics"]})
    return TopicTfidf.fit(logistics, codes), SentimentTfidf.fit(tweets, LABELS)


def sklearn_scores(part, texts):
    """The part's scores through scikit-learn's own TfidfVectorizer over the part's vocabulary alone."""
    vec = vectorizer(vocabulary={g: i for i, g in enumerate(part.vocabulary)})
    vec.idf_ = part.idf.astype(np.float64)
    return np.asarray(vec.transform([t or "" for t in texts]) @ part.coef.T.astype(np.float64)) + part.intercept


def test_joint_scores_equal_each_vectorizer_alone(parts):
    topic, sentiment = parts
    assert set(topic.vocabulary) != set(sentiment.vocabulary)  # the union really differs from each part
    odd = ["", "   ", None, "ЪЪЪ qqq", "Курьер опоздал на 3 дня!"]
    texts = [r["text"] for r in D.load_tweets("test")[:300]] + odd
    z_topic, z_sentiment = JointTfidf([topic, sentiment]).linear(texts)
    assert z_topic.shape == (len(texts), len(topic.codes)) and z_sentiment.shape == (len(texts), 3)
    assert np.abs(z_topic - sklearn_scores(topic, texts)).max() < 1e-4
    assert np.abs(z_sentiment - sklearn_scores(sentiment, texts)).max() < 1e-4
    assert np.allclose(z_sentiment[len(texts) - len(odd)], sentiment.intercept)  # no n-gram: the intercepts alone
    assert np.abs(topic.linear(texts) - z_topic).max() < 1e-5  # a part alone goes the same way
