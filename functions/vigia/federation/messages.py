"""What crosses between partner cities: EDXL-DE 2.0 envelopes around CAP 1.2, built and read strictly.

The home sends a Report (CAP Alert) and, within the cancel window, a Cancel; the host answers with an Ack
and Updates as its incident moves. A Report carries only what the host needs for one incident: the
builder's signature has no room for anything else, and the reader refuses a message that carries more.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.sax.saxutils import escape, quoteattr

from vigia.dispatch.cap import (
    CAP_NS,
    MIN_RADIUS_KM,
    CapArea,
    CapInfo,
    CapMessage,
    cap_time,
    rule_problems,
    to_xml,
)
from vigia.incidents.lifecycle import ACKNOWLEDGED, ASSIGNED, EN_ROUTE, FALSE_ALARM, ON_SCENE, RESOLVED

EDXL_NS = "urn:oasis:names:tc:emergency:EDXL:DE:2.0"
GSF_NS = "urn:oasis:names:tc:emergency:edxl:gsf:1.0"
GML_NS = "http://www.opengis.net/gml/3.2"
CONTENT_TYPE = "application/xml"
MAX_MESSAGE_BYTES = 64 * 1024
MAX_LIFETIME = timedelta(days=1)  # the host keeps each distributionID until expiry: bounded
MAX_DEPTH = 12  # our deepest element is 8 levels down; anything deeper is not ours
ADDRESS_SCHEME = "vigia:city"  # explicitAddress names the recipient city: a message is for one partner
TIME_ZONE = "UTC"  # written with a numeric offset (-00:00), as CAP requires

STATUSES = ("Actual", "Exercise", "Test")
# EDXL-DE distributionKind ↔ CAP msgType, the only pairs this federation speaks
KINDS = {"Report": "Alert", "Update": "Update", "Cancel": "Cancel", "Ack": "Ack"}
UPDATE_STATUSES = (ACKNOWLEDGED, ASSIGNED, EN_ROUTE, ON_SCENE, RESOLVED, FALSE_ALARM)

# Everything a Report carries about the resident and the incident (the builder's keyword arguments) ...
ROAMING_FIELDS = (
    "alert_id",
    "alert_type",
    "type_label",
    "lat",
    "lon",
    "accuracy_m",
    "raised_at",
    "callback_phone",
    "caller_name",
)
# ... and which of them ride as CAP <parameter>s (vigia:<name>); the rest are eventCode, event, contact, area.
CAP_PARAMETERS = ("alert_id", "accuracy_m", "raised_at", "caller_name", "home_city")
UPDATE_PARAMETERS = ("status",)

MAX_NAME = 40
MAX_LABEL = 80
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_TYPE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_DECLARATION = re.compile(
    rb"""<\?xml version=["']1\.0["']( encoding=["'](?i:utf-8)["'])?( standalone=["'](yes|no)["'])?\s*\?>\s*"""
)


class MessageInvalid(ValueError):
    """Not a federation message this stack accepts; `problems` say what is wrong (never its content)."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else problems
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Envelope:
    """Who sends what to whom and for how long: the EDXL-DE fields every message has."""

    distribution_id: str
    sender: str  # this stack's city_id
    recipient: str  # the partner's partner_id
    sent: datetime
    expires: datetime
    status: str = "Actual"  # Actual | Exercise | Test

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.distribution_id):
            raise ValueError("distribution_id: 1-128 of A-Z a-z 0-9 . _ : - (no spaces or commas: CAP)")
        for name in ("sender", "recipient"):
            if not _SLUG.fullmatch(getattr(self, name)):
                raise ValueError(f"{name}: a city id (lowercase slug)")
        if self.sender == self.recipient:
            raise ValueError("recipient: a city does not send to itself")
        if self.sent.tzinfo is None or self.expires.tzinfo is None:
            raise ValueError("sent and expires must be timezone-aware")
        if self.expires <= self.sent:
            raise ValueError("expires must come after sent")
        if self.expires - self.sent > MAX_LIFETIME:
            raise ValueError(f"expires at most {_hours(MAX_LIFETIME)} after sent")
        if self.status not in STATUSES:
            raise ValueError(f"status: one of {', '.join(STATUSES)}")

    @property
    def reference(self) -> str:
        """This message as a CAP <references> entry: what an answer to it names (= Message.reference)."""
        return f"{self.sender},{self.distribution_id},{cap_time(self.sent, TIME_ZONE)}"


@dataclass(frozen=True)
class RoamingAlert:
    """A resident's alert as the host sees it: nothing more than this crosses."""

    alert_id: str  # the home's alert id (the host's remote id)
    alert_type: str
    type_label: str
    lat: float
    lon: float
    accuracy_m: float
    raised_at: datetime
    callback_phone: str
    caller_name: str  # first name or alias
    home_city: str


@dataclass(frozen=True)
class Message:
    """A federation message as read: the envelope, and what its CAP says for its kind."""

    distribution_id: str
    sender_id: str
    recipient_id: str
    sent: datetime
    expires: datetime
    status: str
    kind: str  # Report | Update | Cancel | Ack
    reference: str  # this message as a CAP <references> entry ("sender,identifier,sent"), to answer it
    in_reply_to: str | None = None  # the distribution id an Ack, Update or Cancel refers to
    in_reply_to_sender: str | None = None
    alert: RoamingAlert | None = None  # Report only
    incident_status: str | None = None  # Update only: one of UPDATE_STATUSES
    cap: bytes = b""  # the embedded CAP alert, as its own document (to store or show)


# --- building ------------------------------------------------------------------------------------


def roaming_alert(
    envelope: Envelope,
    *,
    alert_id: str,
    alert_type: str,
    type_label: str,
    lat: float,
    lon: float,
    accuracy_m: float,
    raised_at: datetime,
    callback_phone: str,
    caller_name: str,
) -> bytes:
    """The Report the home sends the partner for one alert raised in the partner's jurisdiction.

    Deliberately no `**kwargs` and no resident object: a national id, an address or a history cannot be
    passed, so cannot cross. The home city is the envelope's sender.
    """
    _check_text("alert_id", alert_id, _ID)
    _check_text("alert_type", alert_type, _TYPE)
    _check_words("type_label", type_label, MAX_LABEL)
    _check_words("caller_name", caller_name, MAX_NAME)
    _check_text("callback_phone", callback_phone, _PHONE)
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise ValueError("lat: -90..90")
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise ValueError("lon: -180..180")
    if not (math.isfinite(accuracy_m) and 0 <= accuracy_m <= 100_000):
        raise ValueError("accuracy_m: 0..100000 metres")
    if raised_at.tzinfo is None:
        raise ValueError("raised_at must be timezone-aware")
    radius_circle = (lat, lon, max(accuracy_m / 1000, MIN_RADIUS_KM))
    info = CapInfo(
        language="",
        category="Other",  # the host classifies by its own pack's profile for `alert_type`
        event=type_label,
        urgency="Immediate",
        severity="Unknown",
        certainty="Observed",
        sender_name=f"Vigía {envelope.sender}",
        headline=type_label,
        description="",
        event_codes=(("vigia:alert_type", alert_type),),
        parameters=(
            ("vigia:alert_id", alert_id),
            ("vigia:accuracy_m", f"{accuracy_m:.1f}"),
            ("vigia:raised_at", cap_time(raised_at, TIME_ZONE)),
            ("vigia:caller_name", caller_name),
            ("vigia:home_city", envelope.sender),
        ),
        contact=callback_phone,
        areas=(CapArea("reported location", circles=(radius_circle,)),),
    )
    return _envelope(envelope, "Report", _cap(envelope, "Alert", info=(info,)), circle=(lat, lon, accuracy_m))


def ack(envelope: Envelope, *, references: str) -> bytes:
    """The host's CAP Ack: it has the alert (`references` is the Report's `Message.reference`)."""
    return _envelope(envelope, "Ack", _cap(envelope, "Ack", references=references))


def update(envelope: Envelope, *, references: str, status: str) -> bytes:
    """The host's CAP Update as its incident moves: `status` from the incident lifecycle."""
    if status not in UPDATE_STATUSES:
        raise ValueError(f"status {status!r}: one of {', '.join(UPDATE_STATUSES)}")
    info = CapInfo(
        language="",
        category="Other",
        event=status,
        urgency="Immediate",
        severity="Unknown",
        certainty="Observed",
        sender_name=f"Vigía {envelope.sender}",
        headline=status,
        description="",
        parameters=(("vigia:status", status),),
    )
    return _envelope(envelope, "Update", _cap(envelope, "Update", references=references, info=(info,)))


def cancel(envelope: Envelope, *, references: str) -> bytes:
    """The home's CAP Cancel: the resident withdrew the alert within the window."""
    return _envelope(envelope, "Cancel", _cap(envelope, "Cancel", references=references))


def restriction(sender: str, recipient: str) -> str:
    """The CAP <restriction> naming the agreement the message travels under."""
    return (
        f"Vigía federation agreement {sender}/{recipient}: for {recipient}'s monitoring centre only; "
        "personal data of a resident of another city, not to be forwarded"
    )


def _hours(span: timedelta) -> str:
    return f"{int(span.total_seconds() // 3600)} h"


def _check_text(name: str, value: str, pattern: re.Pattern[str]) -> None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError(f"{name}: not a valid value")


def _check_words(name: str, value: str, limit: int) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > limit or _NOT_XML.search(value):
        raise ValueError(f"{name}: 1-{limit} characters XML can carry")


def _cap(
    envelope: Envelope, msg_type: str, *, references: str | None = None, info: tuple[CapInfo, ...] = ()
) -> ET.Element:
    if references is not None and not _reference_parts(references):
        raise ValueError("references: one 'sender,identifier,sent' entry (a Message.reference)")
    message = CapMessage(
        identifier=envelope.distribution_id,
        sender=envelope.sender,
        sent=envelope.sent,
        msg_type=msg_type,
        scope="Restricted",
        status=envelope.status,
        restriction=restriction(envelope.sender, envelope.recipient),
        references=(references,) if references else (),
        info=info,
    )
    return ET.fromstring(to_xml(message, TIME_ZONE))  # noqa: S314 - our own CAP builder's output


def _element(parent: ET.Element, ns: str, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _envelope(
    envelope: Envelope, kind: str, cap: ET.Element, *, circle: tuple[float, float, float] | None = None
) -> bytes:
    root = ET.Element(f"{{{EDXL_NS}}}EDXLDistribution")
    for tag, text in (
        ("distributionID", envelope.distribution_id),
        ("senderID", envelope.sender),
        ("dateTimeSent", cap_time(envelope.sent, TIME_ZONE)),
        ("dateTimeExpires", cap_time(envelope.expires, TIME_ZONE)),
        ("distributionStatus", envelope.status),
        ("distributionKind", kind),
    ):
        _element(root, EDXL_NS, tag, text)
    descriptor = _element(root, EDXL_NS, "descriptor")
    address = _element(descriptor, EDXL_NS, "explicitAddress")
    _element(address, EDXL_NS, "explicitAddressScheme", ADDRESS_SCHEME)
    _element(address, EDXL_NS, "explicitAddressValue", envelope.recipient)
    if circle is not None:
        lat, lon, radius_m = circle
        location = _element(_element(descriptor, EDXL_NS, "targetArea"), GSF_NS, "EDXLGeoLocation")
        shape = _element(location, GML_NS, "CircleByCenterPoint")
        shape.set("numArc", "1")
        _element(shape, GML_NS, "pos", f"{lat:.6f} {lon:.6f}")
        _element(shape, GML_NS, "radius", f"{max(radius_m, MIN_RADIUS_KM * 1000):.1f}").set("uom", "m")
    content_xml = _element(
        _element(_element(root, EDXL_NS, "content"), EDXL_NS, "contentObject"), EDXL_NS, "contentXML"
    )
    _element(content_xml, EDXL_NS, "embeddedXMLContent").append(cap)
    body = b"<?xml version='1.0' encoding='utf-8'?>\n" + _serialize(root, top=True)
    if len(body) > MAX_MESSAGE_BYTES:
        raise ValueError(f"the message is {len(body)} bytes, over the {MAX_MESSAGE_BYTES} a partner accepts")
    return body


_PREFIXES = {EDXL_NS: "", GSF_NS: "gsf", GML_NS: "gml"}


def _serialize(element: ET.Element, *, top: bool = False) -> bytes:
    """EDXL unprefixed, GML and GSF prefixed, the CAP alert with its own default namespace.

    ElementTree cannot write a default namespace together with GML's unqualified attributes (uom,
    numArc), so the envelope is written here; the embedded CAP is cap.to_xml's own serialisation.
    """
    ns, _, local = element.tag[1:].partition("}")
    if ns == CAP_NS:
        return ET.tostring(element, encoding="unicode", default_namespace=CAP_NS).encode("utf-8")
    prefix = _PREFIXES[ns]
    name = f"{prefix}:{local}" if prefix else local
    attributes = "".join(f" {key}={quoteattr(value)}" for key, value in element.attrib.items())
    if top:
        attributes = (
            "".join(f" xmlns{':' + p if p else ''}={quoteattr(uri)}" for uri, p in _PREFIXES.items())
            + attributes
        )
    inner = escape(element.text or "").encode("utf-8") + b"".join(_serialize(child) for child in element)
    return f"<{name}{attributes}>".encode() + inner + f"</{name}>".encode()


# --- reading -------------------------------------------------------------------------------------

_ENVELOPE = (
    "distributionID",
    "senderID",
    "dateTimeSent",
    "dateTimeExpires",
    "distributionStatus",
    "distributionKind",
)
_CAP_ALERT = (
    "identifier",
    "sender",
    "sent",
    "status",
    "msgType",
    "scope",
    "restriction",
    "references",
    "info",
)
_CAP_INFO = (
    "category",
    "event",
    "urgency",
    "severity",
    "certainty",
    "eventCode",
    "senderName",
    "headline",
    "contact",
    "parameter",
    "area",
)


def read_message(body: bytes) -> Message:
    """The message in `body`, checked strictly against what this federation writes; MessageInvalid if not.

    Only call it on bytes whose signature has been verified (`verifier.verify` does): it never sees a DTD,
    an entity, a processing instruction or a comment (refused before the parser runs), nor another encoding
    than UTF-8. The OASIS XSDs are not run here (no XSD validator ships to Lambda): the checks below
    are this federation's profile of EDXL-DE 2.0 and CAP 1.2, element by element; tests also validate the
    CAP part against schemas/cap/CAP-v1.2.xsd.
    """
    root = _parse(body)
    if root.tag != f"{{{EDXL_NS}}}EDXLDistribution":
        raise MessageInvalid("not an EDXL-DE 2.0 EDXLDistribution")
    children = list(root)
    tags = [_local(c, EDXL_NS) for c in children]
    if tags not in (
        [*_ENVELOPE, "descriptor", "content"],
        [*_ENVELOPE, "content"],
    ):
        raise MessageInvalid(f"EDXL-DE elements {tags} are not {[*_ENVELOPE, 'descriptor', 'content']}")
    fields = {t: (c.text or "") for t, c in zip(tags, children, strict=True) if t in _ENVELOPE}
    distribution_id, sender_id = fields["distributionID"], fields["senderID"]
    if not _ID.fullmatch(distribution_id) or not _SLUG.fullmatch(sender_id):
        raise MessageInvalid("distributionID or senderID is not an id of this federation")
    sent, expires = (
        _time("dateTimeSent", fields["dateTimeSent"]),
        _time("dateTimeExpires", fields["dateTimeExpires"]),
    )
    if not timedelta(0) < expires - sent <= MAX_LIFETIME:
        raise MessageInvalid(
            f"dateTimeExpires must come after dateTimeSent, by {_hours(MAX_LIFETIME)} at most"
        )
    status, kind = fields["distributionStatus"], fields["distributionKind"]
    if status not in STATUSES:
        raise MessageInvalid(f"distributionStatus: one of {', '.join(STATUSES)}")
    if kind not in KINDS:
        raise MessageInvalid(f"distributionKind: one of {', '.join(KINDS)}")
    recipient, circle = _descriptor(root.find(f"{{{EDXL_NS}}}descriptor"))
    cap = _embedded_cap(root.find(f"{{{EDXL_NS}}}content"))
    found = _read_cap(cap, kind)
    expected = {
        "identifier": distribution_id,
        "sender": sender_id,
        "sent": fields["dateTimeSent"],
        "status": status,
        "msgType": KINDS[kind],
        "scope": "Restricted",
    }
    wrong = [f"CAP {tag}" for tag, value in expected.items() if found.get(tag) != value]
    if wrong:
        raise MessageInvalid(f"{', '.join(wrong)} disagree(s) with the envelope (or scope is not Restricted)")
    if found.get("restriction") != restriction(sender_id, recipient):
        raise MessageInvalid("CAP restriction does not name this agreement")
    in_reply_to = in_reply_to_sender = None
    if kind != "Report":
        parts = _reference_parts(found.get("references", ""))
        if parts is None:
            raise MessageInvalid("CAP references: one 'sender,identifier,sent' entry")
        in_reply_to_sender, in_reply_to, _ = parts
        # the host answers (Ack, Update) the home's Report; the home cancels its own
        expected_sender = sender_id if kind == "Cancel" else recipient
        if in_reply_to_sender != expected_sender:
            raise MessageInvalid(f"CAP references of a {kind}: a message of {expected_sender}")
    elif "references" in found:
        raise MessageInvalid("a Report references nothing")
    alert, incident_status = _info(cap, kind, sender_id, circle)
    return Message(
        distribution_id=distribution_id,
        sender_id=sender_id,
        recipient_id=recipient,
        sent=sent,
        expires=expires,
        status=status,
        kind=kind,
        reference=f"{sender_id},{distribution_id},{fields['dateTimeSent']}",  # as Envelope.reference
        in_reply_to=in_reply_to,
        in_reply_to_sender=in_reply_to_sender,
        alert=alert,
        incident_status=incident_status,
        cap=ET.tostring(cap, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NS),
    )


def _parse(body: bytes) -> ET.Element:
    if len(body) > MAX_MESSAGE_BYTES:
        raise MessageInvalid(f"over {MAX_MESSAGE_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MessageInvalid("not UTF-8 XML") from None
    declaration = _DECLARATION.match(body)
    rest = text[len(declaration.group(0).decode()) :] if declaration else text.lstrip()
    # No DTD (so no entity of any kind, billion laughs included), no processing instruction, no comment, no
    # CDATA: this federation writes none, and the parser never gets to see one.
    if "<!" in rest or "<?" in rest:
        raise MessageInvalid("a DTD, entity, comment, CDATA or processing instruction: refused unparsed")
    try:
        root = ET.fromstring(body)  # noqa: S314 - signature verified; DTDs and entities refused above
    except ET.ParseError:
        raise MessageInvalid("not well-formed XML") from None
    # Iteratively, so a deep document is refused rather than overflowing a recursive walk later.
    level = [root]
    for _ in range(MAX_DEPTH):
        level = [child for element in level for child in element]
    if level:
        raise MessageInvalid(f"elements nested more than {MAX_DEPTH} deep")
    return root


def _local(element: ET.Element, ns: str) -> str:
    prefix = f"{{{ns}}}"
    return (
        element.tag[len(prefix) :] if isinstance(element.tag, str) and element.tag.startswith(prefix) else "?"
    )


def _time(name: str, text: str) -> datetime:
    if not _TIME.fullmatch(text):
        raise MessageInvalid(f"{name}: a dateTime with a numeric offset (YYYY-MM-DDThh:mm:ss±hh:mm)")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise MessageInvalid(f"{name}: not a date and time") from None


def _reference_parts(text: str) -> tuple[str, str, str] | None:
    parts = text.split(",")
    if len(parts) != 3 or " " in text or not _SLUG.fullmatch(parts[0]) or not _ID.fullmatch(parts[1]):
        return None
    if not _TIME.fullmatch(parts[2]):
        return None
    return parts[0], parts[1], parts[2]


def _descriptor(descriptor: ET.Element | None) -> tuple[str, tuple[float, float, float] | None]:
    if descriptor is None:
        raise MessageInvalid("EDXL-DE descriptor with the recipient's explicitAddress is missing")
    tags = [_local(c, EDXL_NS) for c in descriptor]
    if tags not in (["explicitAddress"], ["explicitAddress", "targetArea"]):
        raise MessageInvalid("EDXL-DE descriptor: explicitAddress, then optionally targetArea")
    address = descriptor[0]
    if [_local(c, EDXL_NS) for c in address] != ["explicitAddressScheme", "explicitAddressValue"]:
        raise MessageInvalid("explicitAddress: one explicitAddressScheme and one explicitAddressValue")
    if address[0].text != ADDRESS_SCHEME or not _SLUG.fullmatch(address[1].text or ""):
        raise MessageInvalid(f"explicitAddress: scheme {ADDRESS_SCHEME} and a city id")
    recipient = address[1].text or ""
    if len(descriptor) == 1:
        return recipient, None
    area = descriptor[1]
    try:
        (location,) = list(area)
        (shape,) = list(location)
        pos, radius = list(shape)
        assert location.tag == f"{{{GSF_NS}}}EDXLGeoLocation"
        assert shape.tag == f"{{{GML_NS}}}CircleByCenterPoint"
        assert (pos.tag, radius.tag) == (f"{{{GML_NS}}}pos", f"{{{GML_NS}}}radius")
        lat, lon = (float(v) for v in (pos.text or "").split())
        radius_m = float(radius.text or "")
    except (ValueError, AssertionError):
        raise MessageInvalid("targetArea: one gsf:EDXLGeoLocation with a gml:CircleByCenterPoint") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 <= radius_m <= 100_000):
        raise MessageInvalid("targetArea: a circle on the Earth")
    return recipient, (lat, lon, radius_m)


def _embedded_cap(content: ET.Element | None) -> ET.Element:
    try:
        assert content is not None
        (content_object,) = list(content)
        (content_xml,) = list(content_object)
        (embedded,) = list(content_xml)
        (cap,) = list(embedded)
        assert _local(content_object, EDXL_NS) == "contentObject"
        assert _local(content_xml, EDXL_NS) == "contentXML"
        assert _local(embedded, EDXL_NS) == "embeddedXMLContent"
    except (ValueError, AssertionError):
        raise MessageInvalid("content: one contentObject/contentXML/embeddedXMLContent") from None
    if cap.tag != f"{{{CAP_NS}}}alert":
        raise MessageInvalid("the embedded content is not a CAP 1.2 alert")
    return cap


def _read_cap(cap: ET.Element, kind: str) -> dict[str, str]:
    tags = [_local(c, CAP_NS) for c in cap]
    order = [t for t in _CAP_ALERT if t in tags]
    if tags != order or len(set(tags)) != len(tags):
        raise MessageInvalid(f"CAP alert elements {tags}: only {list(_CAP_ALERT)}, once each, in that order")
    problems = rule_problems(cap)
    if problems:
        raise MessageInvalid([f"CAP: {p}" for p in problems])
    wants_info = kind in ("Report", "Update")
    if ("info" in tags) != wants_info:
        raise MessageInvalid(f"CAP msgType for {kind}: {'one' if wants_info else 'no'} <info>")
    return {t: (c.text or "") for t, c in zip(tags, cap, strict=True) if t != "info"}


def _info(
    cap: ET.Element, kind: str, sender: str, circle: tuple[float, float, float] | None
) -> tuple[RoamingAlert | None, str | None]:
    info = cap.find(f"{{{CAP_NS}}}info")
    if info is None:
        return None, None
    tags = [_local(c, CAP_NS) for c in info]
    if any(t not in _CAP_INFO for t in tags):
        raise MessageInvalid(f"CAP info elements {tags}: only {list(_CAP_INFO)}")
    params: dict[str, str] = {}
    for parameter in info.iterfind(f"{{{CAP_NS}}}parameter"):
        name, value = (parameter.findtext(f"{{{CAP_NS}}}{t}") or "" for t in ("valueName", "value"))
        if name in params:
            raise MessageInvalid(f"CAP parameter {name} given twice")
        params[name] = value
    allowed = CAP_PARAMETERS if kind == "Report" else UPDATE_PARAMETERS
    if set(params) != {f"vigia:{p}" for p in allowed}:
        extra = sorted(set(params) - {f"vigia:{p}" for p in allowed})
        raise MessageInvalid(
            f"CAP parameters must be exactly {', '.join(allowed)} (vigia:); "
            f"a field this agreement does not carry: {', '.join(extra) or 'none, but one is missing'}"
        )
    if kind == "Update":
        status = params["vigia:status"]
        if status not in UPDATE_STATUSES or "area" in tags or "contact" in tags:
            raise MessageInvalid(f"an Update carries one status of {', '.join(UPDATE_STATUSES)} and no more")
        return None, status
    codes = [
        (c.findtext(f"{{{CAP_NS}}}valueName"), c.findtext(f"{{{CAP_NS}}}value"))
        for c in info.iterfind(f"{{{CAP_NS}}}eventCode")
    ]
    try:
        ((code_name, alert_type),) = codes
        assert code_name == "vigia:alert_type"
        alert = RoamingAlert(
            alert_id=params["vigia:alert_id"],
            alert_type=alert_type or "",
            type_label=info.findtext(f"{{{CAP_NS}}}event") or "",
            lat=circle[0] if circle else math.nan,
            lon=circle[1] if circle else math.nan,
            accuracy_m=float(params["vigia:accuracy_m"]),
            raised_at=_time("vigia:raised_at", params["vigia:raised_at"]),
            callback_phone=info.findtext(f"{{{CAP_NS}}}contact") or "",
            caller_name=params["vigia:caller_name"],
            home_city=params["vigia:home_city"],
        )
        # the same checks the builder makes: what a partner's code could not have built is refused
        roaming_alert(
            Envelope("check", sender, "x-check", alert.raised_at, alert.raised_at + timedelta(minutes=1)),
            **{f: getattr(alert, f) for f in ROAMING_FIELDS},
        )
    except (ValueError, AssertionError, TypeError) as exc:
        raise MessageInvalid(f"CAP info of a Report: {exc or 'one vigia:alert_type eventCode'}") from None
    if alert.home_city != sender or circle is None:
        raise MessageInvalid("a Report comes from its home city and has a targetArea")
    areas = info.findall(f"{{{CAP_NS}}}area")
    circles = [c.text or "" for area in areas for c in area.iterfind(f"{{{CAP_NS}}}circle")]
    if len(areas) != 1 or len(circles) != 1 or circles[0].split(" ")[0] != f"{circle[0]:.6f},{circle[1]:.6f}":
        raise MessageInvalid("CAP area: one circle around the envelope's targetArea")
    return alert, None
