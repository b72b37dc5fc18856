"""The HTTP edge: problem details, callers and roles, request validation, the OpenAPI document."""
