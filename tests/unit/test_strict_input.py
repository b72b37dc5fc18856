"""Bad input is refused at the door, strictly and briefly; text that got past it still makes valid CAP."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import xmlschema
from hypothesis import given, settings
from hypothesis import strategies as st

from vigia.api import problems
from vigia.api.parameters import check_query
from vigia.api.routes import ROUTES, Param
from vigia.api.strict_json import MAX_BODY_BYTES, MAX_DEPTH, is_json_media_type, read_json
from vigia.api.validation import validate
from vigia.dispatch import cap, protocol
from vigia.dispatch.protocol import Sender
from vigia.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType

ROOT = Path(__file__).resolve().parents[2]
CAP_XSD = xmlschema.XMLSchema(str(ROOT / "schemas/cap/CAP-v1.2.xsd"))
JSON = "application/json"


def refusal(body: str | bytes, content_type: str | None = JSON) -> InvalidRequest:
    is_base64 = isinstance(body, bytes)
    raw = base64.b64encode(body).decode() if isinstance(body, bytes) else body
    with pytest.raises(InvalidRequest) as caught:
        read_json(raw, is_base64=is_base64, content_type=content_type)
    return caught.value


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        ('{"location": {"lat": NaN, "lon": 1}}', "/location/lat", "NaN is not a finite number"),
        ('{"a": [1, Infinity]}', "/a/1", "Infinity is not a finite number"),
        ('{"a": -Infinity}', "/a", "-Infinity"),
        ('{"a": 1e999}', "/a", "1e999 is not a finite number"),
        ('{"type": "robbery", "type": "domestic_violence"}', "/type", "appears more than once"),
        ('{"x": {"note": "a", "note": "b"}}', "/x/note", "appears more than once"),
        ('{"note": "\\ud800"}', "/note", "lone surrogate"),
        ('{"a": ["ok", "\\udfff tail"]}', "/a/1", "lone surrogate"),
        ('{"full_name": "Ana\\u0007 P\\u00e9rez"}', "/full_name", "control character U+0007"),
        ('{"full_name": "Ana\\u0085"}', "/full_name", "control character U+0085"),
        ('{"note": "a\\uffffb"}', "/note", "noncharacter U+FFFF"),
        ('{"n\\u0000": 1}', "/", "a key contains a control character"),
    ],
)
def test_json_surprises_are_a_400_naming_the_field(body, path, words):
    error = refusal(body)
    assert error.status == 400
    assert error.errors[0].path == path
    assert words in error.errors[0].message


def test_a_duplicated_type_can_no_longer_turn_a_robbery_into_a_silent_alert():
    error = refusal(
        '{"type": "robbery", "location": {"lat": -32.9, "lon": -68.8}, "type": "domestic_violence"}'
    )
    assert error.errors[0].path == "/type"


@pytest.mark.parametrize(
    "body",
    [
        "[" * 30_000 + "]" * 30_000,  # within the size cap, deep enough to exhaust the recursive parser
        '{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1),
    ],
)
def test_nesting_past_the_limit_is_a_400_not_a_crash(body):
    error = refusal(body)
    assert f"deeper than {MAX_DEPTH}" in error.errors[0].message


def test_nesting_up_to_the_limit_and_brackets_inside_strings_are_fine():
    assert read_json('{"a":' * (MAX_DEPTH - 1) + "1" + "}" * (MAX_DEPTH - 1), content_type=JSON)
    assert read_json(json.dumps({"note": "[[[[" * 100}), content_type=JSON) == {"note": "[[[[" * 100}


def test_invalid_utf8_is_a_400_naming_the_byte():
    error = refusal(b'{"note": "caf\xe9"}')
    assert "invalid UTF-8 at byte 13" in error.errors[0].message


def test_newlines_and_tabs_pass_the_parser_and_real_pairs_are_kept():
    document = read_json('{"note": "l\\u00ednea 1\\nline\\t2 \\ud83d\\ude00"}', content_type=JSON)
    assert document == {"note": "línea 1\nline\t2 \U0001f600"}


def test_a_body_past_the_cap_is_a_413():
    with pytest.raises(PayloadTooLarge) as caught:
        read_json(json.dumps({"note": "x" * MAX_BODY_BYTES}), content_type=JSON)
    assert caught.value.status == 413
    with pytest.raises(PayloadTooLarge):
        read_json(base64.b64encode(b"x" * (MAX_BODY_BYTES + 1)).decode(), is_base64=True, content_type=JSON)


@pytest.mark.parametrize(
    ("content_type", "accepted"),
    [
        ("application/json", True),
        ("Application/JSON; charset=UTF-8", True),
        ("application/json; charset=utf-8", True),
        ("application/json; charset=latin-1", False),
        ("application/json; boundary=x", False),
        ("text/plain", False),
        ("application/x-www-form-urlencoded", False),
        ("application/jsonp", False),
        ("", False),
        (None, False),
    ],
)
def test_only_json_in_utf8_is_read(content_type, accepted):
    assert is_json_media_type(content_type) is accepted
    if not accepted:
        with pytest.raises(UnsupportedMediaType) as caught:
            read_json('{"a": 1}', content_type=content_type)
        assert caught.value.status == 415


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", "１０"),
        ("limit", "٣"),
        ("limit", "-1"),
        ("limit", "1e3"),
        ("limit", " 10"),
        ("date", "9999-12-31"),
        ("date", "２０２６-01-01"),
        ("from", "20260101"),
        ("to", "2026-13-01"),
        ("since", "2026-01-01T00:00:00Z\x00"),
        ("cursor", "a b"),
        ("zone", "Q-09\x07"),
    ],
)
def test_query_values_must_have_the_documented_ascii_shape(name, value):
    with pytest.raises(InvalidRequest) as caught:
        check_query(_declared(name), value)
    assert caught.value.errors[0].path == f"/{name}"


@pytest.mark.parametrize(
    ("name", "value"),
    [("limit", "10"), ("date", "2026-03-14"), ("since", "2026-03-01T12:00:00Z"), ("zone", "Q-09")],
)
def test_documented_query_values_pass(name, value):
    assert str(check_query(_declared(name), value)) == value


def _declared(name: str) -> Param:
    """The parameter as the route table declares it (on the first route that takes it)."""
    return next(p for route in ROUTES for p in route.query if p.name == name)


def test_a_huge_note_is_quoted_as_an_excerpt_only():
    note = "x" * 10_000_000
    with pytest.raises(InvalidRequest) as caught:
        validate(
            "requests/alert.json", {"type": "robbery", "location": {"lat": -32.9, "lon": -68.8}, "note": note}
        )
    _, _, body = problems.from_error(caught.value)
    assert len(body) < 2_000
    assert json.loads(body)["errors"][0]["path"] == "/note"
    assert "xxxx…" in body


def test_a_problem_never_carries_more_than_excerpts_whatever_a_route_put_in_it():
    error = InvalidRequest("detail " + "d" * 100_000, errors=[], queue="q" * 100_000)
    error.errors.extend(
        problems.FieldError("/" + "p" * 10_000, "m" * 10_000)
        for _ in range(1_000)  # type: ignore[attr-defined]
    )
    _, _, body = problems.from_error(error)
    assert len(body) < 8_000


@pytest.mark.parametrize(
    ("field", "value"),
    [("full_name", "Ana\tPérez"), ("address", "Calle 1\nPiso 2"), ("email", "a\u0085@b.ar")],
)
def test_single_line_fields_of_a_registration_refuse_line_breaks_and_controls(field, value):
    body = {
        "full_name": "Ana Pérez",
        "national_id": "30111222",
        "phone": "+5492615550999",
        "email": "ana@example.ar",
        "password": "Segura-2026x",
        "address": "Calle Sarmiento 120",
        "home_location": {"lat": -32.93, "lon": -68.84},
        field: value,
    }
    with pytest.raises(InvalidRequest) as caught:
        validate("requests/registration.json", body)
    assert caught.value.errors[0].path == f"/{field}"


def test_a_note_may_have_line_breaks_but_no_other_control():
    good = {"type": "robbery", "location": {"lat": -32.9, "lon": -68.8}, "note": "dos hombres\nmoto roja"}
    assert validate("requests/alert.json", good) == good
    with pytest.raises(InvalidRequest) as caught:
        validate("requests/alert.json", {**good, "note": "a\tb"})
    assert caught.value.errors[0].path == "/note"


# ------------------------------------------------------------------ XML safety behind the door
def _robbery_cap(sender: Sender) -> bytes:
    from tests.unit.test_dispatch_protocol import PACK, alert_of, neighbours

    plan = protocol.plan_alert(
        alert_of("robbery"), PACK.alert_types["robbery"], PACK, sender=sender, neighbours=neighbours(3)
    )
    return next(d.body for d in plan.deliveries if d.channel == protocol.WEBHOOK).encode("utf-8")


def test_a_stored_name_with_control_characters_still_yields_valid_cap():
    # Given a resident stored before the door refused such names (or by another path)
    # (a lone surrogate is left to test_any_text_at_all_makes_parseable_cap: this plan's SMS sizing in
    # dispatch/sms_text.py cannot encode one yet)
    sender = Sender(
        "u-bad", "Ana\x07Mar\x00ía\x1b[2J \x1fPérez\ufffe", "+5492615550999", "Calle 1\x0b", "es-AR"
    )
    # When the provincial CAD's CAP is written
    body = _robbery_cap(sender)
    # Then it is a CAP 1.2 document the schema accepts, and it still names her (what could be kept)
    CAP_XSD.validate(body.decode("utf-8"))
    contact = cap.parse(body).findtext("c:info/c:contact", namespaces={"c": cap.CAP_NS})
    assert contact is not None
    assert contact.startswith("Ana\ufffdMar\ufffdía\ufffd[2J \ufffdPérez\ufffd")


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(blacklist_categories=()), min_size=1, max_size=40))
def test_any_text_at_all_makes_parseable_cap(text):
    message = cap.CapMessage(
        identifier="vigia-1",
        sender="vigia@city",
        sent=__import__("datetime").datetime(2026, 3, 14, tzinfo=__import__("datetime").UTC),
        msg_type="Alert",
        scope="Restricted",
        restriction=text,
        note=text,
    )
    root = cap.parse(cap.to_xml(message, "America/Argentina/Mendoza"))
    kept = cap.xml_text(text).replace("\r\n", "\n").replace("\r", "\n")  # XML normalises line ends
    assert root.findtext("c:note", namespaces={"c": cap.CAP_NS}) == kept


# ------------------------------------------------------------------ CSV cells behind the door
@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-1-1", "'-1-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-32.930000", "-32.930000"),
        ("+5", "+5"),
        ("GC-01", "GC-01"),
        ("<5", "<5"),
    ],
)
def test_a_csv_cell_is_text_never_a_formula(text, shown):
    from vigia.cells import spreadsheet_safe

    assert spreadsheet_safe(text) == shown


def test_a_patrol_csv_shows_a_formula_like_unit_id_as_text_and_keeps_numbers():
    import csv
    import io
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from vigia.patrol.exports import to_csv
    from vigia.patrol.schedule import Duty, FixedPoint, PatrolRules, Window, generate

    mendoza = ZoneInfo("America/Argentina/Mendoza")
    shift = (Window(datetime(2026, 3, 2, 8, tzinfo=mendoza), datetime(2026, 3, 2, 9, tzinfo=mendoza)),)
    # Given a unit id the request patterns allow but a spreadsheet would compute ("-1-1" is "=-1-1" = -2)
    schedule = generate(
        "2026-03-02",
        [Duty("-1-1", "Q-01", shift)],
        {"Q-01": [FixedPoint("89b2eeaf013ffff", -32.93, -68.84, 1.0)]},
        seed=1,
        rules=PatrolRules(),
        time_zone=mendoza.key,
        generated_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    row = next(csv.DictReader(io.StringIO(to_csv(schedule))))
    assert row["unit_id"] == "'-1-1"
    assert row["lat"] == "-32.930000"


def test_the_local_api_refuses_a_body_past_api_gateways_10_mb_before_any_function_runs():
    from infra.local.engine.http_api import MAX_PAYLOAD_BYTES, IncomingRequest, LocalHttpApi

    local = LocalHttpApi([], {}, {}, api_id="abc", account_id="123456789012")  # type: ignore[arg-type]
    answer = local.handle(IncomingRequest("POST", "/v1/alerts", body=b"x" * (MAX_PAYLOAD_BYTES + 1)))
    assert answer.status == 413
    assert ("Content-Type", "application/problem+json") in answer.headers
    assert local.handle(IncomingRequest("POST", "/v1/alerts", body=b"{}")).status == 404  # no route: not 413


def test_no_handler_reads_a_request_body_but_through_the_strict_reader():
    """Powertools' json_body and a bare json.loads of the event body take NaN, duplicate keys and the rest."""
    import re

    handlers = ROOT / "functions/vigia/handlers"
    loose = re.compile(r"\.json_body\b|json\.loads\([^)]*current_event|current_event\.decoded_body")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted(handlers.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if loose.search(line)
    ]
    assert offenders == []


def test_a_problem_quoting_a_duplicated_lone_surrogate_key_is_still_utf8():
    error = refusal('{"\\ud800x": 1, "\\ud800x": 2}')
    _, _, body = problems.from_error(error)
    body.encode("utf-8")  # a lone surrogate would make the answer unencodable (a 502 at API Gateway)
    assert json.loads(body)["errors"][0]["path"] == "/\ufffdx"


_ANY_TEXT = st.text(st.characters(blacklist_categories=()), max_size=30)
_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | _ANY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_ANY_TEXT, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), _ANY_TEXT, _ANY_JSON.map(lambda v: json.dumps(v, allow_nan=True))))
def test_any_body_at_all_is_read_or_refused_with_a_problem_never_a_crash(body):
    from vigia.errors import VigiaError

    status = 200
    try:
        if isinstance(body, bytes):
            read_json(base64.b64encode(body).decode(), is_base64=True, content_type=JSON)
        else:
            read_json(body, content_type=JSON)
    except VigiaError as refused:  # anything else (RecursionError, UnicodeError …) fails the test
        status, _, answer = problems.from_error(refused)
        answer.encode("utf-8")
    assert status in (200, 400, 413, 415)


@settings(max_examples=300, deadline=None)
@given(_ANY_JSON)
def test_a_clean_document_reads_back_as_itself(document):
    from vigia.api.strict_json import text_problem

    def clean(node):
        if isinstance(node, float):
            return node == node and abs(node) != float("inf")
        if isinstance(node, str):
            return text_problem(node) is None
        if isinstance(node, list):
            return all(clean(v) for v in node)
        if isinstance(node, dict):
            return all(clean(k) and clean(v) for k, v in node.items())
        return True

    if clean(document):
        assert read_json(json.dumps(document), content_type=JSON) == document
