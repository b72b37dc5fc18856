"""Synthetic residents for demos and load tests: plausible Godoy Cruz neighbours, reproducible from a seed."""

from __future__ import annotations

import bisect
import itertools
import random
import unicodedata
from dataclasses import dataclass

from vigia.city import Block, CityPack, LatLon

DEMO_COUNT = 3_000
FULL_SCALE_COUNT = 16_350  # registered users of Godoy Cruz's SAC

# Mendoza mobiles: +54 9 261 and a 7-digit local number; national ids (DNI) of living adults.
_PHONE_PREFIX = "+549261"
_PHONE_LOW, _PHONE_SPAN = 4_000_000, 3_000_000
_DNI_LOW, _DNI_SPAN = 14_000_000, 32_000_000
_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # reserved: never a real inbox

_GIVEN_FEMALE = (
    "María",
    "Ana",
    "Lucía",
    "Sofía",
    "Valentina",
    "Camila",
    "Florencia",
    "Agustina",
    "Julieta",
    "Martina",
    "Carolina",
    "Laura",
    "Gabriela",
    "Silvina",
    "Natalia",
    "Paula",
    "Romina",
    "Daniela",
    "Verónica",
    "Marcela",
    "Mariana",
    "Cecilia",
    "Graciela",
    "Susana",
    "Norma",
    "Alejandra",
    "Patricia",
    "Rocío",
    "Micaela",
    "Belén",
    "Milagros",
    "Josefina",
    "Emilia",
    "Catalina",
    "Victoria",
    "Andrea",
    "Soledad",
)
_GIVEN_MALE = (
    "Juan",
    "José",
    "Carlos",
    "Jorge",
    "Luis",
    "Miguel",
    "Diego",
    "Martín",
    "Pablo",
    "Facundo",
    "Matías",
    "Nicolás",
    "Gonzalo",
    "Sebastián",
    "Federico",
    "Lucas",
    "Santiago",
    "Tomás",
    "Franco",
    "Emiliano",
    "Leandro",
    "Hernán",
    "Gustavo",
    "Ricardo",
    "Roberto",
    "Sergio",
    "Marcelo",
    "Daniel",
    "Alejandro",
    "Fernando",
    "Raúl",
    "Héctor",
    "Ramiro",
    "Joaquín",
    "Agustín",
    "Ezequiel",
    "Mauricio",
)
_FAMILY = (
    "González",
    "Rodríguez",
    "Gómez",
    "Fernández",
    "López",
    "Díaz",
    "Martínez",
    "Pérez",
    "García",
    "Sánchez",
    "Romero",
    "Sosa",
    "Álvarez",
    "Torres",
    "Ruiz",
    "Ramírez",
    "Flores",
    "Acosta",
    "Benítez",
    "Medina",
    "Suárez",
    "Herrera",
    "Aguirre",
    "Pereyra",
    "Gutiérrez",
    "Giménez",
    "Molina",
    "Silva",
    "Castro",
    "Rojas",
    "Ortiz",
    "Núñez",
    "Luna",
    "Juárez",
    "Cabrera",
    "Ríos",
    "Ferreyra",
    "Godoy",
    "Morales",
    "Domínguez",
    "Moreno",
    "Peralta",
    "Vega",
    "Carrizo",
    "Quiroga",
    "Castillo",
    "Ledesma",
    "Muñoz",
    "Ojeda",
    "Ponce",
    "Vera",
    "Lucero",
    "Videla",
    "Guiñazú",
    "Funes",
    "Correa",
    "Coria",
    "Figueroa",
    "Páez",
    "Bustos",
    "Rossi",
    "Bianchi",
    "Ferrari",
    "Romano",
    "Bruno",
    "Russo",
    "Gallo",
    "Costa",
    "Lombardi",
    "Di Marco",
    "Scarpa",
    "Puebla",
    "Calderón",
    "Mercado",
    "Olguín",
    "Arce",
)


@dataclass(frozen=True)
class SyntheticResident:
    resident_id: str  # R-000001: the position in the generated list, stable across counts
    given_name: str
    family_name: str
    national_id: str  # DNI, 8 digits
    phone: str  # E.164
    email: str
    locale: str
    address: str
    block_id: str
    home_location: LatLon

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


def generate_residents(pack: CityPack, count: int = DEMO_COUNT, seed: int = 42) -> list[SyntheticResident]:
    """`count` residents spread over blocks by population; the same seed gives the same list.

    Resident i is the same whatever `count`, so the demo's 3,000 are the first 3,000 of the
    full-scale 16,350. National ids, phones and emails are unique; homes lie inside their block.
    """
    if count < 0 or count > min(_PHONE_SPAN, _DNI_SPAN):
        raise ValueError(f"count must be between 0 and {min(_PHONE_SPAN, _DNI_SPAN)}, got {count}")
    blocks = [block for block in pack.blocks.values() if block.population > 0] or list(pack.blocks.values())
    if not blocks:
        raise ValueError(f"the {pack.name} city pack has no blocks to place residents on")
    cumulative = list(itertools.accumulate(max(block.population, 1) for block in blocks))
    other_locales = [locale for locale in pack.locales if locale != pack.locale]
    phone_map = _Permutation(_PHONE_SPAN, random.Random(f"{seed}:phones"))
    dni_map = _Permutation(_DNI_SPAN, random.Random(f"{seed}:national-ids"))

    residents = []
    for index in range(count):
        rng = random.Random(f"{seed}:{index}")
        female = rng.random() < 0.52
        given_names = _GIVEN_FEMALE if female else _GIVEN_MALE
        given = rng.choice(given_names)
        if rng.random() < 0.25:
            second = rng.choice(given_names)
            given = f"{given} {second}" if second != given else given
        family = rng.choice(_FAMILY)
        if rng.random() < 0.12:
            family = f"{family} {rng.choice(_FAMILY)}"
        block = blocks[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]
        street = block.name.split(" y ")[0]
        address = f"{street} {rng.randint(1, 39) * 100 + rng.randint(0, 99)}"
        if rng.random() < 0.2:
            address += f", Dpto {rng.randint(1, 12)}"
        locale = rng.choice(other_locales) if other_locales and rng.random() < 0.03 else pack.locale
        residents.append(
            SyntheticResident(
                resident_id=f"R-{index + 1:06d}",
                given_name=given,
                family_name=family,
                national_id=f"{_DNI_LOW + dni_map(index):08d}",
                phone=f"{_PHONE_PREFIX}{_PHONE_LOW + phone_map(index)}",
                email=f"{_ascii(given.split()[0])}.{_ascii(family)}{index + 1}@{rng.choice(_EMAIL_DOMAINS)}",
                locale=locale,
                address=address,
                block_id=block.block_id,
                home_location=_point_inside(block, rng),
            )
        )
    return residents


class _Permutation:
    """A keyed bijection on range(n), so ids drawn for distinct residents never collide.

    A four-round Feistel network on the next even bit width, cycle-walked back into range: the
    values look random (no visible stride between neighbours) and need no table of used ids.
    """

    def __init__(self, n: int, rng: random.Random) -> None:
        bits = max(2, (n - 1).bit_length())
        bits += bits % 2
        self.n = n
        self.half = bits // 2
        self.mask = (1 << self.half) - 1
        self.keys = tuple(rng.getrandbits(32) for _ in range(4))

    def _scramble(self, value: int) -> int:
        left, right = value >> self.half, value & self.mask
        for key in self.keys:
            mixed = ((right ^ key) * 0x45D9F3B) & 0xFFFFFFFF
            left, right = right, left ^ ((mixed ^ (mixed >> 16)) & self.mask)
        return (left << self.half) | right

    def __call__(self, i: int) -> int:
        value = self._scramble(i)
        while value >= self.n:
            value = self._scramble(value)
        return value


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()).lower()


def _point_inside(block: Block, rng: random.Random) -> LatLon:
    """A uniform point inside the block (rejection sampling in its bounding box), 6 decimals."""
    box = block.polygon.bbox
    for _ in range(100):
        lat = round(rng.uniform(box.min_lat, box.max_lat), 6)
        lon = round(rng.uniform(box.min_lon, box.max_lon), 6)
        if block.polygon.contains(lat, lon):
            return LatLon(lat, lon)
    return block.centroid
