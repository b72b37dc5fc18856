"""`make console-deploy`: the config.json a deployed console gets, and what lands in its bucket, how it is
served (content type, caching) and what is removed (moto's S3 and CloudFront; no AWS account)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.tools import console_deploy
from infra.tools.console_site import load_pack

OUTPUTS = {
    "ConsoleUrl": "https://d1234abcd.cloudfront.net/console/",
    "ConsoleBucket": "vigia-godoy-cruz-console",
    "ApiUrl": "https://abc123.execute-api.sa-east-1.amazonaws.com",
    "UserPoolId": "sa-east-1_Pool",
    "UserPoolClientId": "client-1",
    "Region": "sa-east-1",
}


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("s3", region_name="sa-east-1")
        client.create_bucket(
            Bucket=OUTPUTS["ConsoleBucket"], CreateBucketConfiguration={"LocationConstraint": "sa-east-1"}
        )
        yield client


def uploads_by_key() -> dict[str, console_deploy.Upload]:
    return {u.key: u for u in console_deploy.plan(OUTPUTS, "godoy-cruz")}


def test_config_points_the_console_at_its_own_origin_the_pool_and_the_city():
    config = json.loads(uploads_by_key()["console/config.json"].body)
    pack = load_pack("godoy-cruz")

    assert config["api_url"] == "https://d1234abcd.cloudfront.net"  # /v1/* on the same origin: no CORS
    assert config["ws_url"] == ""  # the stack has no WebSocket API output: the console polls
    assert config["user_pool_id"] == "sa-east-1_Pool"
    assert config["client_id"] == "client-1"
    assert config["region"] == "sa-east-1"
    assert config["cognito_endpoint"] == ""  # the region's own Cognito
    assert config["city"] == "godoy-cruz"
    assert config["locale"] == pack.locale


def test_config_names_the_websocket_api_once_the_stack_outputs_one():
    uploads = console_deploy.plan(
        {**OUTPUTS, "WebSocketUrl": "wss://ws1.execute-api.sa-east-1.amazonaws.com/live"}, "godoy-cruz"
    )
    config = json.loads(next(u for u in uploads if u.key == "console/config.json").body)
    assert config["ws_url"] == "wss://ws1.execute-api.sa-east-1.amazonaws.com/live"


def test_the_uploads_carry_their_content_type_and_the_shell_is_never_cached_stale():
    uploads = uploads_by_key()

    assert (uploads["console/index.html"].content_type, uploads["console/index.html"].cache_control) == (
        "text/html; charset=utf-8",
        "no-cache",
    )
    assert uploads["console/config.json"].content_type == "application/json"
    assert uploads["console/config.json"].cache_control == "no-cache"
    assert uploads["console/city.geojson"].content_type == "application/geo+json"
    assert uploads["console/js/main.js"].content_type == "text/javascript; charset=utf-8"
    assert uploads["console/js/main.js"].cache_control == "no-cache"
    assert uploads["console/css/console.css"].content_type == "text/css; charset=utf-8"
    assert uploads["console/icon.svg"].content_type == "image/svg+xml"
    vendor = uploads["console/vendor/maplibre-gl/maplibre-gl.mjs"]
    assert vendor.content_type == "text/javascript; charset=utf-8"
    assert vendor.cache_control.startswith("public, max-age=")
    assert int(vendor.cache_control.split("max-age=")[1]) >= 86_400
    assert "console/vendor/maplibre-gl/maplibre-gl-worker.mjs" in uploads
    assert uploads["console/index.html"].body == Path("console/index.html").read_bytes()


def test_the_residents_app_is_published_beside_the_console_with_its_own_config():
    uploads = uploads_by_key()
    assert uploads["app/index.html"].body == Path("app/index.html").read_bytes()
    assert uploads["app/sw.js"].cache_control == "no-cache"  # a new deploy reaches the phones
    assert uploads["app/manifest.webmanifest"].content_type.startswith("application/manifest+json")
    config = json.loads(uploads["app/config.json"].body)
    console = json.loads(uploads["console/config.json"].body)
    pack = load_pack("godoy-cruz")
    # the API on the same origin (the app signs up through it), the city's cancel window and silent gesture
    assert config["api_url"] == console["api_url"] == "https://d1234abcd.cloudfront.net"
    assert config["cancel_window_s"] == int(pack.raw["settings"].get("cancel_window_s", 120))
    silent = [code for code, kind in pack.raw["alert_types"].items() if kind.get("silent")]
    assert config["silent_alarm"]["type"] == silent[0]
    assert "silent_alarm" not in console


def test_nothing_but_the_site_is_published():
    keys = set(uploads_by_key())

    assert all(k.startswith(("console/", "app/")) for k in keys)
    assert not [k for k in keys if "node_modules" in k or k.endswith(("package.json", "package-lock.json"))]
    assert not [k for k in keys if any(part.startswith(".") for part in k.split("/"))]  # vendor/.installed
    assert not [k for k in keys if "axe-core" in k]  # the browser tests' library, never loaded by the console


def test_publishing_writes_every_file_as_planned_and_removes_what_the_console_no_longer_has(s3: Any):
    bucket = OUTPUTS["ConsoleBucket"]
    s3.put_object(Bucket=bucket, Key="console/js/removed-page.js", Body=b"old")
    s3.put_object(Bucket=bucket, Key="app/removed.js", Body=b"old")
    s3.put_object(Bucket=bucket, Key="elsewhere/keep.txt", Body=b"not the console's")
    uploads = console_deploy.plan(OUTPUTS, "godoy-cruz")

    deleted = console_deploy.publish(uploads, bucket, s3)

    assert sorted(deleted) == ["app/removed.js", "console/js/removed-page.js"]
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert listed == {u.key for u in uploads} | {"elsewhere/keep.txt"}
    for upload in uploads:
        head = s3.head_object(Bucket=bucket, Key=upload.key)
        assert head["ContentType"] == upload.content_type
        assert head["CacheControl"] == upload.cache_control
    config = json.loads(s3.get_object(Bucket=bucket, Key="console/config.json")["Body"].read())
    assert config["user_pool_id"] == "sa-east-1_Pool"


def test_a_dry_run_prints_the_config_and_every_upload_and_writes_nothing(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(OUTPUTS))

    assert console_deploy.main(["--city", "godoy-cruz", "--outputs", str(outputs), "--dry-run"]) == 0

    printed = capsys.readouterr().out
    assert '"user_pool_id": "sa-east-1_Pool"' in printed
    assert "console/index.html  text/html; charset=utf-8  no-cache" in printed
    assert (
        "console/vendor/maplibre-gl/maplibre-gl.mjs  text/javascript; charset=utf-8  public, max-age="
        in printed
    )
    assert s3.list_objects_v2(Bucket=OUTPUTS["ConsoleBucket"])["KeyCount"] == 0


def test_the_invalidation_covers_the_whole_console(s3: Any):
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "test",
            "Comment": "",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "console", "DomainName": "b.s3.amazonaws.com"}]},
            "DefaultCacheBehavior": {
                "TargetOriginId": "console",
                "ViewerProtocolPolicy": "redirect-to-https",
            },
        }
    )["Distribution"]["Id"]

    invalidation = console_deploy.invalidate(cloudfront, distribution)

    found = cloudfront.get_invalidation(DistributionId=distribution, Id=invalidation)["Invalidation"]
    assert found["InvalidationBatch"]["Paths"]["Items"] == ["/console/*", "/app/*"]
