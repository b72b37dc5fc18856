"""The console's hosting in template.yaml: a private bucket that only its CloudFront distribution reads,
HTTPS only, and the security headers a browser enforces (docs/console.md "Hosting")."""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from typing import Any

import pytest

from infra.local.engine.template import translate
from infra.tools.console_site import security_headers


@functools.cache
def cfn() -> dict[str, Any]:
    return translate()


def resources(rtype: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in cfn()["Resources"].items() if v["Type"] == rtype}


def only(rtype: str) -> dict[str, Any]:
    found = resources(rtype)
    assert len(found) == 1, f"expected one {rtype}, found {sorted(found)}"
    return next(iter(found.values()))


def sub_text(value: Any) -> str:
    """The text of a plain string or an Fn::Sub (its template string)."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return str(sub[0] if isinstance(sub, list) else sub)
    return str(value)


def distribution() -> dict[str, Any]:
    return dict(only("AWS::CloudFront::Distribution")["Properties"]["DistributionConfig"])


def headers_policy() -> dict[str, Any]:
    return dict(only("AWS::CloudFront::ResponseHeadersPolicy")["Properties"]["ResponseHeadersPolicyConfig"])


def csp() -> dict[str, list[str]]:
    text = sub_text(
        headers_policy()["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    )
    directives: dict[str, list[str]] = {}
    for part in text.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def test_the_console_csp_allows_no_inline_code_no_eval_and_no_framing():
    policy = csp()
    every_source = " ".join(" ".join(v) for v in policy.values())
    assert "'unsafe-inline'" not in every_source
    assert "'unsafe-eval'" not in every_source
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert set(policy["img-src"]) == {"'self'", "data:", "blob:"}
    assert "blob:" in policy["worker-src"]  # MapLibre's tile workers


def test_the_console_connects_only_to_itself_its_api_and_its_regions_cognito():
    connect = csp()["connect-src"]
    assert connect[0] == "'self'"
    assert "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}" in connect
    assert "https://cognito-idp.${AWS::Region}.amazonaws.com" in connect
    assert not [s for s in connect if "*" in s or s in ("https:", "wss:", "http:")], "no wildcard origins"
    websocket_apis = [
        lid
        for lid, r in resources("AWS::ApiGatewayV2::Api").items()
        if r["Properties"].get("ProtocolType") == "WEBSOCKET"
    ]
    for lid in websocket_apis:  # when the WebSocket API exists, the console must be allowed to reach it
        assert any(s.startswith("wss://${" + lid + "}") for s in connect), f"{lid} missing from connect-src"


def test_the_cloud_csp_is_the_policy_the_local_console_is_served_with():
    cloud_like = {
        "api_url": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}",
        "ws_url": "wss://${LiveSocketApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/live",
        "cognito_endpoint": "",
        "region": "${AWS::Region}",
    }
    local = dict(security_headers(cloud_like))["Content-Security-Policy"]
    text = sub_text(
        headers_policy()["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    )
    assert text == local


def test_the_console_headers_policy_sets_hsts_nosniff_referrer_and_frame_options():
    security = headers_policy()["SecurityHeadersConfig"]
    hsts = security["StrictTransportSecurity"]
    assert int(hsts["AccessControlMaxAgeSec"]) >= 31_536_000
    assert hsts["Override"] is True
    assert hsts["IncludeSubdomains"] is True
    assert security["ContentTypeOptions"]["Override"] is True
    assert security["ReferrerPolicy"]["ReferrerPolicy"] in ("no-referrer", "strict-origin-when-cross-origin")
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ContentSecurityPolicy"]["Override"] is True


def test_every_behaviour_is_https_only_and_carries_the_security_headers():
    config = distribution()
    behaviours = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]
    policy_id = {"Ref": next(iter(resources("AWS::CloudFront::ResponseHeadersPolicy")))}
    for behaviour in behaviours:
        assert behaviour["ViewerProtocolPolicy"] in ("redirect-to-https", "https-only")
        assert behaviour["ResponseHeadersPolicyId"] == policy_id
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    # a POST redirected from http:// would lose its body: the API's paths refuse http outright
    assert all(b["ViewerProtocolPolicy"] == "https-only" for b in config.get("CacheBehaviors", []))


def test_tls_is_at_least_1_2_with_the_citys_certificate_and_to_every_origin():
    certificate = distribution()["ViewerCertificate"]
    with_domain = certificate["Fn::If"][1]
    assert certificate["Fn::If"][0] == "HasConsoleDomain"
    assert with_domain["MinimumProtocolVersion"] in ("TLSv1.2_2021", "TLSv1.2_2019", "TLSv1.3_2025")
    assert with_domain["SslSupportMethod"] == "sni-only"
    for origin in distribution()["Origins"]:
        custom = origin.get("CustomOriginConfig")
        if custom is not None:
            assert custom["OriginProtocolPolicy"] == "https-only"
            assert custom["OriginSSLProtocols"] == ["TLSv1.2"]


def test_the_bucket_is_read_through_origin_access_control_not_a_legacy_identity():
    assert resources("AWS::CloudFront::CloudFrontOriginAccessIdentity") == {}
    oac = only("AWS::CloudFront::OriginAccessControl")["Properties"]["OriginAccessControlConfig"]
    assert oac["OriginAccessControlOriginType"] == "s3"
    assert oac["SigningBehavior"] == "always"
    assert oac["SigningProtocol"] == "sigv4"
    (bucket_origin,) = [o for o in distribution()["Origins"] if "S3OriginConfig" in o]
    assert bucket_origin["S3OriginConfig"].get("OriginAccessIdentity", "") == ""
    oac_id = next(iter(resources("AWS::CloudFront::OriginAccessControl")))
    assert bucket_origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    assert bucket_origin["DomainName"] == {"Fn::GetAtt": ["ConsoleBucket", "RegionalDomainName"]}


def test_the_console_bucket_is_private_versioned_and_encrypted():
    bucket = cfn()["Resources"]["ConsoleBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "WebsiteConfiguration" not in bucket  # a website endpoint is public by nature


def test_the_bucket_policy_admits_only_this_distribution_and_only_over_https():
    policies = [
        p["Properties"]
        for p in resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": "ConsoleBucket"}
    ]
    assert len(policies) == 1
    statements = policies[0]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    for allow in allows:
        assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}, "nobody else may read"
        assert allow["Action"] in ("s3:GetObject", ["s3:GetObject"])
        # the console's and the app's folders, nothing else of the bucket
        readable = allow["Resource"] if isinstance(allow["Resource"], list) else [allow["Resource"]]
        assert sorted(sub_text(r) for r in readable) == [
            "${ConsoleBucket.Arn}/app/*",
            "${ConsoleBucket.Arn}/console/*",
        ]
        source = sub_text(allow["Condition"]["StringEquals"]["AWS:SourceArn"])
        assert re.fullmatch(
            r"arn:\$\{AWS::Partition\}:cloudfront::\$\{AWS::AccountId\}:distribution/\$\{ConsoleDistribution\}",
            source,
        )
    assert len(allows) == 1
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert any(d["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for d in denies)


def run_viewer_request(method: str, uri: str) -> dict[str, Any]:
    """Runs the distribution's viewer-request function (CloudFront's JavaScript) in node on one request."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to run the CloudFront function (`make console` installs it)")
    code = only("AWS::CloudFront::Function")["Properties"]["FunctionCode"]
    event = {"request": {"method": method, "uri": uri, "headers": {}}}
    script = f"{code}\nprocess.stdout.write(JSON.stringify(handler({json.dumps(event)})));"
    return dict(json.loads(subprocess.run([node, "-e", script], capture_output=True, check=True).stdout))


@pytest.mark.parametrize("uri", ["/", "/console"])
def test_the_domain_and_the_bare_folder_redirect_to_the_console(uri: str):
    answer = run_viewer_request("GET", uri)
    assert answer["statusCode"] == 301
    assert answer["headers"]["location"]["value"] == "/console/"


@pytest.mark.parametrize(
    ("uri", "served"),
    [
        ("/console/", "/console/index.html"),
        ("/console/js/main.js", "/console/js/main.js"),
        ("/console/config.json", "/console/config.json"),
        ("/v1/alerts", "/v1/alerts"),
    ],
)
def test_the_console_folder_serves_its_index_and_files_as_they_are(uri: str, served: str):
    assert run_viewer_request("GET", uri)["uri"] == served


@pytest.mark.parametrize("uri", ["/v1/registrations", "/v1/registrations/r-123/confirm"])
def test_the_residents_app_signs_up_through_the_consoles_domain(uri: str):
    # the per-source limit holds behind CloudFront: the API counts the viewer CloudFront names (next test)
    answer = run_viewer_request("POST", uri)
    assert "statusCode" not in answer
    assert answer["uri"] == uri


def test_only_the_api_origin_is_sent_the_edge_secret_and_the_viewers_address():
    config = distribution()
    origins = {o["Id"]: o for o in config["Origins"]}
    (header,) = origins["api"]["OriginCustomHeaders"]
    assert header["HeaderName"].lower() == "x-vigia-edge"
    # the secret's value, resolved by CloudFormation from Secrets Manager, never written in the template
    assert sub_text(header["HeaderValue"]) == "{{resolve:secretsmanager:${EdgeSecret}:SecretString}}"
    assert (
        resources("AWS::SecretsManager::Secret")["EdgeSecret"]["Properties"]["GenerateSecretString"][
            "PasswordLength"
        ]
        >= 32
    )
    assert "OriginCustomHeaders" not in origins["console"]
    # Managed-AllViewerExceptHostHeader forwards CloudFront's headers, CloudFront-Viewer-Address among them
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/v1/*"]
    assert api["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    # and the API function may read the secret it compares with
    function = resources("AWS::Lambda::Function")["ApiFunction"]["Properties"]
    assert function["Environment"]["Variables"]["EDGE_SECRET_ARN"] == {"Ref": "EdgeSecret"}
    role = resources("AWS::IAM::Role")["ApiFunctionRole"]["Properties"]
    granted = json.dumps([p["PolicyDocument"] for p in role.get("Policies", [])])
    assert '"secretsmanager:GetSecretValue"' in granted
    assert '{"Ref": "EdgeSecret"}' in granted


def test_the_bare_app_folder_redirects_to_the_app_and_its_folder_serves_its_index():
    answer = run_viewer_request("GET", "/app")
    assert answer["statusCode"] == 301
    assert answer["headers"]["location"]["value"] == "/app/"
    assert run_viewer_request("GET", "/app/")["uri"] == "/app/index.html"
    assert run_viewer_request("GET", "/app/app.js")["uri"] == "/app/app.js"


@pytest.mark.parametrize(
    ("method", "uri"),
    [("GET", "/v1/registrations"), ("POST", "/v1/registrations/u-1/approve"), ("POST", "/v1/alerts")],
)
def test_staff_routes_pass_through_to_the_api(method: str, uri: str):
    answer = run_viewer_request(method, uri)
    assert "statusCode" not in answer
    assert answer["uri"] == uri


def test_every_behaviour_runs_the_paths_function():
    config = distribution()
    (function_id,) = resources("AWS::CloudFront::Function")
    association = {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": [function_id, "FunctionARN"]}}
    assert association in config["DefaultCacheBehavior"]["FunctionAssociations"]
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/v1/*"]
    assert association in api["FunctionAssociations"]


def test_the_outputs_name_the_console_url_and_its_bucket():
    outputs = cfn()["Outputs"]
    assert outputs["ConsoleBucket"]["Value"] == {"Ref": "ConsoleBucket"}
    condition, with_domain, without = outputs["ConsoleUrl"]["Value"]["Fn::If"]
    assert condition == "HasConsoleDomain"
    assert sub_text(with_domain) == "https://${ConsoleDomainName}/console/"
    assert sub_text(without) == "https://${ConsoleDistribution.DomainName}/console/"
    condition, with_domain, without = outputs["AppUrl"]["Value"]["Fn::If"]
    assert sub_text(with_domain) == "https://${ConsoleDomainName}/app/"
    assert sub_text(without) == "https://${ConsoleDistribution.DomainName}/app/"
