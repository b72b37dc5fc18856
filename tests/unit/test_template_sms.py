"""The SMS channel is a template parameter: the sender's environment carries it, and its role may send only
through the channel the city chose (sms-voice:SendTextMessage or SNS SMS, never both)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.local.engine.template import load_template, translate

SENDER = "SmsSenderFunction"


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    actions: set[str] = set()
    for statement in statements:
        value = statement.get("Action")
        actions |= {value} if isinstance(value, str) else set(value or [])
    return actions


def sender_actions(chosen: str) -> set[str]:
    """Every action the SMS sender's role allows, with the If conditions taken as for SmsChannel=chosen."""
    cfn = translate(parameters={"SmsChannel": chosen})
    conditions = {"SmsThroughEndUserMessaging": chosen == "end_user_messaging"}
    role = cfn["Resources"][f"{SENDER}Role"]["Properties"]
    statements: list[dict[str, Any]] = []
    for policy in role.get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            if "Fn::If" in statement:
                name, when_true, when_false = statement["Fn::If"]
                statement = when_true if conditions[name] else when_false
            statements.append(statement)
    return _actions(statements)


def test_the_sms_channel_is_a_parameter_sns_by_default_with_an_empty_origination_and_configuration_set():
    parameters = load_template()["Parameters"]
    assert parameters["SmsChannel"]["AllowedValues"] == ["sns", "end_user_messaging"]
    assert parameters["SmsChannel"]["Default"] == "sns"
    assert parameters["SmsOriginationIdentity"]["Default"] == ""
    assert parameters["SmsConfigurationSet"]["Default"] == ""


def test_the_sms_sender_is_given_the_channel_its_origination_and_its_configuration_set():
    variables = load_template()["Resources"][SENDER]["Properties"]["Environment"]["Variables"]
    assert variables["SMS_CHANNEL"] == {"Ref": "SmsChannel"}
    assert variables["SMS_ORIGINATION_IDENTITY"] == {"Ref": "SmsOriginationIdentity"}
    assert variables["SMS_CONFIGURATION_SET"] == {"Ref": "SmsConfigurationSet"}


@pytest.mark.parametrize(
    ("chosen", "allowed", "refused"),
    [
        ("end_user_messaging", "sms-voice:SendTextMessage", "sns:Publish"),
        ("sns", "sns:Publish", "sms-voice:SendTextMessage"),
    ],
)
def test_the_sender_may_send_only_through_the_chosen_channel(chosen: str, allowed: str, refused: str):
    actions = sender_actions(chosen)
    assert allowed in actions
    assert refused not in actions


def test_the_condition_follows_the_parameter():
    condition = load_template()["Conditions"]["SmsThroughEndUserMessaging"]
    assert condition == {"Fn::Equals": [{"Ref": "SmsChannel"}, "end_user_messaging"]}
