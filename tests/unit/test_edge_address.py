"""The caller's address behind the console's CloudFront: the viewer's, only when the edge proves it."""

from __future__ import annotations

import pytest

from vigia.api.edge import EDGE_HEADER, VIEWER_HEADER, caller_address

SECRET = "s3cr3t-of-the-edge-0123456789abcdefghijklmnop"
EDGE_IP = "130.176.0.12"  # a CloudFront edge's address, as API Gateway sees it


def read_secret() -> str:
    return SECRET


def test_a_request_from_the_edge_counts_as_its_viewer() -> None:
    headers = {EDGE_HEADER: SECRET, VIEWER_HEADER: "198.51.100.7:46532"}
    assert caller_address(EDGE_IP, headers, read_secret) == "198.51.100.7"


def test_an_ipv6_viewer_loses_only_its_port() -> None:
    headers = {EDGE_HEADER: SECRET, VIEWER_HEADER: "2001:db8:85a3::8a2e:370:7334:443"}
    assert caller_address(EDGE_IP, headers, read_secret) == "2001:db8:85a3::8a2e:370:7334"


@pytest.mark.parametrize(
    "headers",
    [
        {VIEWER_HEADER: "198.51.100.7:1"},  # a caller naming any viewer it likes, without the edge's secret
        {EDGE_HEADER: "guess", VIEWER_HEADER: "198.51.100.7:1"},  # a guessed secret
        {EDGE_HEADER: SECRET[:-1], VIEWER_HEADER: "198.51.100.7:1"},  # all but the last character
        {EDGE_HEADER: SECRET + "x", VIEWER_HEADER: "198.51.100.7:1"},  # the secret and more
        {EDGE_HEADER: "", VIEWER_HEADER: "198.51.100.7:1"},
    ],
)
def test_a_viewer_address_without_the_edge_secret_is_ignored(headers: dict[str, str]) -> None:
    assert caller_address("203.0.113.9", headers, read_secret) == "203.0.113.9"


@pytest.mark.parametrize("viewer", ["", "not-an-address:80", "198.51.100.7", "999.1.1.1:80", ":80"])
def test_the_edge_with_a_viewer_address_it_cannot_read_counts_as_the_edge(viewer: str) -> None:
    headers = {EDGE_HEADER: SECRET, VIEWER_HEADER: viewer}
    assert caller_address(EDGE_IP, headers, read_secret) == EDGE_IP


def test_a_stack_without_an_edge_secret_trusts_no_header() -> None:
    headers = {EDGE_HEADER: "", VIEWER_HEADER: "198.51.100.7:1"}
    assert caller_address("203.0.113.9", headers, lambda: "") == "203.0.113.9"


def test_the_secret_is_read_only_when_a_request_claims_to_come_from_the_edge() -> None:
    reads: list[int] = []

    def counting() -> str:
        reads.append(1)
        return SECRET

    assert caller_address("203.0.113.9", {}, counting) == "203.0.113.9"
    assert caller_address("203.0.113.9", {VIEWER_HEADER: "198.51.100.7:1"}, counting) == "203.0.113.9"
    assert reads == []
    caller_address(EDGE_IP, {EDGE_HEADER: SECRET, VIEWER_HEADER: "198.51.100.7:1"}, counting)
    assert reads == [1]
