"""CloudFormation intrinsics (Ref, Fn::GetAtt, Fn::Sub, Fn::If …) resolved against the local stack."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

NO_VALUE: Any = object()  # AWS::NoValue: the property (or list item) disappears

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_CONDITION_FUNCTIONS = ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition")


class TemplateError(Exception):
    """The template asks for something the local stack cannot give (a bad parameter, a cycle…)."""


class Unresolvable(TemplateError):
    """A Ref or GetAtt to a resource or attribute the local stack does not have (yet)."""


@dataclass(frozen=True)
class Pseudo:
    """The pseudo parameters, as the local account answers them."""

    stack_name: str
    region: str = "us-east-1"
    account_id: str = "123456789012"
    partition: str = "aws"
    url_suffix: str = "amazonaws.com"

    @property
    def stack_id(self) -> str:
        return (
            f"arn:{self.partition}:cloudformation:{self.region}:{self.account_id}:stack/"
            f"{self.stack_name}/00000000-0000-0000-0000-000000000000"
        )

    def values(self) -> dict[str, Any]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": self.partition,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": self.stack_id,
            "AWS::URLSuffix": self.url_suffix,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }


@dataclass
class ResourceState:
    """What a resource answers to Ref and Fn::GetAtt, once it exists (in the emulator or only on paper)."""

    type: str
    ref: str
    attrs: dict[str, Any] = field(default_factory=dict)
    emulated: bool = True


def resolve_parameters(
    declared: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    *,
    overrides_from: str = "the parameter overrides",
) -> dict[str, Any]:
    """Parameter values: overrides, else defaults; checked against AllowedValues / AllowedPattern.
    `overrides_from` names where a user gives an override (what a missing value's error points to)."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(
            f"unknown parameter(s) {', '.join(unknown)}; the template declares {sorted(declared)}"
        )
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec or {}
        if name in overrides:
            value: Any = overrides[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            raise TemplateError(f"parameter {name} has no Default; give it in {overrides_from}")
        ptype = str(spec.get("Type", "String"))
        if ptype == "CommaDelimitedList" or ptype.startswith("List<"):
            items = (
                value if isinstance(value, list) else [v.strip() for v in str(value).split(",") if v.strip()]
            )
            values[name] = [str(v) for v in items]
            continue
        text = as_text(value)
        allowed = spec.get("AllowedValues")
        if allowed is not None and text not in [as_text(a) for a in allowed]:
            raise TemplateError(f"parameter {name}={text!r} is not one of {allowed}")
        pattern = spec.get("AllowedPattern")
        if pattern is not None and not re.fullmatch(str(pattern), text):
            raise TemplateError(f"parameter {name}={text!r} does not match {pattern}")
        values[name] = text
    return values


def as_text(value: Any) -> str:
    """A parameter or Sub value as CloudFormation renders it (numbers and booleans become text)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Resolver:
    """Resolves intrinsic functions in template values.

    `resources` maps logical ids to their state; it may grow while resources are being created
    (the resolver only looks it up when asked).
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, Any],
        pseudo: Pseudo,
        resources: Mapping[str, ResourceState] | None = None,
    ) -> None:
        self.template = template
        self.parameters = dict(parameters)
        self.pseudo = pseudo
        self.resources: Mapping[str, ResourceState] = resources if resources is not None else {}
        self._pseudo_values = pseudo.values()
        self._conditions: dict[str, bool] = {}

    # ---------------------------------------------------------------- conditions
    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            declared = self.template.get("Conditions") or {}
            if name not in declared:
                raise TemplateError(f"unknown condition {name}")
            self._conditions[name] = bool(self._condition_value(declared[name]))
        return self._conditions[name]

    def _condition_value(self, value: Any) -> bool:
        if isinstance(value, dict) and len(value) == 1:
            ((fn, args),) = value.items()
            if fn == "Condition":
                return self.condition(str(args))
            if fn == "Fn::Equals":
                left, right = (self.resolve(a) for a in args)
                return as_text(left) == as_text(right)
            if fn == "Fn::Not":
                return not self._condition_value(args[0])
            if fn == "Fn::And":
                return all(self._condition_value(a) for a in args)
            if fn == "Fn::Or":
                return any(self._condition_value(a) for a in args)
        resolved = self.resolve(value)
        if isinstance(resolved, bool):
            return resolved
        if isinstance(resolved, str) and resolved.lower() in ("true", "false"):
            return resolved.lower() == "true"
        raise TemplateError(f"not a condition: {value!r}")

    def included(self, resource: Mapping[str, Any]) -> bool:
        """Whether a resource (or output) exists, given its Condition."""
        condition = resource.get("Condition")
        return condition is None or self.condition(str(condition))

    # ---------------------------------------------------------------- values
    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, args),) = value.items()
                handler = self._FUNCTIONS.get(key)
                if handler is not None:
                    return handler(self, args)
                if key in _CONDITION_FUNCTIONS:
                    return self._condition_value(value)
            out = {}
            for k, v in value.items():
                resolved = self.resolve(v)
                if resolved is not NO_VALUE:
                    out[k] = resolved
            return out
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not NO_VALUE]
        return value

    def ref(self, name: str) -> Any:
        if name in self._pseudo_values:
            return self._pseudo_values[name]
        if name in self.parameters:
            return self.parameters[name]
        state = self.resources.get(name)
        if state is None:
            raise Unresolvable(f"Ref {name}: {self._why_missing(name)}")
        return state.ref

    def _why_missing(self, name: str) -> str:
        declared = self.template.get("Resources") or {}
        if name not in declared:
            return "the template declares no parameter or resource of that name"
        condition = declared[name].get("Condition")
        if condition and not self.condition(str(condition)):
            return f"the resource exists only when {condition} is true"
        return "the resource is not created yet (a circular reference?)"

    def get_att(self, logical_id: str, attribute: str) -> Any:
        state = self.resources.get(logical_id)
        if state is None:
            raise Unresolvable(f"Fn::GetAtt {logical_id}.{attribute}: {self._why_missing(logical_id)}")
        if attribute not in state.attrs:
            raise Unresolvable(
                f"Fn::GetAtt {logical_id}.{attribute}: a local {state.type} has only {sorted(state.attrs)}"
            )
        return state.attrs[attribute]

    def _fn_ref(self, args: Any) -> Any:
        return self.ref(str(self.resolve(args)))

    def _fn_get_att(self, args: Any) -> Any:
        if isinstance(args, str):
            logical_id, _, attribute = args.partition(".")
        else:
            logical_id, attribute = str(args[0]), str(self.resolve(args[1]))
        return self.get_att(logical_id, attribute)

    def _fn_sub(self, args: Any) -> str:
        if isinstance(args, list):
            text, variables = str(args[0]), {k: self.resolve(v) for k, v in (args[1] or {}).items()}
        else:
            text, variables = str(args), {}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return as_text(variables[name])
            if name in self._pseudo_values or name in self.parameters:
                return as_text(self.ref(name))
            if "." in name:
                logical_id, _, attribute = name.partition(".")
                return as_text(self.get_att(logical_id, attribute))
            return as_text(self.ref(name))

        return _SUB_VARIABLE.sub(substitute, text)

    def _fn_join(self, args: Any) -> str:
        delimiter, items = args
        return str(delimiter).join(as_text(v) for v in self.resolve(items))

    def _fn_select(self, args: Any) -> Any:
        index, items = int(self.resolve(args[0])), self.resolve(args[1])
        return items[index]

    def _fn_split(self, args: Any) -> list[str]:
        delimiter, text = args
        return str(self.resolve(text)).split(str(delimiter))

    def _fn_if(self, args: Any) -> Any:
        name, when_true, when_false = args
        return self.resolve(when_true if self.condition(str(name)) else when_false)

    def _fn_find_in_map(self, args: Any) -> Any:
        map_name, top, second = (self.resolve(a) for a in args[:3])
        try:
            return self.template["Mappings"][map_name][as_text(top)][as_text(second)]
        except KeyError as missing:
            raise TemplateError(f"Fn::FindInMap {map_name}/{top}/{second}: no {missing}") from None

    def _fn_get_azs(self, args: Any) -> list[str]:
        region = self.resolve(args) or self.pseudo.region
        return [f"{region}{zone}" for zone in "abc"]

    def _fn_base64(self, args: Any) -> str:
        return base64.b64encode(str(self.resolve(args)).encode()).decode()

    def _fn_length(self, args: Any) -> int:
        return len(self.resolve(args))

    def _fn_to_json_string(self, args: Any) -> str:
        return json.dumps(self.resolve(args), separators=(",", ":"))

    def _fn_import_value(self, args: Any) -> Any:
        raise TemplateError(f"Fn::ImportValue {args!r}: the local stack has no other stacks to import from")

    def _fn_cidr(self, args: Any) -> Any:
        raise TemplateError("Fn::Cidr is not emulated by the local stack")

    _FUNCTIONS: ClassVar[dict[str, Callable[[Resolver, Any], Any]]] = {
        "Ref": _fn_ref,
        "Fn::GetAtt": _fn_get_att,
        "Fn::Sub": _fn_sub,
        "Fn::Join": _fn_join,
        "Fn::Select": _fn_select,
        "Fn::Split": _fn_split,
        "Fn::If": _fn_if,
        "Fn::FindInMap": _fn_find_in_map,
        "Fn::GetAZs": _fn_get_azs,
        "Fn::Base64": _fn_base64,
        "Fn::Length": _fn_length,
        "Fn::ToJsonString": _fn_to_json_string,
        "Fn::ImportValue": _fn_import_value,
        "Fn::Cidr": _fn_cidr,
    }


# -------------------------------------------------------------------- dependencies
def references(value: Any) -> set[str]:
    """Every name a value refers to through Ref, Fn::GetAtt or Fn::Sub (parameters included)."""
    found: set[str] = set()
    _collect(value, found)
    return found


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, args),) = value.items()
            if key == "Ref" and isinstance(args, str):
                found.add(args)
                return
            if key == "Fn::GetAtt":
                found.add(args.partition(".")[0] if isinstance(args, str) else str(args[0]))
                return
            if key == "Fn::Sub":
                text, variables = (args[0], args[1] or {}) if isinstance(args, list) else (args, {})
                for name in _SUB_VARIABLE.findall(str(text)):
                    if not name.startswith("!") and name not in variables:
                        found.add(name.partition(".")[0])
                _collect(variables, found)
                return
        for v in value.values():
            _collect(v, found)
    elif isinstance(value, list):
        for v in value:
            _collect(v, found)


def creation_order(resources: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Logical ids ordered so that each comes after what it refers to (DependsOn included).

    Ties keep the template's order, so the log reads like the template.
    """
    depends: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        needed = references(resource.get("Properties") or {})
        depends_on = resource.get("DependsOn") or []
        needed.update([depends_on] if isinstance(depends_on, str) else depends_on)
        depends[logical_id] = {n for n in needed if n in resources and n != logical_id}
    ordered: list[str] = []
    done: set[str] = set()
    pending = list(resources)
    while pending:
        ready = [lid for lid in pending if depends[lid] <= done]
        if not ready:
            raise TemplateError(f"circular references between {sorted(pending)}")
        for lid in ready:
            ordered.append(lid)
            done.add(lid)
        pending = [lid for lid in pending if lid not in done]
    return ordered


def walk_strings(value: Any) -> Iterable[str]:
    """Every string inside a (resolved) value; used to find ARNs in integration URIs and targets."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from walk_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk_strings(v)
