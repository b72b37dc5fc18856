"""What every queue consumer does with a poison message — one whose content can never be handled (a
malformed or unknown event, an alert that does not exist, anything about a silent alert on the public
path): it goes to the queue's DLQ at once, not after five useless retries, with a reason naming it; and
if a redrive brings it back (the reason travels with it), it is dropped with an error log line and the
PoisonMessagesDropped metric instead of being dead-lettered again, so a redrive can never loop.

Any other failure (a timeout, a throttled call) is retried as before and reaches the DLQ only after the
queue's maxReceiveCount, where a redrive retries it.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from vigia import runtime
from vigia.observability import logger, metrics

MAX_REASON = 256


class Poison(Exception):
    """This message can never be handled, however often it is retried; the message says why."""


def reason_of(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}" if not isinstance(error, Poison) else str(error)
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def guarded(
    handle: Callable[[SQSRecord], None],
    *,
    queue: str,
    consumer: str,
    poison: tuple[type[BaseException], ...] = (),
) -> Callable[[SQSRecord], None]:
    """`handle` for one SQS record, with Poison (and the `poison` exception types) dead-lettered once."""
    recognised: tuple[type[BaseException], ...] = (Poison, *poison)

    def record_handler(record: SQSRecord) -> None:
        try:
            handle(record)
        except recognised as error:
            _park(record, reason_of(error), queue=queue, consumer=consumer)

    return record_handler


def _park(record: SQSRecord, reason: str, *, queue: str, consumer: str) -> None:
    reason_attribute = runtime.poison_reason_attribute()

    context = {"message_id": record.message_id, "queue": queue, "reason": reason}
    # [] gives the typed attribute; Powertools' .get() gives the raw dict
    attributes = record.message_attributes
    earlier = attributes[reason_attribute] if reason_attribute in attributes else None  # noqa: SIM401
    if earlier is not None:  # it was dead-lettered for this already and a redrive brought it back
        first = earlier.string_value
        logger.error("poison message dropped after a redrive", extra={**context, "first_reason": first})
        metrics.add_metric(name="PoisonMessagesDropped", unit="Count", value=1)
        return
    runtime.dead_letter()(
        queue, record.body, reason=reason, consumer=consumer
    )  # if this fails, SQS retries it
    logger.warning("poison message dead-lettered", extra=context)
    metrics.add_metric(name="PoisonMessages", unit="Count", value=1)
