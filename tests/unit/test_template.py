"""The template is the single source of truth: it must translate offline and lint clean."""

import subprocess
import sys
from pathlib import Path

from infra.local.engine.template import TEMPLATE_PATH, load_template, translate

REQUIRED_GROUPS = {
    "citizen",
    "operator",
    "police",
    "response_team",
    "analyst",
    "admin",
    "sat_team",
    "sat_coordinator",
}


def resources_of(cfn, type_):
    return {k: v for k, v in cfn["Resources"].items() if v["Type"] == type_}


def test_template_translates_offline_with_the_sam_translator():
    cfn = translate()
    assert resources_of(cfn, "AWS::Lambda::Function"), "SAM functions become Lambda functions"
    assert resources_of(cfn, "AWS::ApiGatewayV2::Api")


def test_template_passes_cfn_lint():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(TEMPLATE_PATH)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_role_is_a_cognito_group():
    groups = {
        r["Properties"]["GroupName"]
        for r in resources_of(translate(), "AWS::Cognito::UserPoolGroup").values()
    }
    assert groups == REQUIRED_GROUPS


def test_http_api_uses_a_cognito_jwt_authorizer_checking_issuer_and_audience():
    api = load_template()["Resources"]["HttpApi"]["Properties"]
    authorizer = api["Auth"]["Authorizers"][api["Auth"]["DefaultAuthorizer"]]
    assert "cognito-idp" in str(authorizer["JwtConfiguration"]["issuer"])
    assert authorizer["JwtConfiguration"]["audience"]


def test_every_function_has_its_own_log_group_with_retention():
    sam = load_template()["Resources"]
    functions = [k for k, v in sam.items() if v["Type"] == "AWS::Serverless::Function"]
    log_groups = [v for v in sam.values() if v["Type"] == "AWS::Logs::LogGroup"]
    for name in functions:
        matching = [g for g in log_groups if "${" + name + "}" in str(g["Properties"]["LogGroupName"])]
        assert len(matching) == 1, f"{name} needs exactly one log group"
        assert matching[0]["Properties"]["RetentionInDays"]


def test_every_asynchronous_path_ends_in_a_dead_letter_queue():
    cfn = translate()
    queues = resources_of(cfn, "AWS::SQS::Queue")
    for name, queue in queues.items():
        if name.endswith("DLQ"):
            continue
        assert "RedrivePolicy" in queue["Properties"], f"{name} has no DLQ"
    for name, mapping in resources_of(cfn, "AWS::Lambda::EventSourceMapping").items():
        props = mapping["Properties"]
        assert props.get("FunctionResponseTypes") == ["ReportBatchItemFailures"], name
        if "StartingPosition" in props:  # streams: failures go to an on-failure destination
            assert props["DestinationConfig"]["OnFailure"]["Destination"], name


def test_tables_are_on_demand_with_recovery_and_encryption():
    for name, table in resources_of(translate(), "AWS::DynamoDB::Table").items():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST", name
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], name
        assert props["SSESpecification"]["SSEEnabled"], name


def test_every_dlq_has_a_depth_alarm():
    cfn = translate()
    dlqs = {k for k in resources_of(cfn, "AWS::SQS::Queue") if k.endswith("DLQ")}
    alarmed = {
        a["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for a in resources_of(cfn, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Namespace") == "AWS/SQS"
    }
    assert dlqs <= alarmed, f"DLQs without an alarm: {dlqs - alarmed}"
