"""The local stack builds the resource types template.yaml uses, and refuses any other by name."""

from __future__ import annotations

from typing import Any

import pytest

from infra.local.engine.intrinsics import Pseudo, Resolver, TemplateError, resolve_parameters
from infra.local.engine.resources import NOT_EMULATED, Env, emulated_types, provision
from infra.local.engine.template import translate


def _named_only(cfn: dict[str, Any]) -> Any:
    resolver = Resolver(cfn, resolve_parameters(cfn.get("Parameters") or {}), Pseudo(stack_name="vigia-test"))
    return provision(cfn, resolver, Env(resolver.pseudo, client=lambda service: None), create=False)


def test_every_resource_type_of_template_yaml_is_built_or_deliberately_left_out() -> None:
    types = {str(r["Type"]) for r in translate()["Resources"].values()}

    assert types <= emulated_types() | NOT_EMULATED


def test_support_is_kept_only_for_types_template_yaml_uses() -> None:
    types = {str(r["Type"]) for r in translate()["Resources"].values()}

    assert (emulated_types() | NOT_EMULATED) - types == set()


def test_a_resource_type_the_local_stack_does_not_know_is_refused_naming_it() -> None:
    cfn = {"Resources": {"Door": {"Type": "AWS::IoT::Thing", "Properties": {"ThingName": "door"}}}}

    with pytest.raises(TemplateError, match=r"Door.*AWS::IoT::Thing"):
        _named_only(cfn)
