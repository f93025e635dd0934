"""moto as the local stack runs it (with `speed_up_moto`): concurrent workers lose nothing."""

from __future__ import annotations

import threading

from local.aws import local_aws


def test_concurrent_deletes_remove_exactly_the_messages_deleted() -> None:
    with local_aws("moto-test") as aws:
        url = aws.sqs.create_queue(QueueName="moto-deletes")["QueueUrl"]
        for start in range(0, 200, 10):
            entries = [{"Id": str(i), "MessageBody": f"m{i}"} for i in range(start, start + 10)]
            aws.sqs.send_message_batch(QueueUrl=url, Entries=entries)
        received: list[dict[str, str]] = []
        while len(received) < 100:
            batch = aws.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300
            )["Messages"]
            received += batch[: 100 - len(received)]
        errors: list[Exception] = []

        def delete(share: list[dict[str, str]]) -> None:
            for message in share:
                try:
                    aws.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                except Exception as e:  # pragma: no cover - reported below
                    errors.append(e)

        threads = [threading.Thread(target=delete, args=(received[i::5],)) for i in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        attributes = aws.sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        # The 100 received messages are gone, the 100 never received are all still there.
        assert attributes == {
            "ApproximateNumberOfMessages": "100",
            "ApproximateNumberOfMessagesNotVisible": "0",
        }
