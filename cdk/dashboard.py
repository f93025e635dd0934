"""One CloudWatch dashboard for the ledger: the API's latency and errors, how far the stream's
consumers lag, how old the oldest message of each queue is, dead letters, and what the
consumers handled and the orders confirmed (Powertools metrics, namespace `seatledger`)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

PERIOD = Duration.minutes(1)


class Dashboard(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        api: apigw.RestApi,
        stream_consumers: Sequence[lambda_.IFunction],
        queues: dict[str, tuple[sqs.IQueue, sqs.IQueue]],  # consumer -> (queue, dead letters)
    ) -> None:
        super().__init__(scope, id)
        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name="seatledger")
        latency = [
            api.metric_latency(period=PERIOD, statistic=stat, label=f"latency {stat}")
            for stat in ("p50", "p99")
        ]
        errors = [
            api.metric_client_error(period=PERIOD, label="4xx"),
            api.metric_server_error(period=PERIOD, label="5xx"),
        ]
        lag = [
            fn.metric(
                "IteratorAge", period=PERIOD, statistic=cw.Stats.MAXIMUM, label=fn.function_name
            )
            for fn in stream_consumers
        ]
        ages = [
            queue.metric_approximate_age_of_oldest_message(
                period=PERIOD, statistic=cw.Stats.MAXIMUM, label=name
            )
            for name, (queue, _) in queues.items()
        ]
        parked = [
            dead.metric_approximate_number_of_messages_visible(
                period=PERIOD, statistic=cw.Stats.MAXIMUM, label=name
            )
            for name, (_, dead) in queues.items()
        ]
        handled = [
            cw.Metric(
                namespace="seatledger",
                metric_name=name,
                dimensions_map={"service": service},
                period=PERIOD,
                statistic=cw.Stats.SUM,
                label=f"{service} {name}",
            )
            for service in queues
            for name in ("MessagesHandled", "Deferred")
        ]
        # Counted by the stream forwarder, which every confirmation passes.
        confirmed = cw.Metric(
            namespace="seatledger",
            metric_name="OrdersConfirmed",
            dimensions_map={"service": "stream-forwarder"},
            period=PERIOD,
            statistic=cw.Stats.SUM,
            label="orders confirmed",
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Orders confirmed", left=[confirmed], width=24),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(title="API latency (ms)", left=latency, width=12),
            cw.GraphWidget(title="API errors", left=errors, width=12),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Stream consumers' iterator age (ms)", left=lag, width=12),
            cw.GraphWidget(title="Oldest message per queue (s)", left=ages, width=12),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Dead letters waiting", left=parked, width=12),
            cw.GraphWidget(title="Messages handled, deliveries put off", left=handled, width=12),
        )
