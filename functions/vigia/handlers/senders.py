"""What the three channel senders share: one SQS batch, each message delivered at most once, partial failures.

A message that fails is hidden for an exponential, jittered while (not the queue's whole visibility
timeout), then retried; after the queue's maxReceiveCount it lands in the channel's DLQ, and its
delivery record says `dead_letter` with the last error, for operators to see and redrive. A message that
is not a delivery task of this channel is poison: dead-lettered at once with its reason, dropped if a
redrive brings it back (vigia.handlers.poison).

A claim holds the delivery for DELIVERY_LEASE_S (120 s): longer than one send, CAD retries included (the
webhook sender's 30 s timeout), so no live send is taken over. A claim that takes over a lease that ran
out is logged as a warning and counted (DeliveriesUncertain): that earlier attempt may have reached the
provider, and the message may go out twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import clock, runtime, settings
from vigia.dispatch import backoff, tasks
from vigia.dispatch.protocol import Delivery
from vigia.dispatch.sending import SENT, Attempt, deliver
from vigia.handlers.poison import Poison, guarded
from vigia.observability import logger, metrics


def sender_handler(
    channel: str,
    send: Callable[[Delivery], str],
    on_failure: Callable[[Delivery, Attempt], float | None] | None = None,
) -> Callable[[dict[str, Any], LambdaContext], Any]:
    """`on_failure`, if given, runs after a failed send (before its retry is scheduled) and may return the
    longest the retry may wait (a deadline the channel must meet), in seconds."""
    processor = BatchProcessor(event_type=EventType.SQS)

    def record_handler(record: SQSRecord) -> None:
        s = settings.get()
        try:
            delivery = tasks.from_message(json.loads(record.body))
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise Poison(f"not a delivery task: {type(error).__name__}: {error}") from None
        if delivery.channel != channel:
            raise Poison(f"a {delivery.channel} task on the {channel} queue")
        attempt = Attempt(int(record.attributes.approximate_receive_count or 1), s.delivery_max_receives)
        context = {
            "alert_id": delivery.alert_id,
            "channel": channel,
            "target": delivery.target,
            "kind": delivery.kind,
            "attempt": attempt.receive_count,
        }

        def uncertain(_: Delivery) -> None:
            logger.warning(
                "the previous attempt's outcome is unknown; the message may go out twice",
                extra={**context, "key": delivery.key},
            )
            metrics.add_metric(name="DeliveriesUncertain", unit="Count", value=1)

        try:
            outcome = deliver(
                delivery,
                ledger=runtime.delivery_ledger(),
                send=send,
                attempt=attempt,
                now_s=time.time(),
                at=clock.iso(clock.now()),
                lease_s=s.delivery_lease_s,
                on_uncertain=uncertain,
            )
        except Exception as error:
            logger.warning("delivery failed; will retry", extra={**context, "error": type(error).__name__})
            metrics.add_metric(name=f"{channel.title()}DeliveryFailures", unit="Count", value=1)
            pause = backoff.delay_s(
                attempt.receive_count, base_s=s.delivery_retry_base_s, cap_s=s.delivery_retry_cap_s
            )
            if on_failure is not None:
                try:
                    longest = on_failure(delivery, attempt)
                except Exception:  # the retry still happens; the next failure tries the hook again
                    logger.exception("the channel's failure step failed", extra=context)
                else:
                    pause = pause if longest is None else min(pause, max(longest, 0.0))
            try:
                runtime.retry_later()(channel, record.receipt_handle, pause)
            except Exception:  # the retry still happens, after the queue's visibility timeout
                logger.warning("could not shorten the retry delay", extra=context)
            raise
        if outcome == SENT:
            metrics.add_metric(name=f"{channel.title()}Sent", unit="Count", value=1)
        logger.info("delivery " + outcome, extra=context)

    @logger.inject_lambda_context
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
        return process_partial_response(
            event=event, record_handler=guarded_handler, processor=processor, context=context
        )

    guarded_handler = guarded(record_handler, queue=channel, consumer=f"{channel.title()}SenderFunction")
    return lambda_handler
