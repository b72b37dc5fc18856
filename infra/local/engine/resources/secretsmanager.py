"""Secrets Manager secrets in the emulator, generated as GenerateSecretString asks."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Mapping
from typing import Any

from infra.local.engine.intrinsics import ResourceState
from infra.local.engine.resources.registry import Env, creator, integer, pick, tags


def _generated_secret(spec: Mapping[str, Any]) -> str:
    alphabet = ""
    if str(spec.get("ExcludeLowercase", "false")).lower() != "true":
        alphabet += string.ascii_lowercase
    if str(spec.get("ExcludeUppercase", "false")).lower() != "true":
        alphabet += string.ascii_uppercase
    if str(spec.get("ExcludeNumbers", "false")).lower() != "true":
        alphabet += string.digits
    if str(spec.get("ExcludePunctuation", "false")).lower() != "true":
        alphabet += "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    if str(spec.get("IncludeSpace", "false")).lower() == "true":
        alphabet += " "
    excluded = set(str(spec.get("ExcludeCharacters", "")))
    alphabet = "".join(c for c in alphabet if c not in excluded) or string.ascii_letters
    secret = "".join(secrets.choice(alphabet) for _ in range(integer(spec.get("PasswordLength", 32))))
    template, key = spec.get("SecretStringTemplate"), spec.get("GenerateStringKey")
    if template and key:
        document = json.loads(template)
        document[key] = secret
        return json.dumps(document)
    return secret


@creator("AWS::SecretsManager::Secret")
def _secret(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    name = env.name(logical_id, p.get("Name"), max_len=512)
    args: dict[str, Any] = {"Name": name, **pick(p, "Description", "KmsKeyId")}
    if "SecretString" in p:
        args["SecretString"] = str(p["SecretString"])
    else:
        args["SecretString"] = _generated_secret(p.get("GenerateSecretString") or {})
    if p.get("Tags"):
        args["Tags"] = tags(p)
    arn = env.client("secretsmanager").create_secret(**args)["ARN"]
    return ResourceState("AWS::SecretsManager::Secret", arn, {"Id": arn})
