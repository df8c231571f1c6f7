"""Charts for reports, rendered with matplotlib to PNG and embedded as data URIs (the HTML works offline)."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from reports.data import SENTIMENT_RU, ReportData, SpikeReport  # noqa: E402

SENTIMENT_COLORS = {"negative": "#d9534f", "neutral": "#9e9e9e", "positive": "#5cb85c"}
SENTIMENTS = ("negative", "neutral", "positive")
MAX_TOPICS = 8


def _to_data_uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _day_labels(data: ReportData) -> list[str]:
    return [d.strftime("%d.%m") for d in data.days]


def volume_chart(data: ReportData) -> str:
    """Stacked daily mention volume of the top topics (the rest summed as «Остальные»), totals on top."""
    top = [t for t, _ in data.topic_totals()[:MAX_TOPICS]]
    rest = [t for t, _ in data.topic_totals()[MAX_TOPICS:]]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    labels = _day_labels(data)
    bottom = [0] * len(data.days)
    series = [(data.topic_names.get(t, t), [data.volume[t].get(d, 0) for d in data.days]) for t in top]
    if rest:
        series.append(("Остальные", [sum(data.volume[t].get(d, 0) for t in rest) for d in data.days]))
    cmap = plt.get_cmap("tab10")
    for i, (name, counts) in enumerate(series):
        ax.bar(labels, counts, bottom=bottom, label=name, color=cmap(i % 10))
        bottom = [b + c for b, c in zip(bottom, counts)]
    for x, total in enumerate(bottom):
        if total:
            ax.annotate(str(total), (x, total), ha="center", va="bottom", fontsize=7, xytext=(0, 2),
                        textcoords="offset points")
    ax.set_ylabel("Упоминаний (по темам) в день")
    ax.set_title("Объём упоминаний по темам")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], names[::-1], fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.tick_params(axis="x", labelrotation=60, labelsize=8)
    ax.margins(y=0.1)
    return _to_data_uri(fig)


def _share_bars(ax, labels: list[str], counters: list) -> None:
    left = [0.0] * len(labels)
    for s in SENTIMENTS:
        shares = [100.0 * c.get(s, 0) / (sum(c.values()) or 1) for c in counters]
        bars = ax.barh(labels, shares, left=left, color=SENTIMENT_COLORS[s], label=SENTIMENT_RU[s])
        ax.bar_label(bars, labels=[f"{v:.0f}%" if v >= 8 else "" for v in shares], label_type="center", fontsize=7,
                     color="white")
        left = [a + b for a, b in zip(left, shares)]
    ax.set_xlim(0, 100)
    ax.set_xlabel("% упоминаний")
    ax.invert_yaxis()
    ax.legend(fontsize=8, ncol=3, loc="lower right", bbox_to_anchor=(1, 1), frameon=False)


def sentiment_chart(data: ReportData) -> str:
    """Horizontal 100 % bars: sentiment share per topic."""
    topics = [t for t, _ in data.topic_totals()[:12]]
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(topics) + 1.3))
    _share_bars(ax, [f"{data.topic_names.get(t, t)} ({sum(data.sentiment_by_topic[t].values())})" for t in topics],
                [data.sentiment_by_topic[t] for t in topics])
    ax.set_title("Тональность по темам", loc="left")
    return _to_data_uri(fig)


def channel_chart(data: ReportData) -> str:
    """Horizontal 100 % bars: sentiment share per channel kind."""
    kinds = sorted(data.sentiment_by_channel, key=lambda k: -sum(data.sentiment_by_channel[k].values()))
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(kinds) + 1.3))
    _share_bars(ax, [f"{data.channel_names.get(k, k)} ({sum(data.sentiment_by_channel[k].values())})" for k in kinds],
                [data.sentiment_by_channel[k] for k in kinds])
    ax.set_title("Тональность по каналам", loc="left")
    return _to_data_uri(fig)


def spike_chart(spike: SpikeReport) -> str:
    """The spiking series: bars per bucket, flagged ones in red, baseline and threshold at the peak."""
    fmt = "%d.%m %H:00" if spike.bucket == "hour" else "%d.%m"
    labels = [b.strftime(fmt) for b, _ in spike.series]
    flagged = set(spike.flagged)
    colors = ["#d9534f" if b in flagged else "#8fa8c8" for b, _ in spike.series]
    fig, ax = plt.subplots(figsize=(8, 2.6))
    ax.bar(labels, [c for _, c in spike.series], color=colors)
    ax.axhline(spike.baseline, color="#555", linestyle=":", linewidth=1, label=f"норма {spike.baseline:.1f}")
    ax.axhline(spike.threshold, color="#d9534f", linestyle="--", linewidth=1, label=f"порог {spike.threshold:.1f}")
    ax.set_ylabel("Упоминаний" + (" в час" if spike.bucket == "hour" else " в день"))
    ax.set_title(spike.topic_name, fontsize=10)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    step = max(1, len(labels) // 20)
    ax.set_xticks(range(0, len(labels), step), labels[::step], rotation=60, fontsize=7)
    ax.legend(fontsize=7, loc="upper left")
    return _to_data_uri(fig)


def service_chart(trend: list[tuple[str, object]]) -> str:
    """SL % and closed-within-24-h % per slice of the period, backlog as bars on a second axis."""
    labels = [label for label, _ in trend]
    fig, ax = plt.subplots(figsize=(10, 3.2))
    backlog = ax.twinx()
    backlog.bar(labels, [m.backlog for _, m in trend], color="#dde4ee", label="открыто (бэклог)")
    backlog.set_ylabel("Открытых обращений")
    backlog.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_zorder(backlog.get_zorder() + 1)
    ax.patch.set_visible(False)
    for key, name, color in (("sl_pct", "SL 48 ч, %", "#2a6"), ("closed_24h_pct", "закрыто за 24 ч, %", "#26a")):
        values = [getattr(m, key) for _, m in trend]
        ax.plot(labels, [v if v is not None else float("nan") for v in values], marker="o", color=color, label=name)
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    ax.set_title("Сервисные показатели по периодам")
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = backlog.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="lower left", framealpha=0.8)
    return _to_data_uri(fig)


def share_of_voice_chart(data: ReportData) -> str:
    """Mentions per brand with their sentiment split."""
    brands = sorted(data.share_of_voice, key=lambda b: -sum(data.share_of_voice[b].values()))
    fig, ax = plt.subplots(figsize=(10, 0.5 * len(brands) + 1.3))
    left = [0] * len(brands)
    for s in SENTIMENTS:
        counts = [data.share_of_voice[b].get(s, 0) for b in brands]
        ax.barh(brands, counts, left=left, color=SENTIMENT_COLORS[s], label=SENTIMENT_RU[s])
        left = [a + b for a, b in zip(left, counts)]
    total = sum(left) or 1
    for y, n in enumerate(left):
        ax.annotate(f"{n} ({100 * n / total:.0f}%)", (n, y), va="center", fontsize=8, xytext=(3, 0),
                    textcoords="offset points")
    ax.set_xlabel("Упоминаний за период")
    ax.set_title("Доля голоса", loc="left")
    ax.invert_yaxis()
    ax.margins(x=0.15)
    ax.legend(fontsize=8, ncol=3, loc="lower right", bbox_to_anchor=(1, 1), frameon=False)
    return _to_data_uri(fig)
