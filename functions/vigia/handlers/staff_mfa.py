"""StaffMfaFunction: the user pool's pre-token-generation trigger - staff groups only for staff with TOTP.

Deployed only where the template's StaffMfa parameter is Required (the default); the local stack sets it
Off, so its demo staff sign in without TOTP (docs/local-stack.md). The rule: vigia.identity.staff_mfa.
A failure raises, and Cognito refuses the sign-in: it fails closed.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import runtime, settings
from vigia.identity import staff_mfa
from vigia.observability import logger, metrics

# What this function reads from its environment; template.yaml gives it each one, checked at a cold
# start (a missing one fails the function before any request) and by tests/unit/test_function_settings.py
REQUIRED_SETTINGS: tuple[str, ...] = ()  # the pool's id comes with each trigger event
settings.require_at_start(REQUIRED_SETTINGS)


def decide(event: dict[str, Any]) -> dict[str, Any]:
    groups = staff_mfa.current_groups(event)
    if not staff_mfa.needs_totp(groups):
        return event
    issue = staff_mfa.groups_to_issue(
        groups, runtime.enabled_mfa()(str(event["userPoolId"]), str(event["userName"]))
    )
    if issue.withheld:
        logger.warning(
            "staff signed in without TOTP: staff groups withheld until TOTP is enabled",
            extra={"user": event.get("userName"), "withheld": list(issue.withheld)},
        )
        metrics.add_metric(name="StaffSignInsWithoutTotp", unit="Count", value=1)
    return staff_mfa.answer(event, issue)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return decide(event)
