"""What the indicators need from the city pack: zones with their populations, alert types, thresholds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vigia.city import CityPack


@dataclass(frozen=True)
class TypeInfo:
    code: str
    silent: bool
    iccs: str | None  # UNODC ICCS code; None when the type is not a criminal act (a medical emergency)
    label: str = ""
    cap_category: str = "Security"
    cap_urgency: str = "Unknown"
    cap_severity: str = "Unknown"
    cap_certainty: str = "Unknown"


@dataclass(frozen=True)
class BlockInfo:
    block_id: str
    quadrant_id: str
    population: int
    name: str = ""
    ring: tuple[tuple[float, float], ...] = ()  # (lat, lon) of the block's outline, for the CAP feed


@dataclass(frozen=True)
class QuadrantInfo:
    quadrant_id: str
    population: int
    name: str = ""


@dataclass(frozen=True)
class Question:
    question_id: str
    scale: tuple[int, int]


@dataclass(frozen=True, eq=False)
class CityFrame:
    city_id: str
    name: str
    time_zone: str
    locale: str
    population: int
    small_cell_threshold: int
    response_target_s: int
    types: Mapping[str, TypeInfo] = field(hash=False)
    quadrants: Mapping[str, QuadrantInfo] = field(hash=False)
    blocks: Mapping[str, BlockInfo] = field(hash=False)
    questions: Mapping[str, Question] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    feed_sender: str = ""
    # What rates per 100,000 are per: the pack's population_source ({name, year, url?}), and the place's
    # official code ({scheme, value}); empty for a frame built without a pack (tests' tiny cities).
    population_source: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    official_code: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    def population_statement(self) -> dict[str, object]:
        """The population's source and the place's code, for an answer or a file that states rates."""
        statement: dict[str, object] = {}
        if self.population_source:
            statement["population_source"] = dict(self.population_source)
        if self.official_code:
            statement["official_code"] = dict(self.official_code)
        return statement

    def type_info(self, code: str, silent: bool = False) -> TypeInfo:
        """The pack's type, or a stand-in for a type the pack no longer lists (its ICCS code unknown)."""
        return self.types.get(code) or TypeInfo(code, silent, None, code)


def frame_from_pack(pack: CityPack) -> CityFrame:
    types = {
        code: TypeInfo(
            code=code,
            silent=t.silent,
            iccs=t.iccs,
            label=t.label(pack.locale),
            cap_category=t.cap.category,
            cap_urgency=t.cap.urgency,
            cap_severity=t.cap.severity,
            cap_certainty=t.cap.certainty,
        )
        for code, t in pack.alert_types.items()
    }
    blocks = {
        b.block_id: BlockInfo(
            b.block_id,
            b.quadrant_id,
            int(b.population),
            b.name,
            tuple((float(lat), float(lon)) for lon, lat in b.polygon.rings[0]) if b.polygon.rings else (),
        )
        for b in pack.blocks.values()
    }
    quadrants = {
        q.quadrant_id: QuadrantInfo(q.quadrant_id, int(q.population), q.name) for q in pack.quadrants.values()
    }
    questions = {
        q.question_id: Question(q.question_id, (int(q.scale[0]), int(q.scale[1])))
        for q in pack.perception_questions.values()
    }
    cad = pack.dispatch.provincial_cad
    return CityFrame(
        city_id=pack.city_id,
        name=pack.name,
        time_zone=pack.time_zone,
        locale=pack.locale,
        population=int(pack.population),
        small_cell_threshold=int(pack.settings.small_cell_threshold),
        response_target_s=int(pack.settings.response_target_s),
        types=MappingProxyType(types),
        quadrants=MappingProxyType(quadrants),
        blocks=MappingProxyType(blocks),
        questions=MappingProxyType(questions),
        feed_sender=cad.sender if cad else f"vigia-{pack.city_id}",
        population_source=MappingProxyType(
            {
                key: value
                for key, value in (
                    ("name", pack.population_source.name),
                    ("year", pack.population_source.year),
                    ("url", pack.population_source.url),
                )
                if value is not None
            }
        ),
        official_code=MappingProxyType(
            {"scheme": pack.official_code.scheme, "value": pack.official_code.value}
        ),
    )
