"""The console's static server says how to cache each file (docs/console.md "Hosting"), so a reload costs
revalidations, not downloads: an ETag and a Last-Modified on every answer, 304 with no body when the
browser's copy is current, `no-cache` for the shell and generated files, a week for vendor/."""

from __future__ import annotations

from collections.abc import Callable
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from infra.tools.console_site import ConsoleSite


def call(
    site: ConsoleSite, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path}
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    answer: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> Callable[..., None]:
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)
        return lambda data: None

    body = b"".join(site(environ, start_response))
    return answer["status"], answer["headers"], body


@pytest.fixture
def site(tmp_path: Path) -> ConsoleSite:
    (tmp_path / "js").mkdir()
    (tmp_path / "vendor").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>x</title>")
    (tmp_path / "js" / "main.js").write_text("export {};")
    (tmp_path / "vendor" / "lib.mjs").write_text("export const lib = 1;")
    return ConsoleSite({"city": "godoy-cruz", "api_url": ""}, {"features": []}, root=tmp_path)


@pytest.mark.parametrize("path", ["/", "/js/main.js", "/config.json", "/city.geojson", "/vendor/lib.mjs"])
def test_every_file_carries_an_etag_and_a_last_modified(site: ConsoleSite, path: str) -> None:
    status, headers, body = call(site, path)
    assert status == 200
    assert body
    assert headers["ETag"].startswith('"')
    assert headers["ETag"].endswith('"')
    assert parsedate_to_datetime(headers["Last-Modified"]) is not None


@pytest.mark.parametrize("path", ["/", "/js/main.js", "/config.json", "/vendor/lib.mjs"])
def test_a_reload_with_the_etag_gets_304_and_no_body(site: ConsoleSite, path: str) -> None:
    # Given a browser that loaded the file once
    _, first, _ = call(site, path)
    # When it asks again with the ETag it holds
    status, headers, body = call(site, path, {"If-None-Match": first["ETag"]})
    # Then the answer is 304 with nothing to download, still with its cache rules and security headers
    assert status == 304
    assert body == b""
    assert headers["ETag"] == first["ETag"]
    assert headers["Cache-Control"] == first["Cache-Control"]
    assert "Content-Security-Policy" in headers


def test_a_changed_file_is_sent_again(site: ConsoleSite, tmp_path: Path) -> None:
    _, first, _ = call(site, "/js/main.js")
    (tmp_path / "js" / "main.js").write_text("export const changed = true;")
    status, headers, body = call(site, "/js/main.js", {"If-None-Match": first["ETag"]})
    assert status == 200
    assert body == b"export const changed = true;"
    assert headers["ETag"] != first["ETag"]


def test_if_modified_since_answers_304_when_there_is_no_etag_to_compare(site: ConsoleSite) -> None:
    _, first, _ = call(site, "/js/main.js")
    status, _, body = call(site, "/js/main.js", {"If-Modified-Since": first["Last-Modified"]})
    assert status == 304
    assert body == b""
    # an ETag that no longer matches wins over a date (RFC 9110 13.1.3)
    status, _, _ = call(
        site, "/js/main.js", {"If-None-Match": '"stale"', "If-Modified-Since": first["Last-Modified"]}
    )
    assert status == 200
    old = format_datetime(parsedate_to_datetime(first["Last-Modified"]).replace(year=2000), usegmt=True)
    assert call(site, "/js/main.js", {"If-Modified-Since": old})[0] == 200


def test_the_shell_is_revalidated_and_vendor_kept_a_week(site: ConsoleSite) -> None:
    for path in ("/", "/js/main.js", "/config.json", "/city.geojson"):
        assert call(site, path)[1]["Cache-Control"] == "no-cache"
    assert call(site, "/vendor/lib.mjs")[1]["Cache-Control"] == "public, max-age=604800"


def test_a_missing_file_is_not_cached_and_has_no_etag(site: ConsoleSite) -> None:
    status, headers, _ = call(site, "/js/nothing.js")
    assert status == 404
    assert "ETag" not in headers
    assert headers["Cache-Control"] == "no-store"
