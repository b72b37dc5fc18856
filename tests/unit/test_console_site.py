"""The console's generated files, its security headers and what its site server refuses to serve."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infra.tools.console_site import (
    CONSOLE_DIR,
    ConsoleMount,
    ConsoleSite,
    city_layers,
    config,
    security_headers,
)
from vigia.city import CityPack

OUTPUTS = {
    "ApiUrl": "http://127.0.0.1:3000/",
    "UserPoolId": "us-east-1_pool",
    "UserPoolClientId": "client-1",
    "AwsEndpointUrl": "http://127.0.0.1:4566",
    "Region": "us-east-1",
    "City": "godoy-cruz",
}


def _site(city_pack: CityPack, root: Path = CONSOLE_DIR) -> ConsoleSite:
    return ConsoleSite(config(OUTPUTS, city_pack), city_layers(city_pack), root=root)


def test_config_names_the_stack_the_pool_and_the_city(city_pack: CityPack) -> None:
    site = config(OUTPUTS, city_pack)
    assert site["api_url"] == "http://127.0.0.1:3000"
    assert (site["user_pool_id"], site["client_id"], site["region"]) == (
        "us-east-1_pool",
        "client-1",
        "us-east-1",
    )
    assert site["cognito_endpoint"] == "http://127.0.0.1:4566"
    assert (site["city"], site["locale"], site["ws_url"]) == ("godoy-cruz", "es-AR", "")
    cloud = config(OUTPUTS, city_pack, cognito_endpoint="", ws_url="wss://ws.example/prod")
    assert cloud["cognito_endpoint"] == ""
    assert cloud["ws_url"] == "wss://ws.example/prod"


def test_config_shows_the_pools_password_policy_as_the_template_sets_it(city_pack: CityPack) -> None:
    # a new staff account chooses its password in the console against this policy (template.yaml UserPool)
    policy = config(OUTPUTS, city_pack)["password_policy"]
    wanted = {"min_length": 10, "lowercase": True, "uppercase": True, "digits": True, "symbols": False}
    assert policy == wanted


def test_city_layers_hold_every_quadrant_block_siren_and_unit(city_pack: CityPack) -> None:
    features = city_layers(city_pack)["features"]
    by_layer: dict[str, list[dict]] = {}
    for feature in features:
        by_layer.setdefault(feature["properties"]["layer"], []).append(feature)
    assert {f["properties"]["quadrant_id"] for f in by_layer["quadrant"]} == set(city_pack.quadrants)
    assert {f["properties"]["block_id"] for f in by_layer["block"]} == set(city_pack.blocks)
    assert {f["properties"]["siren_id"] for f in by_layer["siren"]} == set(city_pack.sirens)
    assert {f["properties"]["unit_id"] for f in by_layer["unit_base"]} == set(city_pack.units)
    for base in by_layer["unit_base"]:  # a unit's base lies in its own quadrant
        lon, lat = base["geometry"]["coordinates"]
        assert city_pack.quadrant_at(lat, lon).quadrant_id == base["properties"]["quadrant_id"]


def test_the_policy_allows_no_inline_code_no_framing_and_only_the_stacks_origins(city_pack: CityPack) -> None:
    headers = dict(security_headers(config(OUTPUTS, city_pack)))
    policy = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "connect-src 'self' http://127.0.0.1:3000 http://127.0.0.1:4566;" in policy
    cloud = dict(
        security_headers(config(OUTPUTS, city_pack, cognito_endpoint="", api_url="https://api.example"))
    )
    assert "https://cognito-idp.us-east-1.amazonaws.com" in cloud["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    "path",
    [
        "node_modules/axe-core/axe.js",
        "package.json",
        "package-lock.json",
        "../Makefile",
        "js/../../Makefile",
        "vendor/../../template.yaml",
        ".gitignore",
        "js/.hidden.js",
        "js//main.js",
        "no-such-file.js",
    ],
)
def test_the_site_serves_nothing_outside_the_console(city_pack: CityPack, path: str) -> None:
    status, _, body = _site(city_pack).file(path)
    assert status == 404
    assert body == b"not found"


def test_the_site_serves_the_shell_the_modules_and_the_generated_files(city_pack: CityPack) -> None:
    site = _site(city_pack)
    status, kind, body = site.file("")
    assert (status, kind) == (200, "text/html; charset=utf-8")
    assert b'<script type="module" src="js/main.js">' in body
    assert site.file("js/main.js")[1] == "text/javascript; charset=utf-8"
    assert json.loads(site.file("config.json")[2])["client_id"] == "client-1"
    assert json.loads(site.file("city.geojson")[2])["type"] == "FeatureCollection"


def test_the_mount_redirects_to_the_folder_and_strips_its_prefix(city_pack: CityPack) -> None:
    mount = ConsoleMount(lambda: OUTPUTS)
    answers: list[tuple[str, dict[str, str]]] = []

    def start(status: str, headers: list[tuple[str, str]]) -> None:
        answers.append((status, dict(headers)))

    mount({"PATH_INFO": "/console", "REQUEST_METHOD": "GET"}, start)
    assert answers[-1][0].startswith("301")
    assert answers[-1][1]["Location"] == "/console/"
    body = b"".join(mount({"PATH_INFO": "/console/config.json", "REQUEST_METHOD": "GET"}, start))
    assert answers[-1][0] == "200 OK"
    assert json.loads(body)["api_url"] == "http://127.0.0.1:3000"
    assert "Content-Security-Policy" in answers[-1][1]


def test_the_shell_has_no_inline_script_or_style() -> None:
    html = (CONSOLE_DIR / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline <script>"
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html), "an inline event handler"


def test_the_cloud_sends_the_same_policy_as_the_local_console(city_pack: CityPack) -> None:
    # template.yaml's CloudFront response-headers policy is a copy of security_headers(): they must not drift
    template = (CONSOLE_DIR.parent / "template.yaml").read_text()
    found = re.search(r'ContentSecurityPolicy: !Sub "([^"]+)"', template)
    assert found, "template.yaml has no Content-Security-Policy for the console"
    api = "https://abc123.execute-api.sa-east-1.amazonaws.com"
    socket = "wss://def456.execute-api.sa-east-1.amazonaws.com"
    cloud_policy = (
        found.group(1)
        .replace("https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}", api)
        .replace("wss://${LiveSocketApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}", socket)
        .replace("${AWS::Region}", "sa-east-1")
    )
    # the stack's WebSocketUrl output becomes config.json's ws_url, and its origin joins connect-src
    outputs = {**OUTPUTS, "Region": "sa-east-1", "WebSocketUrl": f"{socket}/live"}
    site = config(outputs, city_pack, api_url=api, cognito_endpoint="")
    assert site["ws_url"] == f"{socket}/live"
    local = dict(security_headers(site))
    assert cloud_policy == local["Content-Security-Policy"]
