"""CAP 1.2 (OASIS Common Alerting Protocol) messages for other agencies: an alert, and its cancellation."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CONTENT_TYPE = "application/cap+xml"
MIN_RADIUS_KM = 0.05  # a GPS fix is never a point: 50 m at least


@dataclass(frozen=True)
class CapArea:
    description: str
    polygon: tuple[tuple[float, float], ...] = ()  # (lat, lon), closed: first == last, ≥ 4 points
    circles: tuple[tuple[float, float, float], ...] = ()  # (lat, lon, radius km)


@dataclass(frozen=True)
class CapInfo:
    language: str
    category: str
    event: str
    urgency: str
    severity: str
    certainty: str
    sender_name: str
    headline: str
    description: str
    event_codes: tuple[tuple[str, str], ...] = ()
    parameters: tuple[tuple[str, str], ...] = ()
    instruction: str | None = None
    contact: str | None = None
    areas: tuple[CapArea, ...] = ()


@dataclass(frozen=True)
class CapMessage:
    identifier: str
    sender: str
    sent: datetime
    msg_type: str  # Alert | Update | Cancel
    scope: str  # Public | Restricted | Private
    status: str = "Actual"
    restriction: str | None = None
    addresses: tuple[str, ...] = ()
    note: str | None = None
    references: tuple[str, ...] = ()
    info: tuple[CapInfo, ...] = field(default=())


def cap_time(instant: datetime, time_zone: str) -> str:
    """CAP's dateTime: local time with a numeric offset; "Z" is not allowed and UTC is written -00:00."""
    local = instant.astimezone(ZoneInfo(time_zone)).replace(microsecond=0)
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes <= 0 else "+"
    hh, mm = divmod(abs(minutes), 60)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{hh:02d}:{mm:02d}"


def reference(sender: str, identifier: str, sent: str) -> str:
    """One entry of <references>: the earlier message as "sender,identifier,sent"."""
    return f"{sender},{identifier},{sent}"


def _point(lat: float, lon: float) -> str:
    return f"{lat:.6f},{lon:.6f}"


# What XML 1.0 cannot carry (§2.2 Char): C0 controls but tab, LF and CR; lone surrogates; U+FFFE, U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """`text` with each character XML 1.0 forbids replaced by U+FFFD.

    The API refuses such text at the door, but a record stored before that rule (or by another path) must
    not make every CAP message about its resident invalid, and dead-lettered for ever.
    """
    return _NOT_XML.sub("\ufffd", text)


def _add(parent: ET.Element, tag: str, text: str | None) -> None:
    if text is not None and text != "":
        ET.SubElement(parent, f"{{{CAP_NS}}}{tag}").text = xml_text(text)


def to_xml(message: CapMessage, time_zone: str) -> bytes:
    """The message as a UTF-8 CAP 1.2 document, elements in the order the schema requires."""
    root = ET.Element(f"{{{CAP_NS}}}alert")
    for tag, text in (
        ("identifier", message.identifier),
        ("sender", message.sender),
        ("sent", cap_time(message.sent, time_zone)),
        ("status", message.status),
        ("msgType", message.msg_type),
        ("scope", message.scope),
        ("restriction", message.restriction),
        ("addresses", " ".join(_quoted(a) for a in message.addresses) or None),
        ("note", message.note),
        ("references", " ".join(message.references) or None),
    ):
        _add(root, tag, text)
    for info in message.info:
        element = ET.SubElement(root, f"{{{CAP_NS}}}info")
        _add(element, "language", info.language)
        _add(element, "category", info.category)
        _add(element, "event", info.event)
        for tag, text in (
            ("urgency", info.urgency),
            ("severity", info.severity),
            ("certainty", info.certainty),
        ):
            _add(element, tag, text)
        _pairs(element, "eventCode", info.event_codes)
        for tag, text in (
            ("senderName", info.sender_name),
            ("headline", info.headline[:160]),
            ("description", info.description),
            ("instruction", info.instruction),
            ("contact", info.contact),
        ):
            _add(element, tag, text)
        _pairs(element, "parameter", info.parameters)
        for area in info.areas:
            area_element = ET.SubElement(element, f"{{{CAP_NS}}}area")
            _add(area_element, "areaDesc", area.description)
            if area.polygon:
                _add(area_element, "polygon", " ".join(_point(lat, lon) for lat, lon in area.polygon))
            for lat, lon, radius in area.circles:
                _add(area_element, "circle", f"{_point(lat, lon)} {radius:.3f}")
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NS)
    return body


def _pairs(parent: ET.Element, tag: str, pairs: Sequence[tuple[str, str]]) -> None:
    for name, value in pairs:
        element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
        _add(element, "valueName", name)
        _add(element, "value", value)


def _quoted(address: str) -> str:
    return f'"{address}"' if " " in address else address


def closed_ring(points: Sequence[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """A CAP polygon from (lat, lon) points: closed, and empty if fewer than three distinct corners."""
    ring = list(points)
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    return tuple(ring) if len(ring) >= 4 else ()


def parse(body: bytes) -> ET.Element:
    """The root element of a CAP document (the fake CAD and tests read what was sent)."""
    return ET.fromstring(body)  # noqa: S314 - our own output or a test's, never untrusted input


def rule_problems(root: ET.Element) -> list[str]:
    """The CAP 1.2 rules its text states but the XML schema cannot (scope, references, closed polygons)."""
    ns = {"cap": CAP_NS}
    problems = []
    scope = root.findtext("cap:scope", namespaces=ns)
    if scope == "Restricted" and not root.findtext("cap:restriction", namespaces=ns):
        problems.append("scope Restricted needs a <restriction>")
    if scope == "Private" and not root.findtext("cap:addresses", namespaces=ns):
        problems.append("scope Private needs <addresses>")
    if root.findtext("cap:msgType", namespaces=ns) in (
        "Update",
        "Cancel",
        "Ack",
        "Error",
    ) and not root.findtext("cap:references", namespaces=ns):
        problems.append("an Update, Cancel, Ack or Error needs <references>")
    for polygon in root.iterfind(".//cap:area/cap:polygon", ns):
        pairs = (polygon.text or "").split()
        if pairs and pairs[0] != pairs[-1]:
            problems.append("a <polygon> must end where it starts")
    return problems
