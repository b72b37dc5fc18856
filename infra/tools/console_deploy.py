"""`make console-deploy`: a deployed city's console and residents' app: their config.json, console/ and app/
uploaded to its bucket.

    make console-deploy CITY=godoy-cruz            # `make deploy` runs it; your AWS credentials
    make console-deploy CITY=godoy-cruz DRY_RUN=1  # prints config.json and every upload, writes nothing

The files are what the local console and app serve (`infra.tools.console_site.ConsoleSite`,
`infra.tools.app_site.AppSite`), under `console/` and `app/` in the stack's ConsoleBucket; files they no
longer have are deleted (the bucket keeps their old version 30 days), and CloudFront's copies of /console/*
and /app/* are invalidated. Caching: the shell, the modules and the
generated files are `no-cache` (revalidated on every load: they change with each deploy and their names
carry no version); the vendored libraries are cached a week (pinned, but their names carry no version
either, so an upgrade must not be pinned in browsers for long).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from infra.tools import app_site, console_site, stack_outputs

PREFIX = "console/"
APP_PREFIX = "app/"  # the residents' app (docs/app.md), on the same origin: it imports the console's modules
NO_CACHE = "no-cache"
VENDOR_CACHE = "public, max-age=604800"
# In console/vendor/ for the browser tests only (docs/console.md): the console never loads it.
TEST_ONLY = ("vendor/axe-core/",)


@dataclass(frozen=True)
class Upload:
    key: str
    content_type: str
    cache_control: str
    body: bytes

    def line(self) -> str:
        return f"{self.key}  {self.content_type}  {self.cache_control}  {len(self.body)} B"


def site_config(outputs: Mapping[str, Any], city: str) -> dict[str, Any]:
    """config.json for a deployed stack: the API on the console's own origin (CloudFront sends /v1/* to it,
    so the console needs no CORS), the region's Cognito, the WebSocket API once the stack has one."""
    console = urlsplit(str(outputs["ConsoleUrl"]))
    return console_site.config(
        {**outputs, "City": city},
        console_site.load_pack(city),
        api_url=f"{console.scheme}://{console.netloc}",
        ws_url=str(outputs.get("WebSocketUrl") or ""),
        cognito_endpoint="",
    )


def plan(
    outputs: Mapping[str, Any],
    city: str,
    console_dir: Path = console_site.CONSOLE_DIR,
    app_dir: Path = app_site.APP_DIR,
) -> list[Upload]:
    """Every object to write: each file the console and the residents' app serve, plus their generated
    config.json (the app's adds the city's cancel window and silent gesture) and city.geojson."""
    config = site_config(outputs, city)
    pack = console_site.load_pack(city)
    console = console_site.ConsoleSite(config, console_site.city_layers(pack), root=console_dir)
    app = app_site.AppSite(config, pack, root=app_dir)
    return _uploads(console, console_dir, PREFIX) + _uploads(app, app_dir, APP_PREFIX)


def _uploads(site: console_site.ConsoleSite, root: Path, prefix: str) -> list[Upload]:
    relatives = sorted(site.generated)
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and not relative.startswith("node_modules/") and not relative.startswith(TEST_ONLY):
            relatives.append(relative)
    uploads = []
    for relative in relatives:
        status, kind, body = site.file(relative)
        if status != 200:  # what the site refuses (package files, dotfiles) is not published either
            continue
        cache = VENDOR_CACHE if relative.startswith("vendor/") else NO_CACHE
        uploads.append(Upload(prefix + relative, kind, cache, body))
    return uploads


def publish(uploads: list[Upload], bucket: str, s3: Any) -> list[str]:
    """Writes the uploads and deletes what else lies under console/ and app/; returns the keys deleted."""
    for upload in uploads:
        s3.put_object(
            Bucket=bucket,
            Key=upload.key,
            Body=upload.body,
            ContentType=upload.content_type,
            CacheControl=upload.cache_control,
        )
    keep = {u.key for u in uploads}
    stale = [
        item["Key"]
        for prefix in (PREFIX, APP_PREFIX)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents") or []
        if item["Key"] not in keep
    ]
    for start in range(0, len(stale), 1000):
        s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in stale[start : start + 1000]]}
        )
    return stale


def invalidate(cloudfront: Any, distribution_id: str) -> str:
    answer = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": 2, "Items": ["/console/*", "/app/*"]},
            "CallerReference": str(time.time_ns()),
        },
    )
    return str(answer["Invalidation"]["Id"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make console-deploy", description=__doc__.splitlines()[0])
    parser.add_argument("--city", required=True)
    parser.add_argument("--region", default=None, help="default: your AWS configuration's")
    parser.add_argument(
        "--outputs", type=Path, help="the stack's outputs as JSON (instead of asking CloudFormation)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print config.json and the uploads; write nothing"
    )
    args = parser.parse_args(argv)

    import boto3

    session = boto3.session.Session(region_name=args.region)
    if args.outputs:
        outputs = {"Region": session.region_name or "us-east-1", **json.loads(args.outputs.read_text())}
    else:
        outputs = stack_outputs.cloud(args.city, session=session)
    uploads = plan(outputs, args.city)
    config = next(u for u in uploads if u.key == PREFIX + console_site.CONFIG_FILE)
    print(config.body.decode())
    for upload in uploads:
        print(upload.line())
    if args.dry_run:
        print(
            f"dry run: {len(uploads)} file(s) for s3://{outputs.get('ConsoleBucket')}/{PREFIX}; none written"
        )
        return 0
    stale = publish(uploads, str(outputs["ConsoleBucket"]), session.client("s3"))
    print(
        f"{len(uploads)} file(s) uploaded, {len(stale)} deleted, to s3://{outputs['ConsoleBucket']}/{PREFIX}"
    )
    distribution = session.client("cloudformation").describe_stack_resource(
        StackName=stack_outputs.stack_name(args.city), LogicalResourceId="ConsoleDistribution"
    )["StackResourceDetail"]["PhysicalResourceId"]
    invalidation = invalidate(session.client("cloudfront"), distribution)
    print(f"invalidation {invalidation} of /console/* and /app/* on {distribution}")
    print(f"the console: {outputs['ConsoleUrl']}")
    if outputs.get("AppUrl"):
        print(f"the residents' app: {outputs['AppUrl']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
