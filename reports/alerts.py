"""Alert on new spikes and negative surges: webhook (JSON) and e-mail, at most one per spike and per cooldown."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from classifiers.taxonomy import load_taxonomy
from reports.config import AlertConfig, load_config
from reports.data import SpikeReport, bucket_length, bucket_of, collection_start, load_rows
from reports.models import Alert
from reports.surges import find_spikes

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
KIND_RU = dict(Alert.Kind.choices)


@dataclass
class CheckResult:
    found: list[SpikeReport] = field(default_factory=list)
    sent: list[Alert] = field(default_factory=list)
    failed: list[Alert] = field(default_factory=list)
    known: int = 0  # spikes already alerted
    cooling: int = 0  # new spikes of a topic alerted within the cooldown
    retried: int = 0


def detect(now: datetime, config: AlertConfig) -> list[SpikeReport]:
    """Spikes (and negative surges) under way within the last `lookback_hours` before `now`."""
    params = config.spikes
    tz = timezone.get_current_timezone()
    start = now - timedelta(hours=config.lookback_hours)
    rows = load_rows(bucket_of(start - params.window * bucket_length(params.bucket), params.bucket, tz), now)
    names = {t.code: t.name for t in load_taxonomy().topics}
    return find_spikes([r for r in rows if not r.brand], start, now, params, names, tz, terms=config.terms,
                       quotes=config.quotes, negative=config.negative_surge, data_start=collection_start())


def _num(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def summary(s: SpikeReport) -> str:
    """One Russian sentence: what rose, by how much, against what."""
    when = s.peak_at.strftime("%d.%m %H:00" if s.bucket == "hour" else "%d.%m")
    ratio = f"×{_num(s.ratio)}, " if s.ratio else ""
    return (f"{KIND_RU[s.kind]}: «{s.topic_name}» — {s.count} упоминаний за {when} при норме {_num(s.baseline)} "
            f"({ratio}+{_num(s.rise)})")


def _slack_escape(text: str) -> str:
    """Crawled text must not ping channels or forge links in Slack/Mattermost markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(s: SpikeReport) -> dict:
    """The JSON body of the alert (also what is stored with it)."""
    quotes = [{"text": q.text, "url": q.url, "source": q.source, "posted_at": q.posted_at.isoformat()}
              for q in s.quotes]
    terms = ", ".join(w for w, _ in s.terms) or "—"
    lines = [summary(s), f"Чаще обычного: {terms}"] + [f"«{q['text']}» — {q['source']} {q['url']}".rstrip()
                                                        for q in quotes]
    return {
        "kind": s.kind, "kind_name": KIND_RU[s.kind], "topic": s.topic, "topic_name": s.topic_name,
        "bucket": s.bucket, "start": s.start.isoformat(), "end": s.end.isoformat(), "peak_at": s.peak_at.isoformat(),
        "count": s.count, "baseline": round(s.baseline, 2), "threshold": round(s.threshold, 2),
        "rise": round(s.rise, 2), "ratio": round(s.ratio, 2) if s.ratio else None, "total": s.total,
        "p_value": float(f"{s.p_value:.3g}"), "top_terms": [{"lemma": w, "mentions": n} for w, n in s.terms],
        "quotes": quotes, "text": _slack_escape("\n".join(lines)),
    }


def _email_body(p: dict) -> str:
    lines = [p["text"].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"), "",
             f"Период всплеска: {p['start']} – {p['end']}; всего упоминаний: {p['total']}; "
             f"порог: {p['threshold']}; p (Пуассон) = {p['p_value']}"]
    return "\n".join(lines)


def deliver(alert: Alert, config: AlertConfig, now: datetime) -> Alert:
    """Send the alert on every configured channel not yet delivered; record per-channel results."""
    channels = dict(alert.channels or {})
    p = alert.payload
    if config.webhook_url and channels.get("webhook") != "ok":
        try:
            httpx.post(config.webhook_url, json=p, timeout=config.timeout_s).raise_for_status()
            channels["webhook"] = "ok"
        except httpx.HTTPError as exc:
            channels["webhook"] = f"error: {exc}"[:500]
    if config.email_to and channels.get("email") != "ok":
        subject = f"[Отклик] {p['kind_name']}: {p['topic_name']}, {p['count']} при норме {p['baseline']}"
        try:
            send_mail(subject, _email_body(p), None, list(config.email_to))
            channels["email"] = "ok"
        except Exception as exc:  # noqa: BLE001 - SMTP errors come in many classes; record, retry next run
            channels["email"] = f"error: {exc}"[:500]
    alert.channels = channels
    alert.attempts += 1
    if not channels:
        alert.status = Alert.Status.RECORDED
    elif all(v == "ok" for v in channels.values()):
        alert.status = Alert.Status.SENT
    else:
        alert.status = Alert.Status.FAILED
        log.warning("alert %s not delivered: %s", alert, channels)
    if alert.sent_at is None and (alert.status == Alert.Status.RECORDED or "ok" in channels.values()):
        alert.sent_at = now
    alert.save(update_fields=["channels", "attempts", "status", "sent_at"])
    return alert


def check_alerts(now: datetime | None = None, config: AlertConfig | None = None, dry_run: bool = False) -> CheckResult:
    """Find spikes under way, alert on new ones outside the cooldown, retry failed deliveries."""
    now = now or timezone.now()
    config = config or load_config().alerts
    result = CheckResult(found=detect(now, config))
    if dry_run:
        return result
    for failed in Alert.objects.filter(status=Alert.Status.FAILED, attempts__lt=MAX_ATTEMPTS):
        result.retried += 1
        (result.sent if deliver(failed, config, now).status == Alert.Status.SENT else result.failed).append(failed)
    for s in result.found:
        same = Alert.objects.filter(kind=s.kind, topic=s.topic)
        if same.filter(spike_start=s.start).exists():
            result.known += 1
            continue
        if same.filter(sent_at__gte=now - timedelta(hours=config.cooldown_hours)).exists():
            result.cooling += 1
            continue
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    kind=s.kind, topic=s.topic, topic_name=s.topic_name, bucket=s.bucket, spike_start=s.start,
                    peak_at=s.peak_at, peak_count=s.count, baseline=s.baseline, payload=payload(s), created_at=now)
        except IntegrityError:  # a concurrent check took this spike
            result.known += 1
            continue
        deliver(alert, config, now)
        (result.failed if alert.status == Alert.Status.FAILED else result.sent).append(alert)
    return result
