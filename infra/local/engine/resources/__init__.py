"""Creates, in the emulator, every resource the translated template declares: one module per AWS service.

`registry` holds what they share (the creator registry, physical names, `provision`); each service module
registers the creators of the types template.yaml uses. A type with no creator stops the stack at start.
"""

from infra.local.engine.intrinsics import ResourceState, TemplateError
from infra.local.engine.resources import (  # noqa: F401  (importing a service registers its creators)
    athena,
    cloudfront,
    cloudwatch,
    cognito,
    dynamodb,
    glue,
    kms,
    logs,
    s3,
    scheduler,
    secretsmanager,
    sns,
    sqs,
)
from infra.local.engine.resources.registry import (
    NOT_EMULATED,
    Env,
    ProvisionedStack,
    describe,
    emulated_types,
    provision,
)

__all__ = [
    "NOT_EMULATED",
    "Env",
    "ProvisionedStack",
    "ResourceState",
    "TemplateError",
    "describe",
    "emulated_types",
    "provision",
]
