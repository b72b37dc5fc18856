"""What tests and bench share to stand in for Lambda and API Gateway: the city pack, events, contexts."""

from tests.support.lambda_events import FakeContext, api_event
from tests.support.pack import PACK_DIR, SCHEMA, godoy_cruz_pack

__all__ = ["PACK_DIR", "SCHEMA", "FakeContext", "api_event", "godoy_cruz_pack"]
