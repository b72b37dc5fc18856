"""The caller's address when the request came through the console's CloudFront distribution.

Behind CloudFront, API Gateway's `sourceIp` is an edge's address, shared by everyone that edge serves: the
limit of registrations per source address would hold a whole neighbourhood by one person, or let one person
through many edges. CloudFront names the viewer in `CloudFront-Viewer-Address` ("ip:port"), and adds to its
origin requests a header carrying the stack's edge secret (template.yaml `EdgeSecret`, an origin custom
header of `ConsoleDistribution`). Anyone can send the viewer header straight to API Gateway; only CloudFront
can send the secret. So the viewer is believed only with the secret, compared in constant time.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable, Mapping

EDGE_HEADER = "x-vigia-edge"
VIEWER_HEADER = "cloudfront-viewer-address"


def caller_address(source_ip: str, headers: Mapping[str, str], edge_secret: Callable[[], str]) -> str:
    """The viewer's address if the request proves it came from our edge, else API Gateway's source address.
    `headers` are lower-cased; `edge_secret` is read only when a request claims to come from the edge."""
    claimed = headers.get(EDGE_HEADER)
    if not claimed:
        return source_ip
    secret = edge_secret()
    if not secret or not hmac.compare_digest(claimed.encode(), secret.encode()):
        return source_ip
    viewer = _without_port(headers.get(VIEWER_HEADER) or "")
    return viewer or source_ip


def _without_port(value: str) -> str:
    """ "198.51.100.7:46532" -> "198.51.100.7"; IPv6 "2001:db8::1:443" -> "2001:db8::1"; "" if unreadable."""
    host, colon, port = value.strip().rpartition(":")
    if not colon or not port.isdigit():
        return ""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return ""
