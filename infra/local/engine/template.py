"""Reads a SAM template (template.yaml by default) and translates it offline with aws-sam-translator."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import boto3
from cfnlint.decode import cfn_yaml
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_PATH = ROOT / "template.yaml"
PLACEHOLDER_CODE_URI = "s3://local-stack-placeholder/code.zip"


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The SAM template as plain data (intrinsics such as !Ref become {"Ref": ...})."""
    data = cfn_yaml.load(str(path))
    return _plain(data)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def translate(
    template: dict[str, Any] | None = None, parameters: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The CloudFormation the SAM transform would produce, translated offline.

    Local CodeUri paths are replaced by a placeholder S3 URI, as `sam validate` does,
    because packaging is `make package`'s job, not the translator's.
    """
    sam = copy.deepcopy(template if template is not None else load_template())
    code_uri = sam.get("Globals", {}).get("Function", {}).get("CodeUri")
    if isinstance(code_uri, str) and not code_uri.startswith("s3://"):
        sam["Globals"]["Function"]["CodeUri"] = PLACEHOLDER_CODE_URI
    for resource in sam.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        code_uri = props.get("CodeUri")
        is_function = resource.get("Type") == "AWS::Serverless::Function"
        if is_function and isinstance(code_uri, str) and not code_uri.startswith("s3://"):
            props["CodeUri"] = PLACEHOLDER_CODE_URI
    session = boto3.session.Session(region_name=(parameters or {}).get("AWS::Region", "us-east-1"))
    translator = Translator(managed_policy_map={}, sam_parser=Parser(), boto_session=session)
    return translator.translate(
        sam_template=sam,
        parameter_values=dict(parameters or {}),
        get_managed_policy_map=lambda: {},
    )
