"""What both stream consumers share: the event table's tips, oldest first, failures parked."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as ddb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs

from cdk.functions import ServiceFunction
from cdk.nag import suppress

# Each save writes only its aggregates' tips, each record carrying what the save added; archive
# items, tracking positions and snapshots hold no new events, so Lambda drops them unbilled.
TIP_RECORDS = {"dynamodb": {"NewImage": {"kind": {"S": lambda_.FilterRule.is_equal("tip")}}}}


def read_tips(
    fn: ServiceFunction,
    table: ddb.ITable,
    on_failure: sqs.IQueue,
    *,
    batch_size: int,
    parallelization_factor: int,
    retry_attempts: int,
    max_record_age: Duration | None,
) -> None:
    """Feed `fn` the tips of `table`'s stream; the mapping itself grants the stream read."""
    fn.function.add_event_source(
        sources.DynamoEventSource(
            table,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=batch_size,
            parallelization_factor=parallelization_factor,
            report_batch_item_failures=True,
            bisect_batch_on_error=True,
            retry_attempts=retry_attempts,
            max_record_age=max_record_age,
            on_failure=sources.SqsDlq(on_failure),
            filters=[lambda_.FilterCriteria.filter(TIP_RECORDS)],
        )
    )
    suppress(
        on_failure,
        "SQS3",
        "This queue is itself a stream consumer's terminal failure destination; it has no "
        "consumer to retry from, so a dead-letter queue behind it would never fill.",
    )
