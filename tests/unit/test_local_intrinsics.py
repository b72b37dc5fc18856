"""The local stack's CloudFormation resolver: Ref, GetAtt, Sub, Join, If, conditions, parameters, order."""

from __future__ import annotations

from typing import Any

import pytest

from infra.local.engine.functions import function_specs, merged_environment
from infra.local.engine.intrinsics import (
    Pseudo,
    Resolver,
    ResourceState,
    TemplateError,
    Unresolvable,
    creation_order,
    references,
    resolve_parameters,
)
from infra.local.engine.resources import Env, provision
from infra.local.engine.template import translate

TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "CityId": {"Type": "String", "Default": "godoy-cruz", "AllowedPattern": "^[a-z0-9-]+$"},
        "Retention": {"Type": "Number", "Default": 90, "AllowedValues": [7, 90]},
        "Email": {"Type": "String", "Default": ""},
        "Zones": {"Type": "CommaDelimitedList", "Default": "a, b"},
    },
    "Conditions": {
        "HasEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Email"}, ""]}]},
        "IsGodoyCruz": {"Fn::Equals": [{"Ref": "CityId"}, "godoy-cruz"]},
        "Both": {"Fn::And": [{"Condition": "HasEmail"}, {"Condition": "IsGodoyCruz"}]},
        "Either": {"Fn::Or": [{"Condition": "HasEmail"}, {"Condition": "IsGodoyCruz"}]},
    },
    "Mappings": {"Sizes": {"godoy-cruz": {"Cars": 10}}},
    "Resources": {},
}


def resolver(**overrides: Any) -> Resolver:
    states = {
        "Table": ResourceState("AWS::DynamoDB::Table", "vigia-alerts", {"Arn": "arn:aws:dynamodb:::table/x"}),
        "Queue": ResourceState("AWS::SQS::Queue", "http://q/url", {"Arn": "arn:q", "QueueName": "q"}),
    }
    parameters = resolve_parameters(TEMPLATE["Parameters"], overrides)
    return Resolver(TEMPLATE, parameters, Pseudo(stack_name="vigia-godoy-cruz"), states)


def test_ref_gives_parameters_pseudo_parameters_and_physical_ids() -> None:
    r = resolver()

    assert r.resolve({"Ref": "CityId"}) == "godoy-cruz"
    assert r.resolve({"Ref": "Retention"}) == "90"  # CloudFormation hands numbers over as text
    assert r.resolve({"Ref": "Zones"}) == ["a", "b"]
    assert r.resolve({"Ref": "AWS::Region"}) == "us-east-1"
    assert r.resolve({"Ref": "AWS::StackName"}) == "vigia-godoy-cruz"
    assert r.resolve({"Ref": "Queue"}) == "http://q/url"


def test_get_att_in_both_spellings() -> None:
    r = resolver()

    assert r.resolve({"Fn::GetAtt": ["Queue", "QueueName"]}) == "q"
    assert r.resolve({"Fn::GetAtt": "Queue.Arn"}) == "arn:q"


def test_a_missing_attribute_says_which_attributes_exist() -> None:
    with pytest.raises(Unresolvable, match="QueueName"):
        resolver().resolve({"Fn::GetAtt": ["Queue", "StreamArn"]})


def test_sub_with_refs_attributes_variables_and_escapes() -> None:
    r = resolver()

    assert r.resolve({"Fn::Sub": "vigia-${CityId}-${AWS::Region}"}) == "vigia-godoy-cruz-us-east-1"
    assert r.resolve({"Fn::Sub": "${Queue.Arn}/${Table}"}) == "arn:q/vigia-alerts"
    assert r.resolve({"Fn::Sub": ["${Name}-x", {"Name": {"Ref": "CityId"}}]}) == "godoy-cruz-x"
    assert r.resolve({"Fn::Sub": "${!Literal}"}) == "${Literal}"


def test_join_select_split_find_in_map_and_base64() -> None:
    r = resolver()

    assert r.resolve({"Fn::Join": ["/", ["a", {"Ref": "CityId"}, 3]]}) == "a/godoy-cruz/3"
    assert r.resolve({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}) == "y"
    assert r.resolve({"Fn::FindInMap": ["Sizes", {"Ref": "CityId"}, "Cars"]}) == 10
    assert r.resolve({"Fn::Base64": "hi"}) == "aGk="


def test_conditions_and_if_with_no_value() -> None:
    r = resolver()
    value = {
        "Keep": {"Fn::If": ["IsGodoyCruz", "yes", "no"]},
        "Drop": {"Fn::If": ["HasEmail", "x", {"Ref": "AWS::NoValue"}]},
        "List": ["a", {"Fn::If": ["Both", "b", {"Ref": "AWS::NoValue"}]}],
    }

    assert r.resolve(value) == {"Keep": "yes", "List": ["a"]}
    assert r.condition("Either") is True
    assert resolver(Email="ops@city.gob.ar").condition("Both") is True


def test_only_the_chosen_branch_of_if_is_resolved() -> None:
    value = {"Fn::If": ["IsGodoyCruz", "ok", {"Ref": "NotCreatedYet"}]}

    assert resolver().resolve(value) == "ok"


def test_parameter_overrides_are_checked_like_cloudformation_does() -> None:
    with pytest.raises(TemplateError, match="not one of"):
        resolver(Retention="30")
    with pytest.raises(TemplateError, match="does not match"):
        resolver(CityId="Godoy Cruz")
    with pytest.raises(TemplateError, match="unknown parameter"):
        resolver(Colour="red")


def test_a_parameter_without_default_or_value_names_where_to_give_it() -> None:
    declared = {"CityId": {"Type": "String"}}
    with pytest.raises(TemplateError, match="CityId has no Default; give it in VIGIA_PARAMETER_OVERRIDES"):
        resolve_parameters(declared, {}, overrides_from="VIGIA_PARAMETER_OVERRIDES")
    with pytest.raises(TemplateError, match="give it in the parameter overrides"):
        resolve_parameters(declared)  # the engine alone knows no application's variable


def test_references_and_creation_order_follow_ref_get_att_sub_and_depends_on() -> None:
    resources = {
        "Sub": {"Properties": {"Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]}, "Topic": {"Ref": "Topic"}}},
        "Queue": {"Properties": {"Redrive": {"Fn::Sub": "${Dlq.Arn}"}}},
        "Dlq": {"Properties": {}},
        "Topic": {"Properties": {}, "DependsOn": "Dlq"},
    }

    assert references(resources["Sub"]["Properties"]) == {"Queue", "Topic"}
    order = creation_order(resources)
    assert order.index("Dlq") < order.index("Queue") < order.index("Sub")
    assert order.index("Dlq") < order.index("Topic") < order.index("Sub")


def test_a_cycle_is_reported() -> None:
    resources = {"A": {"Properties": {"X": {"Ref": "B"}}}, "B": {"Properties": {"X": {"Ref": "A"}}}}

    with pytest.raises(TemplateError, match="circular"):
        creation_order(resources)


def test_every_function_of_template_yaml_gets_its_environment_resolved_locally() -> None:
    """Named only (nothing created): any intrinsic the local stack cannot resolve fails here first."""
    cfn = translate()
    parameters = resolve_parameters(cfn.get("Parameters") or {})
    r = Resolver(cfn, parameters, Pseudo(stack_name="vigia-godoy-cruz"))
    env = Env(r.pseudo, client=lambda service: None)

    stack = provision(cfn, r, env, create=False)
    specs = function_specs(cfn, r)

    assert specs, "template.yaml declares no function"
    assert "ApiFunction" in specs
    assert specs["ApiFunction"].handler == "vigia.handlers.api.lambda_handler"
    environment = merged_environment(specs.values())
    assert environment["CITY_ID"] == "godoy-cruz"
    assert environment["ALERTS_TABLE"] == stack.resources["AlertsTable"].ref
    assert environment["ALERTS_TABLE"].startswith("vigia-godoy-cruz-AlertsTable-")
