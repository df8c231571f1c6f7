"""Load report and alert settings from reports/config.yaml (or OTKLIK_REPORTS_CONFIG), with env overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

DEFAULT_CONFIG_PATH = Path(__file__).with_name("config.yaml")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class SpikeParams:
    bucket: str = "day"
    window: int = 7
    k: float = 3.0
    min_count: int = 5
    min_history: int = 3
    cooldown: int = 2

    def __post_init__(self):
        if self.bucket not in ("day", "hour"):
            raise ConfigError(f"spikes.bucket must be day or hour, not {self.bucket!r}")
        if self.window < 1 or self.min_history < 1 or self.min_history > self.window:
            raise ConfigError("spikes need window >= min_history >= 1")
        if self.k <= 0 or self.min_count < 1 or self.cooldown < 0:
            raise ConfigError("spikes need k > 0, min_count >= 1, cooldown >= 0")


@dataclass(frozen=True)
class AlertConfig:
    spikes: SpikeParams = field(default_factory=lambda: SpikeParams(min_count=8))
    negative_surge: bool = True
    lookback_hours: int = 24
    cooldown_hours: int = 24
    quotes: int = 3
    terms: int = 8
    webhook_url: str = ""
    email_to: tuple[str, ...] = ()
    timeout_s: float = 10.0


@dataclass(frozen=True)
class ReportConfig:
    brand: str = "СкороДоставка"
    quotes_per_topic: int = 3
    terms_per_spike: int = 8
    spikes: SpikeParams = field(default_factory=SpikeParams)
    alerts: AlertConfig = field(default_factory=AlertConfig)


def _build(cls, raw: dict, where: str):
    names = {f.name for f in fields(cls)}
    unknown = set(raw) - names
    if unknown:
        raise ConfigError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    try:
        return cls(**raw)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def load_config(path: str | Path | None = None) -> ReportConfig:
    """Read the config file (default: OTKLIK_REPORTS_CONFIG or the bundled one); raise ConfigError if invalid."""
    path = Path(path or os.environ.get("OTKLIK_REPORTS_CONFIG") or DEFAULT_CONFIG_PATH)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    report = dict(raw.get("report") or {})
    alerts = dict(raw.get("alerts") or {})
    report_spikes = _build(SpikeParams, report.pop("spikes", None) or {}, f"{path}: report.spikes")
    alert_spikes = _build(SpikeParams, alerts.pop("spikes", None) or {}, f"{path}: alerts.spikes")
    if os.environ.get("OTKLIK_ALERT_WEBHOOK"):
        alerts["webhook_url"] = os.environ["OTKLIK_ALERT_WEBHOOK"]
    if os.environ.get("OTKLIK_ALERT_EMAILS"):
        alerts["email_to"] = [e.strip() for e in os.environ["OTKLIK_ALERT_EMAILS"].split(",") if e.strip()]
    alerts["email_to"] = tuple(alerts.get("email_to") or ())
    url = alerts.get("webhook_url") or ""
    if url and not url.lower().startswith(("http://", "https://")):
        raise ConfigError(f"{path}: alerts.webhook_url must be an http(s) URL")
    alert_cfg = _build(AlertConfig, {**alerts, "spikes": alert_spikes}, f"{path}: alerts")
    extra = set(raw) - {"brand", "report", "alerts"}
    if extra:
        raise ConfigError(f"{path}: unknown keys {', '.join(sorted(extra))}")
    return _build(ReportConfig, {**report, "brand": raw.get("brand", ReportConfig.brand), "spikes": report_spikes,
                                 "alerts": alert_cfg}, f"{path}: report")
