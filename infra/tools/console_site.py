"""The console's site: its generated files (config.json, the city's map layers) and a WSGI app for console/.

The local stack mounts `ConsoleSite` at /console/ (docs/console.md); a deployment writes the same generated
files next to the static ones (`python -m infra.tools.console_site OUT_DIR --outputs outputs.json`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import mimetypes
import time
from collections.abc import Callable, Iterable, Mapping
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vigia.city.geo import polygon_centroid
from vigia.city.loading import load_city_pack
from vigia.city.model import CityPack

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_DIR = ROOT / "console"
CITIES_DIR = ROOT / "infra" / "cities"
CITY_SCHEMA = ROOT / "schemas" / "city.schema.json"
CONFIG_FILE = "config.json"
LAYERS_FILE = "city.geojson"
POLL_INTERVAL_S = 3

# What the console folder holds that is not the site: npm's manifest and installed tree, dotfiles.
_NOT_SERVED = ("node_modules", "package.json", "package-lock.json")
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".geojson": "application/geo+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
    ".map": "application/json",
}


def load_pack(city: str) -> CityPack:
    return load_city_pack(CITIES_DIR / city, CITY_SCHEMA)


def config(
    outputs: Mapping[str, Any],
    pack: CityPack,
    *,
    api_url: str | None = None,
    ws_url: str | None = None,
    cognito_endpoint: str | None = None,
) -> dict[str, Any]:
    """config.json for a stack: its outputs (outputs.json locally, the stack's Outputs in the cloud).

    `cognito_endpoint` empty means the region's own Cognito endpoint (the cloud); locally it is the emulator.
    """
    return {
        "api_url": (api_url if api_url is not None else str(outputs["ApiUrl"])).rstrip("/"),
        "ws_url": ws_url if ws_url is not None else str(outputs.get("WebSocketUrl") or ""),
        "user_pool_id": str(outputs.get("UserPoolId") or ""),
        "client_id": str(outputs.get("UserPoolClientId") or ""),
        "cognito_endpoint": (
            cognito_endpoint if cognito_endpoint is not None else str(outputs.get("AwsEndpointUrl") or "")
        ),
        "region": str(outputs.get("Region") or "us-east-1"),
        "city": pack.city_id,
        "city_name": pack.name,
        "locale": pack.locale,
        "locales": list(pack.locales),
        "time_zone": pack.time_zone,
        "map_layers": LAYERS_FILE,
        "poll_interval_s": POLL_INTERVAL_S,
        # the police view shows time since received against it (police may not read the queue, which has it)
        "response_target_s": int(pack.settings.response_target_s),
        "password_policy": password_policy(),
        # the response team's acknowledge target: its page shows time since received against it
        "silent_ack_target_s": int(pack.settings.silent_ack_target_s),
        # the SAT team's support categories (code and labels per locale): the case page offers them
        "sat_support_categories": sat_support_categories(pack),
    }


def sat_support_categories(pack: CityPack) -> list[dict[str, Any]]:
    """The pack's `sat.support_categories` as the console shows them; none when the city has no SAT."""
    path = CITIES_DIR / pack.city_id / "city.json"
    raw = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    categories = (raw.get("sat") or {}).get("support_categories") or []
    return [{k: c[k] for k in ("code", "labels", "label") if k in c} for c in categories if "code" in c]


def password_policy() -> dict[str, Any]:
    """The user pool's password policy as template.yaml sets it: the console shows it when a new account
    chooses its password (Cognito's NEW_PASSWORD_REQUIRED step)."""
    from infra.local.engine.template import load_template

    policy = load_template()["Resources"]["UserPool"]["Properties"]["Policies"]["PasswordPolicy"]
    return {
        "min_length": int(policy.get("MinimumLength", 8)),
        "lowercase": bool(policy.get("RequireLowercase", False)),
        "uppercase": bool(policy.get("RequireUppercase", False)),
        "digits": bool(policy.get("RequireNumbers", False)),
        "symbols": bool(policy.get("RequireSymbols", False)),
    }


def city_layers(pack: CityPack) -> dict[str, Any]:
    """The city's own map layers as one GeoJSON FeatureCollection, each feature's `layer` naming its kind:
    quadrant, block, siren and unit_base (a unit's quadrant centre: the API gives units no position)."""
    features: list[dict[str, Any]] = []
    for quadrant in pack.raw.get("quadrants", ()):
        features.append(
            _feature(
                quadrant["polygon"],
                layer="quadrant",
                quadrant_id=quadrant["quadrant_id"],
                name=quadrant["name"],
            )
        )
    for block in pack.raw_geography.get("features", ()):
        props = block.get("properties") or {}
        features.append(
            _feature(
                block["geometry"],
                layer="block",
                block_id=props.get("block_id"),
                quadrant_id=props.get("quadrant_id"),
                name=props.get("name"),
            )
        )
        for siren in props.get("sirens") or ():
            features.append(_point(siren["lon"], siren["lat"], layer="siren", siren_id=siren["siren_id"]))
    for unit in pack.units.values():
        quadrant = pack.quadrants.get(unit.quadrant_id)
        if quadrant is not None:
            centre = polygon_centroid(quadrant.polygon)
            features.append(
                _point(
                    centre.lon,
                    centre.lat,
                    layer="unit_base",
                    unit_id=unit.unit_id,
                    quadrant_id=unit.quadrant_id,
                )
            )
    return {"type": "FeatureCollection", "features": features}


def _feature(geometry: Mapping[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": dict(geometry), "properties": properties}


def _point(lon: float, lat: float, **properties: Any) -> dict[str, Any]:
    return _feature({"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}, **properties)


def security_headers(site_config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The headers the console is served with, here and (the same policy) behind CloudFront: no inline
    script or style, connections only to the API, Cognito and the WebSocket API, never framed."""
    connect = ["'self'"]
    for url in (site_config.get("api_url"), site_config.get("ws_url"), site_config.get("cognito_endpoint")):
        origin = _origin(str(url or ""))
        if origin and origin not in connect:
            connect.append(origin)
    if not site_config.get("cognito_endpoint"):
        connect.append(f"https://cognito-idp.{site_config.get('region', 'us-east-1')}.amazonaws.com")
    policy = "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "font-src 'self'",
            f"connect-src {' '.join(connect)}",
            # MapLibre runs its tile worker from its own module file (a blob: wrapper when cross-origin)
            "worker-src 'self' blob:",
            "child-src blob:",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
    return [
        ("Content-Security-Policy", policy),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        # the police check-in ("My shift") sends the car's position; only the console's own pages may ask
        ("Permissions-Policy", "geolocation=(self), camera=(), microphone=()"),
    ]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class ConsoleSite:
    """WSGI app for /console/…: the static files of console/ plus the generated config.json and layers."""

    def __init__(
        self, site_config: Mapping[str, Any], layers: Mapping[str, Any], *, root: Path = CONSOLE_DIR
    ) -> None:
        self.root = root.resolve()
        self.headers = security_headers(site_config)
        self.generated = {
            CONFIG_FILE: json.dumps(site_config, ensure_ascii=False).encode(),
            LAYERS_FILE: json.dumps(layers, separators=(",", ":")).encode(),
        }
        self.generated_at = time.time()  # the generated files' Last-Modified

    def file(self, relative: str) -> tuple[int, str, bytes]:
        """(status, content type, body) of a path under /console/."""
        status, kind, body, _ = self._file(relative)
        return status, kind, body

    def _file(self, relative: str) -> tuple[int, str, bytes, float]:
        """(status, content type, body, modified at) of a path under /console/."""
        relative = relative.lstrip("/") or "index.html"
        if relative in self.generated:
            suffix = Path(relative).suffix
            return 200, _TYPES[suffix], self.generated[relative], self.generated_at
        parts = relative.split("/")
        if any(p in ("", ".", "..") or p.startswith(".") for p in parts) or parts[0] in _NOT_SERVED:
            return 404, "text/plain; charset=utf-8", b"not found", 0.0
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return 404, "text/plain; charset=utf-8", b"not found", 0.0
        kind = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return 200, kind, path.read_bytes(), path.stat().st_mtime

    def __call__(self, environ: Mapping[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        path = str(environ.get("PATH_INFO", "/"))
        if method not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), *self.headers])
            return [b""]
        status, kind, body, modified = self._file(path)
        if status != 200:
            headers = [
                ("Content-Type", kind),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
            ]
            start_response("404 Not Found", [*headers, *self.headers])
            return [b"" if method == "HEAD" else body]
        # As CloudFront serves the bucket (infra/tools/console_deploy.py): the shell, modules and generated
        # files are revalidated on every load (their names carry no version); vendored libraries kept a week.
        cache = VENDOR_CACHE if path.startswith("/vendor/") else "no-cache"
        validators = [("ETag", etag(body)), ("Last-Modified", formatdate(modified, usegmt=True))]
        if not_modified(environ, validators[0][1], modified):
            start_response("304 Not Modified", [("Cache-Control", cache), *validators, *self.headers])
            return [b""]
        headers = [("Content-Type", kind), ("Content-Length", str(len(body))), ("Cache-Control", cache)]
        start_response("200 OK", [*headers, *validators, *self.headers])
        return [b"" if method == "HEAD" else body]


VENDOR_CACHE = "public, max-age=604800"


def etag(body: bytes) -> str:
    """A strong validator: the content's hash, so a rebuilt but unchanged file keeps it."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(environ: Mapping[str, Any], current_etag: str, modified: float) -> bool:
    """Whether the browser's copy is current (RFC 9110 13.1): If-None-Match decides when present,
    If-Modified-Since otherwise."""
    match = environ.get("HTTP_IF_NONE_MATCH")
    if match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in str(match).split(",")}
        return "*" in tags or current_etag in tags
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if not since:
        return False
    try:
        return int(modified) <= parsedate_to_datetime(str(since)).timestamp()
    except (TypeError, ValueError):
        return False


def _city(outputs: Mapping[str, Any]) -> str:
    return str(outputs.get("City") or (outputs.get("Parameters") or {}).get("CityId") or "godoy-cruz")


def site_for_stack(outputs: Mapping[str, Any], **overrides: Any) -> ConsoleSite:
    pack = load_pack(_city(outputs))
    return ConsoleSite(config(outputs, pack, **overrides), city_layers(pack))


class ConsoleMount:
    """The console under a path prefix of the local API's server (`/console`): built on its first request
    from the stack's outputs, which are complete only once the stack has started."""

    def __init__(self, outputs: Callable[[], Mapping[str, Any]], prefix: str = "/console") -> None:
        self.outputs = outputs
        self.prefix = prefix.rstrip("/")
        self._site: ConsoleSite | None = None

    @property
    def site(self) -> ConsoleSite:
        if self._site is None:
            self._site = site_for_stack(self.outputs())
        return self._site

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO") or "/")
        if path == self.prefix:  # relative URLs in index.html need the trailing slash
            start_response(
                "301 Moved Permanently", [("Location", self.prefix + "/"), ("Content-Length", "0")]
            )
            return [b""]
        return self.site({**environ, "PATH_INFO": path[len(self.prefix) :] or "/"}, start_response)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the console's config.json and city.geojson")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--outputs", type=Path, required=True, help="the stack's outputs as JSON")
    parser.add_argument("--ws-url", default=None, help="default: the outputs' WebSocketUrl")
    parser.add_argument("--cognito-endpoint", default=None, help="empty: the region's Cognito endpoint")
    parser.add_argument("--region", default=None, help="the stack's region (CloudFormation outputs lack it)")
    parser.add_argument("--city", default=None, help="the city pack (default: the outputs' City or CityId)")
    args = parser.parse_args(argv)
    outputs = dict(json.loads(args.outputs.read_text()))
    if args.region:
        outputs["Region"] = args.region
    if args.city:
        outputs["City"] = args.city
    pack = load_pack(_city(outputs))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    site = config(outputs, pack, ws_url=args.ws_url, cognito_endpoint=args.cognito_endpoint)
    (args.out_dir / CONFIG_FILE).write_text(json.dumps(site, ensure_ascii=False, indent=2) + "\n")
    (args.out_dir / LAYERS_FILE).write_text(json.dumps(city_layers(pack), separators=(",", ":")))
    print(f"wrote {args.out_dir / CONFIG_FILE} and {args.out_dir / LAYERS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
