"""Charts for reports, rendered with matplotlib to PNG and embedded as data URIs (the HTML works offline)."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SENTIMENT_COLORS = {"negative": "#d9534f", "neutral": "#9e9e9e", "positive": "#5cb85c"}
SENTIMENT_RU = {"negative": "негатив", "neutral": "нейтрально", "positive": "позитив"}


def _to_data_uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def volume_chart(data) -> str:
    """Stacked daily mention volume of the top topics."""
    fig, ax = plt.subplots(figsize=(10, 4))
    bottom = [0] * len(data.days)
    for topic, _ in data.topic_totals()[:8]:
        counts = [data.volume[topic].get(d, 0) for d in data.days]
        ax.bar([d.strftime("%d.%m") for d in data.days], counts, bottom=bottom, label=data.topic_names.get(topic, topic))
        bottom = [b + c for b, c in zip(bottom, counts)]
    ax.set_ylabel("Упоминаний в день")
    ax.set_title("Объём упоминаний по темам")
    ax.legend(fontsize=8, ncol=2, loc="upper left")
    ax.tick_params(axis="x", labelrotation=60, labelsize=8)
    return _to_data_uri(fig)


def sentiment_chart(data) -> str:
    """Horizontal 100 % bars: sentiment share per topic."""
    topics = [t for t, _ in data.topic_totals()[:10]]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(topics) + 1.2))
    labels = [data.topic_names.get(t, t) for t in topics]
    left = [0.0] * len(topics)
    for s in ("negative", "neutral", "positive"):
        shares = []
        for t in topics:
            tot = sum(data.sentiment_by_topic[t].values()) or 1
            shares.append(100.0 * data.sentiment_by_topic[t].get(s, 0) / tot)
        ax.barh(labels, shares, left=left, color=SENTIMENT_COLORS[s], label=SENTIMENT_RU[s])
        left = [a + b for a, b in zip(left, shares)]
    ax.set_xlim(0, 100)
    ax.set_xlabel("% упоминаний темы")
    ax.set_title("Тональность по темам")
    ax.invert_yaxis()
    ax.legend(fontsize=8, loc="lower right")
    return _to_data_uri(fig)
