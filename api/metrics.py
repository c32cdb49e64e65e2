"""Prometheus metrics of one app instance (own registry, so several apps can live in one process).

Other parts of the service register theirs on ``app.state.metrics.registry``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.alerts_ingested = Counter(
            "shorewatch_alerts_ingested",
            "Events stored, by outcome (created, updated, duplicate) and kind",
            ["outcome", "kind"],
            registry=r,
        )
        self.alert_transitions = Counter(
            "shorewatch_alert_transitions", "Lifecycle changes by target status", ["status"], registry=r
        )
        self.alerts_escalated = Counter("shorewatch_alerts_escalated", "Alerts escalated", registry=r)
        self.push_messages = Counter(
            "shorewatch_push_messages", "Messages published to push clients", registry=r
        )
        self.push_clients = Gauge(
            "shorewatch_push_clients", "Connected push clients", ["transport"], registry=r
        )
        self.push_dropped = Counter(
            "shorewatch_push_clients_dropped",
            "Push clients cut off for falling behind",
            ["transport"],
            registry=r,
        )
        self.webhook_attempts = Counter(
            "shorewatch_webhook_attempts", "Webhook delivery attempts by result", ["result"], registry=r
        )
        self.cot_sent = Counter(
            "shorewatch_cot_messages", "Cursor-on-Target messages by result", ["result"], registry=r
        )
        self.auth_failures = Counter(
            "shorewatch_auth_failures", "Rejected authentication attempts", registry=r
        )
        self.alert_age_seconds = Histogram(
            "shorewatch_alert_age_seconds",
            "From the frame that raised a live alert to the alert stored and pushed (its first revision)",
            ["kind"],
            registry=r,
            buckets=(0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 60.0),
        )
        self.ingest_seconds = Histogram(
            "shorewatch_ingest_seconds",
            "Time to store and publish one event",
            registry=r,
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0),
        )
