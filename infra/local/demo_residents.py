"""Synthetic residents for demos and load tests: plausible neighbours of the pack's country (Argentine in
Godoy Cruz, Chilean in Peñalolén), reproducible from a seed."""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from vigia.city import Block, CityPack, LatLon
from vigia.residents.national_id import rut_check_digit

DEMO_COUNT = 3_000
FULL_SCALE_COUNT = 16_350  # registered users of Godoy Cruz's SAC

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

_CHILEAN_FEMALE = (
    "María José",
    "Catalina",
    "Constanza",
    "Javiera",
    "Valentina",
    "Francisca",
    "Camila",
    "Fernanda",
    "Daniela",
    "Carolina",
    "Paula",
    "Macarena",
    "Antonia",
    "Isidora",
    "Josefa",
    "Trinidad",
    "Sofía",
    "Martina",
    "Florencia",
    "Bárbara",
    "Pía",
    "Ximena",
    "Paulina",
    "Claudia",
    "Patricia",
    "Verónica",
    "Marcela",
    "Andrea",
    "Carla",
    "Gabriela",
    "Natalia",
    "Pamela",
    "Lorena",
    "Karina",
    "Viviana",
    "Soledad",
    "Consuelo",
    "Amanda",
    "Agustina",
)
_CHILEAN_MALE = (
    "José",
    "Benjamín",
    "Vicente",
    "Matías",
    "Sebastián",
    "Diego",
    "Felipe",
    "Cristóbal",
    "Tomás",
    "Ignacio",
    "Nicolás",
    "Joaquín",
    "Maximiliano",
    "Agustín",
    "Martín",
    "Francisco",
    "Rodrigo",
    "Gonzalo",
    "Cristián",
    "Claudio",
    "Mauricio",
    "Patricio",
    "Héctor",
    "Luis",
    "Jorge",
    "Carlos",
    "Manuel",
    "Pedro",
    "Andrés",
    "Alejandro",
    "Esteban",
    "Álvaro",
    "Renato",
    "Bastián",
    "Fabián",
    "Juan Pablo",
    "Marcelo",
    "Osvaldo",
)
_CHILEAN_FAMILY = (
    "González",
    "Muñoz",
    "Rojas",
    "Díaz",
    "Pérez",
    "Soto",
    "Contreras",
    "Silva",
    "Martínez",
    "Sepúlveda",
    "Morales",
    "Rodríguez",
    "López",
    "Fuentes",
    "Hernández",
    "Torres",
    "Araya",
    "Flores",
    "Espinoza",
    "Valenzuela",
    "Castillo",
    "Tapia",
    "Reyes",
    "Gutiérrez",
    "Castro",
    "Pizarro",
    "Álvarez",
    "Vásquez",
    "Sánchez",
    "Fernández",
    "Ramírez",
    "Carrasco",
    "Gómez",
    "Cortés",
    "Herrera",
    "Núñez",
    "Jara",
    "Vergara",
    "Rivera",
    "Figueroa",
    "Riquelme",
    "García",
    "Miranda",
    "Bravo",
    "Vera",
    "Molina",
    "Vega",
    "Campos",
    "Sandoval",
    "Orellana",
    "Cárdenas",
    "Olivares",
    "Alarcón",
    "Gallardo",
    "Ortiz",
    "Garrido",
    "Salazar",
    "Guzmán",
    "Henríquez",
    "Saavedra",
    "Navarro",
    "Aguilera",
    "Parra",
    "Romero",
    "Aravena",
    "Vargas",
    "Vidal",
    "Cáceres",
    "Yáñez",
    "Leiva",
    "Escobar",
    "Ruiz",
    "Valdés",
    "Poblete",
    "Zúñiga",
    "Mella",
    "Pino",
    "Bustos",
    "Quezada",
    "Acuña",
    "Lagos",
    "Pacheco",
    "Toro",
    "Ulloa",
    "Maldonado",
    "Zamorano",
    "Cid",
    "Undurraga",
    "Larraín",
    "Errázuriz",
    "Huenchumilla",
    "Painemal",
    "Catrileo",
)


def _dni(number: int) -> str:
    """An Argentine DNI as residents type it: 8 digits."""
    return f"{number:08d}"


def _rut(body: int) -> str:
    """A Chilean RUT as the API stores one (vigia.residents.national_id: no dots, a dash): 12345678-5."""
    return f"{body}-{rut_check_digit(str(body))}"


@dataclass(frozen=True)
class Demography:
    """How a country's residents look in the demo: names, national ids, mobile numbers, flats."""

    given_female: tuple[str, ...]
    given_male: tuple[str, ...]
    family: tuple[str, ...]
    two_family_names: float  # share of people written with both surnames
    national_id: Callable[[int], str]  # from a number drawn in [id_low, id_low + id_span)
    id_low: int
    id_span: int
    phone_prefix: str  # E.164 up to the subscriber digits drawn
    phone_low: int
    phone_span: int
    flat: str  # how an address names a flat
    demo_user_phone: str  # the demo sign-ins' numbers, `{n}` their index (infra/local/seed.py)
    demo_national_id: int  # the demo citizen's, passed through national_id


DEMOGRAPHY = {
    # Mendoza mobiles: +54 9 261 and a 7-digit local number; national ids (DNI) of living adults.
    "AR": Demography(
        _GIVEN_FEMALE,
        _GIVEN_MALE,
        _FAMILY,
        0.12,
        _dni,
        14_000_000,
        32_000_000,
        "+549261",
        4_000_000,
        3_000_000,
        "Dpto",
        "+54926155{n:05d}",
        30_111_222,
    ),
    # Chilean mobiles: +56 9 and 8 digits (national: no area code); RUTs of living adults, with check digit;
    # most Chileans write both surnames (paternal, maternal).
    "CL": Demography(
        _CHILEAN_FEMALE,
        _CHILEAN_MALE,
        _CHILEAN_FAMILY,
        0.85,
        _rut,
        6_000_000,
        20_000_000,
        "+569",
        40_000_000,  # +56 9 40… to 9 67…: blocks libphonenumber holds valid throughout
        28_000_000,
        "depto",
        "+5698555{n:04d}",  # outside the residents' +569 4…6 range
        5_111_222,  # below the residents' RUTs
    ),
}


def demography(country_code: str) -> Demography:
    """The pack's country's; another country gets Argentine names and ids and its own mobile numbers
    (libphonenumber's example mobile with the last six digits drawn), enough for a demo."""
    known = DEMOGRAPHY.get(country_code)
    if known is not None:
        return known
    import phonenumbers

    example = phonenumbers.example_number_for_type(country_code, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        raise ValueError(f"no mobile numbering plan known for country {country_code!r}")
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    return dataclasses.replace(
        DEMOGRAPHY["AR"],
        phone_prefix=e164[:-6],
        phone_low=0,
        phone_span=1_000_000,
        demo_user_phone=e164[:-6] + "99{n:04d}",
    )


@dataclass(frozen=True)
class SyntheticResident:
    resident_id: str  # R-000001: the position in the generated list, stable across counts
    given_name: str
    family_name: str
    national_id: str  # the country's: DNI (8 digits) in Argentina, RUT with its check digit in Chile
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
    full-scale 16,350. National ids, phones and emails are unique; homes lie inside their block. Names, ids,
    mobile numbers and addresses are of the pack's country (`demography`).
    """
    people = demography(pack.country_code)
    if count < 0 or count > min(people.phone_span, people.id_span):
        raise ValueError(f"count must be between 0 and {min(people.phone_span, people.id_span)}, got {count}")
    blocks = [block for block in pack.blocks.values() if block.population > 0] or list(pack.blocks.values())
    if not blocks:
        raise ValueError(f"the {pack.name} city pack has no blocks to place residents on")
    cumulative = list(itertools.accumulate(max(block.population, 1) for block in blocks))
    other_locales = [locale for locale in pack.locales if locale != pack.locale]
    phone_map = _Permutation(people.phone_span, random.Random(f"{seed}:phones"))
    id_map = _Permutation(people.id_span, random.Random(f"{seed}:national-ids"))
    phone_digits = len(str(people.phone_low + people.phone_span - 1))

    residents = []
    for index in range(count):
        rng = random.Random(f"{seed}:{index}")
        female = rng.random() < 0.52
        given_names = people.given_female if female else people.given_male
        given = rng.choice(given_names)
        if rng.random() < 0.25:
            second = rng.choice(given_names)
            given = f"{given} {second}" if second != given else given
        family = rng.choice(people.family)
        if rng.random() < people.two_family_names:
            family = f"{family} {rng.choice(people.family)}"
        block = blocks[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]
        street = block.name.split(" y ")[0]
        address = f"{street} {rng.randint(1, 39) * 100 + rng.randint(0, 99)}"
        if rng.random() < 0.2:
            address += f", {people.flat} {rng.randint(1, 12)}"
        locale = rng.choice(other_locales) if other_locales and rng.random() < 0.03 else pack.locale
        residents.append(
            SyntheticResident(
                resident_id=f"R-{index + 1:06d}",
                given_name=given,
                family_name=family,
                national_id=people.national_id(people.id_low + id_map(index)),
                phone=f"{people.phone_prefix}{people.phone_low + phone_map(index):0{phone_digits}d}",
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
