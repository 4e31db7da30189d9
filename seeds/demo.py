"""Demo data (SPEC §8): users for every role and a deterministic caseload per organisation.

The caseload is written with bulk inserts of plain rows, not ORM objects, so that tens of
thousands of clients per organisation take minutes, not hours. Ids are computed here; on
PostgreSQL the id sequences are moved past them afterwards.
"""

# German typography (en dash) and Cyrillic letters in names are intended.

from __future__ import annotations

import bisect
import datetime as dt
import random
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast
from zoneinfo import ZoneInfo

from faker import Faker
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from models import (
    Barrier,
    BarrierCategory,
    Case,
    Client,
    Contact,
    NumberSequence,
    Organisation,
    Partner,
    Referral,
    Topic,
    User,
    case_topic,
)
from models.choices import (
    BarrierStatus,
    BenefitsDomain,
    CasePhase,
    ClosureReason,
    ContactKind,
    Gender,
    ReferralStatus,
    ResidenceStatus,
    Role,
)
from models.referral import default_follow_up
from models.user import PASSWORD_HASH_METHOD
from seeds import catalogue as cat
from seeds.catalogue import seed_catalogue

Row = dict[str, Any]

CHUNK_SIZE = 5000
# Intake dates reach back about two and a half years.
HISTORY_DAYS = 913
BERLIN = ZoneInfo("Europe/Berlin")
DEFAULT_PASSWORD = "kim-demo-2026"  # noqa: S105 - the documented demo password (SPEC §8)


class SeedRefused(RuntimeError):  # noqa: N818 - the name the CLI and the brief use
    """The demo seed only runs on a database without users."""

    def __init__(
        self,
        message: str = (
            "Die Datenbank enthält bereits Benutzer*innen; "
            "der Demo-Seed läuft nur auf einer leeren Datenbank."
        ),
    ) -> None:
        super().__init__(message)


@dataclass
class SeedSummary:
    """How many rows the demo seed wrote, by kind."""

    organisations: int = 0
    users: int = 0
    barrier_categories: int = 0
    topics: int = 0
    partners: int = 0
    clients: int = 0
    cases: int = 0
    case_topics: int = 0
    contacts: int = 0
    barriers: int = 0
    referrals: int = 0


# --------------------------------------------------------------------------------------------
# Small deterministic helpers


T = TypeVar("T")


class Weighted(Generic[T]):
    """A fixed weighted choice, drawn in O(log n) from a ``random.Random``."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cumulative: list[float] = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def _day_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A day from ``start`` to ``end`` inclusive; ``start`` if the range is empty."""
    span = (end - start).days
    return start if span <= 0 else start + dt.timedelta(days=rng.randint(0, span))


def _stamp(rng: random.Random, day: dt.date) -> dt.datetime:
    """An aware UTC timestamp on ``day`` within office hours."""
    return dt.datetime.combine(
        day, dt.time(rng.randint(7, 15), rng.randint(0, 59), rng.randint(0, 59)), tzinfo=dt.UTC
    )


def _working_day(day: dt.date) -> dt.date:
    """Move a weekend day back to the Friday before."""
    return day - dt.timedelta(days=day.weekday() - 4) if day.weekday() >= 5 else day


_ASCII_EXTRA = str.maketrans(
    {"ı": "i", "ß": "ss", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "æ": "ae", "ə": "e"}
)


def _ascii_fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.translate(_ASCII_EXTRA))
    return "".join(
        char for char in decomposed if char.isascii() and (char.isalnum() or char == "-")
    )


# Passport-style transliteration of Cyrillic names (Ukrainian KMU 2010, Russian ICAO,
# Bulgarian 2009), as the names appear on German documents.
_CYRILLIC_COMMON = {
    "а": "a",
    "б": "b",
    "в": "v",
    "д": "d",
    "е": "e",
    "з": "z",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
}
_TRANSLITERATION: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    # language: (letters anywhere, letters at the start of a word)
    "uk": (
        _CYRILLIC_COMMON
        | {"г": "h", "ґ": "g", "є": "ie", "ж": "zh", "и": "y", "і": "i", "ї": "i", "й": "i"}
        | {"х": "kh", "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "'": "", "’": ""},
        {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"},
    ),
    "ru": (
        _CYRILLIC_COMMON
        | {"г": "g", "ё": "e", "ж": "zh", "и": "i", "й": "i", "х": "kh", "щ": "shch"}
        | {"ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia"},
        {},
    ),
    "bg": (
        _CYRILLIC_COMMON
        | {"г": "g", "ж": "zh", "и": "i", "й": "y", "х": "h", "щ": "sht", "ъ": "a", "ь": "y"}
        | {"ю": "yu", "я": "ya"},
        {},
    ),
}


def transliterate(name: str, language: str) -> str:
    """Latin spelling of a Cyrillic name, e.g. ``Ганна Іщенко`` → ``Hanna Ishchenko``."""
    anywhere, initial = _TRANSLITERATION[language]
    out: list[str] = []
    at_start = True
    for char in name:
        lower = char.lower()
        latin = (initial.get(lower) if at_start else None) or anywhere.get(lower)
        if latin is None:
            out.append(char)
        elif char != lower and latin:
            out.append(latin[0].upper() + latin[1:])
        else:
            out.append(latin)
        at_start = not char.isalpha()
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Names


@dataclass(frozen=True)
class NamePool:
    first_female: tuple[str, ...]
    first_male: tuple[str, ...]
    last_female: tuple[str, ...]
    last_male: tuple[str, ...]

    def pick(self, rng: random.Random, female: bool) -> tuple[str, str]:
        if female:
            return rng.choice(self.first_female), rng.choice(self.last_female)
        return rng.choice(self.first_male), rng.choice(self.last_male)

    def transliterated(self, language: str) -> NamePool:
        def latin(names: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(transliterate(name, language) for name in names)

        return NamePool(
            latin(self.first_female),
            latin(self.first_male),
            latin(self.last_female),
            latin(self.last_male),
        )


def _hand_pool(female: str, male: str, last: str) -> NamePool:
    surnames = tuple(last.split(","))
    return NamePool(tuple(female.split(",")), tuple(male.split(",")), surnames, surnames)


def _faker_pool(locale: str, seed: int, size: int = 120) -> NamePool:
    """Distinct names drawn from a seeded Faker locale."""
    fake = Faker(locale)
    fake.seed_instance(seed)

    def draw(generate: Any) -> tuple[str, ...]:
        names: dict[str, None] = {}
        for _ in range(size * 3):
            name = generate().strip()
            if name and "(" not in name and not any(char.isdigit() for char in name):
                names.setdefault(name, None)
            if len(names) == size:
                break
        return tuple(names)

    return NamePool(
        draw(fake.first_name_female),
        draw(fake.first_name_male),
        draw(fake.last_name_female),
        draw(fake.last_name_male),
    )


# Hand lists where Faker has no locale, or where the Latin spelling of German records is wanted.
ARABIC_LATIN = _hand_pool(
    "Fatima,Aya,Amina,Rama,Nour,Hiba,Rasha,Lina,Dima,Yasmin,Maryam,Sara,Hala,Reem,Salma,Zainab,"
    "Huda,Rania,Ghada,Layla,Asmaa,Bushra,Rahaf,Sidra,Nisreen",
    "Mohammad,Ahmad,Mahmoud,Khaled,Omar,Ali,Hassan,Hussein,Yousef,Ibrahim,Mustafa,Abdullah,"
    "Karim,Rami,Samer,Bilal,Tarek,Walid,Amjad,Fadi,Anas,Majd,Hamza,Obada,Zaid",
    "Al-Hassan,Al-Ahmad,Haddad,Khalil,Mansour,Darwish,Hamdan,Kassem,Nasser,Saleh,Othman,Ibrahim,"
    "Youssef,Al-Khatib,Al-Masri,Hamoud,Al-Hussein,Abdo,Sulaiman,Al-Ali,Jaber,Najjar,Shaker,Aziz,"
    "Al-Jasem,Alhamwi,Kurdi,Al-Obeid,Hallak,Sabbagh",
)
KURDISH_LATIN = _hand_pool(
    "Berivan,Dilan,Rojin,Hêvî,Nareen,Zozan,Sozdar,Evîn,Jiyan,Nesrin,Gulistan,Ronahî,Sîdar,Delal",
    "Azad,Dilshad,Rezan,Baran,Serhat,Hozan,Shiar,Rojhat,Welat,Kawa,Dildar,Aram,Sherwan,Berzan",
    "Hasso,Sheikhmous,Osman,Ali,Haji,Bakr,Hamo,Sulaiman,Murad,Khalaf,Ibrahim,Mahmo,Omar,Rasho,"
    "Sido,Hussein,Qasim,Nabo",
)
AFGHAN_LATIN = _hand_pool(
    "Zahra,Fatima,Mariam,Soraya,Nazanin,Shabnam,Freshta,Mursal,Parwana,Sahar,Mahbooba,Nilofar,"
    "Marzia,Zarghona,Hosai,Laila,Farzana,Roya,Tamana,Gulalai",
    "Ahmad,Mohammad,Farid,Hamid,Mustafa,Ali,Rahmatullah,Jawad,Naweed,Sayed,Habib,Ajmal,Bilal,"
    "Qasim,Omid,Samiullah,Zabiullah,Nasir,Khalid,Wahid",
    "Ahmadi,Rahimi,Karimi,Hashimi,Noori,Sultani,Popal,Wardak,Stanekzai,Haidari,Amiri,Qaderi,"
    "Sadat,Rezai,Hussaini,Mohammadi,Jafari,Azizi,Safi,Nazari,Sharifi,Yousufzai,Mansoori,Barakzai",
)
PERSIAN_LATIN = _hand_pool(
    "Sara,Maryam,Zahra,Fatemeh,Narges,Shirin,Parisa,Leila,Mahsa,Niloufar,Azadeh,Roya,Samira,"
    "Golnar,Elham,Mina,Yasaman,Bahar",
    "Reza,Ali,Mohammad,Mehdi,Hossein,Amir,Saeed,Hamed,Behnam,Kaveh,Arash,Babak,Farhad,Omid,Nima,"
    "Pouya,Sina,Navid",
    "Hosseini,Mohammadi,Rezaei,Ahmadi,Karimi,Moradi,Jafari,Rahimi,Kazemi,Sadeghi,Ebrahimi,"
    "Ghasemi,Tehrani,Farahani,Shirazi,Esfahani,Najafi,Soltani,Bagheri,Mousavi",
)
ERITREAN_LATIN = _hand_pool(
    "Senait,Helen,Selam,Luwam,Saba,Feven,Rahwa,Winta,Yohana,Merhawit,Tsega,Semhar,Eden,Ruta,"
    "Hiwet,Salina",
    "Filmon,Kidane,Tekle,Mebrahtu,Haile,Semere,Aron,Yohannes,Dawit,Biniam,Samuel,Tesfalem,"
    "Henok,Robel,Amanuel,Mussie",
    "Tesfamariam,Gebremedhin,Habte,Tekle,Berhane,Kidane,Woldemichael,Asmerom,Mehari,Haile,"
    "Tesfay,Yohannes,Ghirmay,Andemariam,Abraha,Weldu,Gebreslassie,Negash",
)
GUINEAN_LATIN = _hand_pool(
    "Mariama,Fatoumata,Aissatou,Kadiatou,Hawa,Mariame,Oumou,Binta,Hadja,Djenabou,Saran,Nènè",
    "Mamadou,Alpha,Ibrahima,Ousmane,Abdoulaye,Thierno,Amadou,Boubacar,Sekou,Lansana,Mohamed,"
    "Souleymane",
    "Diallo,Barry,Bah,Sow,Camara,Condé,Sylla,Touré,Baldé,Keita,Soumah,Kouyaté,Cissé,Doumbouya,"
    "Kaba,Kourouma",
)
MOROCCAN_LATIN = _hand_pool(
    "Khadija,Fatima-Zahra,Imane,Salma,Naima,Loubna,Hajar,Samira,Siham,Meryem,Nadia,Souad",
    "Mohamed,Youssef,Hamza,Karim,Rachid,Said,Mustapha,Noureddine,Abdelkader,Soufiane,Ayoub,Khalid",
    "El Amrani,Benali,Bouzid,El Idrissi,Alaoui,Bennani,Ouahbi,Azzouzi,Tahiri,El Khattabi,"
    "Chaoui,Berrada,El Fassi,Ouali,Ziani,Boukhari",
)


@dataclass(frozen=True)
class Origin:
    """A country of origin with the names, languages and statuses typical of its caseload."""

    country: str
    weight: float
    names: Weighted[NamePool]
    languages: Weighted[str]
    residence: Weighted[ResidenceStatus]
    interpreter_share: float
    # The earliest plausible arrival in Germany, relative to the seed's ``today``.
    arrival_years_back: int = 10
    arrival_not_before: dt.date | None = None


R = ResidenceStatus


def _origins(seed: int) -> list[Origin]:
    pools = {
        locale: _faker_pool(locale, seed + offset)
        for offset, locale in enumerate(
            (
                "ar_AA",
                "uk_UA",
                "ru_RU",
                "tr_TR",
                "fa_IR",
                "vi_VN",
                "pl_PL",
                "ro_RO",
                "bg_BG",
                "en_NG",
                "yo_NG",
                "ig_NG",
                "ha_NG",
            )
        )
    }
    ukrainian, russian, bulgarian = pools["uk_UA"], pools["ru_RU"], pools["bg_BG"]
    return [
        Origin(
            "SY",
            16,
            Weighted([(pools["ar_AA"], 35), (ARABIC_LATIN, 45), (KURDISH_LATIN, 20)]),
            Weighted(
                [
                    ("Arabisch", 70),
                    ("Arabisch, Kurdisch (Kurmandschi)", 20),
                    ("Arabisch, Englisch", 10),
                ]
            ),
            Weighted(
                [
                    (R.HUMANITARIAN, 45),
                    (R.SETTLEMENT, 15),
                    (R.PERMISSION_TO_REMAIN, 12),
                    (R.FAMILY, 15),
                    (R.GERMAN_CITIZEN, 8),
                    (R.TOLERATION, 5),
                ]
            ),
            0.45,
        ),
        Origin(
            "UA",
            16,
            Weighted([(ukrainian, 40), (ukrainian.transliterated("uk"), 60)]),
            Weighted([("Ukrainisch, Russisch", 60), ("Ukrainisch", 30), ("Russisch", 10)]),
            Weighted(
                [
                    (R.TEMPORARY_PROTECTION, 85),
                    (R.SETTLEMENT, 3),
                    (R.WORK_STUDY, 5),
                    (R.FAMILY, 4),
                    (R.UNCLEAR, 3),
                ]
            ),
            0.55,
            arrival_not_before=dt.date(2022, 2, 24),
        ),
        Origin(
            "AF",
            10,
            Weighted([(AFGHAN_LATIN, 1)]),
            Weighted([("Dari", 55), ("Paschtu", 20), ("Dari, Paschtu", 20), ("Dari, Englisch", 5)]),
            Weighted(
                [
                    (R.PERMISSION_TO_REMAIN, 30),
                    (R.HUMANITARIAN, 35),
                    (R.TOLERATION, 15),
                    (R.FAMILY, 10),
                    (R.UNCLEAR, 10),
                ]
            ),
            0.6,
        ),
        Origin(
            "IQ",
            8,
            Weighted([(pools["ar_AA"], 25), (ARABIC_LATIN, 35), (KURDISH_LATIN, 40)]),
            Weighted(
                [
                    ("Arabisch", 40),
                    ("Kurdisch (Kurmandschi)", 25),
                    ("Kurdisch (Sorani)", 20),
                    ("Arabisch, Kurdisch (Sorani)", 15),
                ]
            ),
            Weighted(
                [
                    (R.HUMANITARIAN, 30),
                    (R.PERMISSION_TO_REMAIN, 20),
                    (R.TOLERATION, 20),
                    (R.SETTLEMENT, 15),
                    (R.FAMILY, 10),
                    (R.UNCLEAR, 5),
                ]
            ),
            0.5,
        ),
        Origin(
            "TR",
            9,
            Weighted([(pools["tr_TR"], 80), (KURDISH_LATIN, 20)]),
            Weighted([("Türkisch", 75), ("Türkisch, Kurdisch (Kurmandschi)", 25)]),
            Weighted(
                [
                    (R.PERMISSION_TO_REMAIN, 30),
                    (R.FAMILY, 30),
                    (R.WORK_STUDY, 20),
                    (R.SETTLEMENT, 15),
                    (R.GERMAN_CITIZEN, 5),
                ]
            ),
            0.35,
            arrival_years_back=15,
        ),
        Origin(
            "ER",
            4,
            Weighted([(ERITREAN_LATIN, 1)]),
            Weighted([("Tigrinya", 80), ("Tigrinya, Arabisch", 10), ("Tigrinya, Englisch", 10)]),
            Weighted(
                [
                    (R.HUMANITARIAN, 50),
                    (R.PERMISSION_TO_REMAIN, 20),
                    (R.FAMILY, 20),
                    (R.SETTLEMENT, 10),
                ]
            ),
            0.6,
        ),
        Origin(
            "IR",
            5,
            Weighted([(pools["fa_IR"], 35), (PERSIAN_LATIN, 65)]),
            Weighted([("Persisch (Farsi)", 75), ("Persisch (Farsi), Englisch", 25)]),
            Weighted(
                [
                    (R.PERMISSION_TO_REMAIN, 30),
                    (R.HUMANITARIAN, 30),
                    (R.WORK_STUDY, 20),
                    (R.FAMILY, 10),
                    (R.TOLERATION, 10),
                ]
            ),
            0.4,
        ),
        Origin(
            "NG",
            4,
            Weighted(
                [
                    (pools["en_NG"], 30),
                    (pools["yo_NG"], 25),
                    (pools["ig_NG"], 25),
                    (pools["ha_NG"], 20),
                ]
            ),
            Weighted(
                [
                    ("Englisch, Yoruba", 35),
                    ("Englisch, Igbo", 30),
                    ("Englisch, Hausa", 20),
                    ("Englisch", 15),
                ]
            ),
            Weighted(
                [
                    (R.PERMISSION_TO_REMAIN, 30),
                    (R.TOLERATION, 35),
                    (R.WORK_STUDY, 20),
                    (R.FAMILY, 15),
                ]
            ),
            0.15,
        ),
        Origin(
            "GN",
            3,
            Weighted([(GUINEAN_LATIN, 1)]),
            Weighted(
                [
                    ("Französisch, Fulfulde (Pular)", 45),
                    ("Französisch, Malinke", 30),
                    ("Französisch, Susu", 25),
                ]
            ),
            Weighted([(R.TOLERATION, 45), (R.PERMISSION_TO_REMAIN, 40), (R.UNCLEAR, 15)]),
            0.45,
        ),
        Origin(
            "RO",
            6,
            Weighted([(pools["ro_RO"], 1)]),
            Weighted([("Rumänisch", 85), ("Rumänisch, Romanes", 15)]),
            Weighted([(R.EU_FREE_MOVEMENT, 95), (R.UNCLEAR, 5)]),
            0.4,
            arrival_years_back=12,
        ),
        Origin(
            "BG",
            5,
            Weighted([(bulgarian.transliterated("bg"), 80), (bulgarian, 20)]),
            Weighted([("Bulgarisch", 70), ("Bulgarisch, Türkisch", 30)]),
            Weighted([(R.EU_FREE_MOVEMENT, 95), (R.UNCLEAR, 5)]),
            0.45,
            arrival_years_back=12,
        ),
        Origin(
            "PL",
            4,
            Weighted([(pools["pl_PL"], 1)]),
            Weighted([("Polnisch", 90), ("Polnisch, Englisch", 10)]),
            Weighted([(R.EU_FREE_MOVEMENT, 97), (R.UNCLEAR, 3)]),
            0.25,
            arrival_years_back=15,
        ),
        Origin(
            "VN",
            3,
            Weighted([(pools["vi_VN"], 1)]),
            Weighted([("Vietnamesisch", 85), ("Vietnamesisch, Englisch", 15)]),
            Weighted([(R.WORK_STUDY, 40), (R.FAMILY, 35), (R.SETTLEMENT, 25)]),
            0.5,
            arrival_years_back=15,
        ),
        Origin(
            "RU",
            4,
            Weighted([(russian, 40), (russian.transliterated("ru"), 60)]),
            Weighted([("Russisch", 85), ("Russisch, Englisch", 15)]),
            Weighted(
                [
                    (R.HUMANITARIAN, 25),
                    (R.FAMILY, 25),
                    (R.WORK_STUDY, 20),
                    (R.PERMISSION_TO_REMAIN, 20),
                    (R.SETTLEMENT, 10),
                ]
            ),
            0.5,
        ),
        Origin(
            "MA",
            3,
            Weighted([(MOROCCAN_LATIN, 1)]),
            Weighted(
                [("Arabisch, Französisch", 60), ("Arabisch", 25), ("Tamazight, Arabisch", 15)]
            ),
            Weighted(
                [
                    (R.PERMISSION_TO_REMAIN, 25),
                    (R.TOLERATION, 25),
                    (R.FAMILY, 25),
                    (R.WORK_STUDY, 25),
                ]
            ),
            0.35,
        ),
    ]


# Some organisations have a caseload with a profile of their own.
ORIGIN_BOOST: dict[str, dict[str, float]] = {
    "jg": {"UA": 4, "RU": 4},
    "mkf": {"TR": 2, "MA": 2, "SY": 1.5},
}

B = BenefitsDomain
BENEFITS_BY_RESIDENCE: dict[ResidenceStatus, Weighted[BenefitsDomain]] = {
    R.PERMISSION_TO_REMAIN: Weighted(
        [(B.ASYLBLG, 80), (B.SGB_II, 5), (B.UNKNOWN, 10), (B.NONE, 5)]
    ),
    R.TOLERATION: Weighted([(B.ASYLBLG, 75), (B.SGB_II, 10), (B.NONE, 10), (B.UNKNOWN, 5)]),
    R.HUMANITARIAN: Weighted([(B.SGB_II, 70), (B.NONE, 20), (B.SGB_III, 5), (B.UNKNOWN, 5)]),
    R.WORK_STUDY: Weighted([(B.NONE, 75), (B.SGB_III, 10), (B.SGB_II, 10), (B.UNKNOWN, 5)]),
    R.FAMILY: Weighted([(B.SGB_II, 40), (B.NONE, 50), (B.UNKNOWN, 10)]),
    R.TEMPORARY_PROTECTION: Weighted([(B.SGB_II, 85), (B.NONE, 10), (B.UNKNOWN, 5)]),
    R.SETTLEMENT: Weighted([(B.SGB_II, 30), (B.NONE, 55), (B.SGB_III, 10), (B.UNKNOWN, 5)]),
    R.EU_FREE_MOVEMENT: Weighted([(B.SGB_II, 30), (B.NONE, 45), (B.SGB_III, 10), (B.UNKNOWN, 15)]),
    R.GERMAN_CITIZEN: Weighted([(B.SGB_II, 30), (B.NONE, 60), (B.SGB_III, 10)]),
    R.UNCLEAR: Weighted([(B.UNKNOWN, 50), (B.ASYLBLG, 20), (B.NONE, 30)]),
}

# Age bands of SPEC §6 (0–17, 18–26, 27–49, 50–64, 65+), as (youngest, oldest).
AGE_BANDS = Weighted([((0, 17), 8), ((18, 26), 22), ((27, 49), 45), ((50, 64), 17), ((65, 84), 8)])
GENDERS = Weighted(
    [(Gender.FEMALE, 48), (Gender.MALE, 49), (Gender.DIVERSE, 1), (Gender.UNSPECIFIED, 2)]
)
HOUSEHOLD_SIZES = Weighted([(1, 22), (2, 18), (3, 17), (4, 17), (5, 12), (6, 8), (7, 4), (8, 2)])
MOBILE_PREFIXES = ("0151", "0152", "0157", "0160", "0162", "0170", "0171", "0176", "0177", "0178")
MAIL_DOMAINS = ("example.com", "example.net", "example.org")

# Stadtbezirk → streets with their postcodes.
STREETS: dict[int, tuple[tuple[str, str], ...]] = {
    1: (
        ("Immermannstraße", "40210"),
        ("Oststraße", "40211"),
        ("Nordstraße", "40477"),
        ("Münsterstraße", "40476"),
        ("Kaiserstraße", "40479"),
        ("Bismarckstraße", "40210"),
    ),
    2: (
        ("Ackerstraße", "40233"),
        ("Lindenstraße", "40233"),
        ("Birkenstraße", "40233"),
        ("Grafenberger Allee", "40237"),
        ("Dorotheenstraße", "40235"),
    ),
    3: (
        ("Ellerstraße", "40227"),
        ("Kölner Straße", "40227"),
        ("Friedrichstraße", "40217"),
        ("Bilker Allee", "40219"),
        ("Aachener Straße", "40223"),
        ("Himmelgeister Straße", "40225"),
    ),
    4: (("Luegallee", "40545"), ("Heerdter Landstraße", "40549"), ("Hansaallee", "40547")),
    5: (
        ("Niederrheinstraße", "40474"),
        ("Kalkumer Schloßallee", "40489"),
        ("Alte Landstraße", "40489"),
    ),
    6: (
        ("Westfalenstraße", "40472"),
        ("Kalkumer Straße", "40468"),
        ("Rather Broich", "40472"),
        ("Mörsenbroicher Weg", "40470"),
    ),
    7: (("Benderstraße", "40625"), ("Heyestraße", "40625"), ("Torfbruchstraße", "40625")),
    8: (
        ("Gumbertstraße", "40229"),
        ("Karlsruher Straße", "40229"),
        ("Vennhauser Allee", "40627"),
        ("Gerresheimer Landstraße", "40627"),
    ),
    9: (
        ("Kölner Landstraße", "40591"),
        ("Benrather Schloßallee", "40597"),
        ("Hasselsstraße", "40599"),
        ("Bonner Straße", "40589"),
    ),
    10: (
        ("Frankfurter Straße", "40595"),
        ("Fritz-Erler-Straße", "40595"),
        ("René-Schickele-Straße", "40595"),
    ),
}
DISTRICTS = Weighted(
    [(1, 9), (2, 9), (3, 16), (4, 4), (5, 2), (6, 11), (7, 7), (8, 13), (9, 12), (10, 17)]
)

CLIENT_NOTES = (
    "Termine bitte nur vormittags, nachmittags Kinderbetreuung.",
    "Bevorzugt Kontakt per Messenger; Briefe werden oft nicht verstanden.",
    "Dolmetschung über den Sprachmittlerpool anfragen.",
    "Wohnt derzeit in einer städtischen Unterkunft.",
    "Unterlagen liegen in Kopie in der Papierakte.",
    "Erreichbar am besten über die Tochter (Einwilligung liegt vor).",
    "Nimmt an einem Integrationskurs teil, dienstags und donnerstags nicht erreichbar.",
    "Hat Interesse an ehrenamtlicher Tätigkeit.",
)

# --------------------------------------------------------------------------------------------
# Cases and their children

TOPIC_WEIGHTS = Weighted(
    [
        (cat.TOPIC_RESIDENCE, 18),
        (cat.TOPIC_WORK, 16),
        (cat.TOPIC_LANGUAGE, 14),
        (cat.TOPIC_BENEFITS, 14),
        (cat.TOPIC_HOUSING, 12),
        (cat.TOPIC_FAMILY, 8),
        (cat.TOPIC_HEALTH, 8),
        (cat.TOPIC_EDUCATION, 6),
        (cat.TOPIC_RECOGNITION, 5),
        (cat.TOPIC_PARTICIPATION, 4),
        (cat.TOPIC_DEBT, 4),
    ]
)

GOALS: dict[str, tuple[str, ...]] = {
    cat.TOPIC_RESIDENCE: (
        "Aufenthaltstitel rechtzeitig verlängern.",
        "Passbeschaffung klären und Nachweise zusammenstellen.",
        "Voraussetzungen für die Niederlassungserlaubnis prüfen.",
    ),
    cat.TOPIC_WORK: (
        "Sozialversicherungspflichtige Beschäftigung aufnehmen.",
        "Bewerbungsunterlagen erstellen und Praktikum finden.",
        "Ausbildungsplatz für das kommende Ausbildungsjahr suchen.",
    ),
    cat.TOPIC_LANGUAGE: (
        "Integrationskurs beginnen und B1 erreichen.",
        "Berufssprachkurs im Anschluss an den Integrationskurs vermitteln.",
    ),
    cat.TOPIC_EDUCATION: (
        "Schulplatz für die Kinder sichern.",
        "Schulabschluss nachholen (Abendrealschule).",
    ),
    cat.TOPIC_HOUSING: (
        "Eigene Wohnung finden und aus der Unterkunft ausziehen.",
        "Wohnberechtigungsschein beantragen.",
        "Drohenden Wohnungsverlust abwenden.",
    ),
    cat.TOPIC_HEALTH: (
        "Krankenversicherungsschutz klären.",
        "Anbindung an eine hausärztliche Praxis und psychosoziale Beratung.",
    ),
    cat.TOPIC_BENEFITS: (
        "Lebensunterhalt sichern: Bürgergeld-Antrag vollständig einreichen.",
        "Kindergeld und Kinderzuschlag beantragen.",
        "Wechsel vom AsylbLG in das SGB II begleiten.",
    ),
    cat.TOPIC_FAMILY: (
        "Kita-Platz für das jüngste Kind finden.",
        "Familiennachzug vorbereiten.",
    ),
    cat.TOPIC_RECOGNITION: (
        "Anerkennung des Berufsabschlusses einleiten.",
        "Zeugnisbewertung für den Hochschulabschluss beantragen.",
    ),
    cat.TOPIC_PARTICIPATION: (
        "Anschluss an einen Verein oder ein Ehrenamt im Stadtteil.",
        "Freizeitangebote für die Kinder erschließen.",
    ),
    cat.TOPIC_DEBT: (
        "Schuldenübersicht erstellen und Schuldnerberatung einbinden.",
        "Basiskonto eröffnen.",
    ),
}

TOPIC_PARTNERS: dict[str, tuple[str, ...]] = {
    cat.TOPIC_RESIDENCE: (cat.P_AUSLAENDERBEHOERDE, cat.P_MBE, cat.P_BUERGERBUERO),
    cat.TOPIC_WORK: (cat.P_JOBCENTER, cat.P_AGENTUR, cat.P_JMD),
    cat.TOPIC_LANGUAGE: (cat.P_VHS, cat.P_SPRACHSCHULE, cat.P_JOBCENTER),
    cat.TOPIC_EDUCATION: (cat.P_SCHULAMT, cat.P_JMD, cat.P_VHS),
    cat.TOPIC_HOUSING: (cat.P_WOHNUNGSAMT, cat.P_MIETERVEREIN),
    cat.TOPIC_HEALTH: (cat.P_GESUNDHEITSAMT, cat.P_PSZ, cat.P_KRANKENKASSE),
    cat.TOPIC_BENEFITS: (cat.P_JOBCENTER, cat.P_SOZIALAMT, cat.P_FAMILIENKASSE),
    cat.TOPIC_FAMILY: (cat.P_JUGENDAMT, cat.P_KITA, cat.P_FRAUEN, cat.P_FAMILIENKASSE),
    cat.TOPIC_RECOGNITION: (cat.P_IQ, cat.P_AGENTUR),
    cat.TOPIC_PARTICIPATION: (cat.P_EHRENAMT, cat.P_SPORT),
    cat.TOPIC_DEBT: (cat.P_SCHULDNER, cat.P_VERBRAUCHER),
}

REFERRAL_REASONS: dict[str, tuple[str, ...]] = {
    cat.TOPIC_RESIDENCE: (
        "Verlängerung des Aufenthaltstitels; Termin und Unterlagen abstimmen.",
        "Beratung zur Bleibeperspektive und zum Asylverfahren.",
    ),
    cat.TOPIC_WORK: (
        "Vermittlung in Arbeit; Lebenslauf und Zeugnisse liegen vor.",
        "Berufsorientierung und Ausbildungsberatung.",
    ),
    cat.TOPIC_LANGUAGE: (
        "Anmeldung zum Integrationskurs mit Kinderbetreuung.",
        "Einstufungstest und Berufssprachkurs B2.",
    ),
    cat.TOPIC_EDUCATION: (
        "Schulplatz für zwei schulpflichtige Kinder.",
        "Beratung zum Nachholen des Schulabschlusses.",
    ),
    cat.TOPIC_HOUSING: (
        "Wohnberechtigungsschein und Vormerkung für eine Sozialwohnung.",
        "Beratung zu Mieterhöhung und Nebenkostenabrechnung.",
    ),
    cat.TOPIC_HEALTH: (
        "Klärung der Krankenversicherung nach Statuswechsel.",
        "Psychosoziale Beratung nach Fluchterfahrung.",
    ),
    cat.TOPIC_BENEFITS: (
        "Antrag auf Bürgergeld; Unterlagen unvollständig.",
        "Kindergeldantrag für drei Kinder.",
        "Antrag auf Grundsicherung im Alter.",
    ),
    cat.TOPIC_FAMILY: (
        "Kita-Platz-Suche für ein Kind unter drei Jahren.",
        "Beratung zu Erziehungsfragen und Familienhilfe.",
    ),
    cat.TOPIC_RECOGNITION: (
        "Anerkennung eines Pflegeabschlusses.",
        "Anerkennung eines ingenieurwissenschaftlichen Studiums.",
    ),
    cat.TOPIC_PARTICIPATION: (
        "Vermittlung einer ehrenamtlichen Patenschaft.",
        "Anschluss an einen Sportverein für die Kinder.",
    ),
    cat.TOPIC_DEBT: (
        "Schuldnerberatung wegen offener Forderungen aus Handyverträgen.",
        "Prüfung eines unseriösen Vertrags.",
    ),
}
CROSS_ORG_REASONS = (
    "Übergabe der Begleitung wegen Umzugs in den Einzugsbereich Ihres Teams.",
    "Klient*in wünscht Beratung in der Muttersprache, die Ihr Team anbietet.",
    "Wechsel des Trägers auf Wunsch der Familie; bisherige Ziele siehe Fallverlauf.",
    "Ergänzende Begleitung durch Ihr Angebot für Familien mit kleinen Kindern.",
)
COMPLETED_OUTCOMES = (
    "Antrag bewilligt.",
    "Kurs begonnen, Teilnahme regelmäßig.",
    "Termin wahrgenommen, Anliegen geklärt.",
    "Beratung abgeschlossen, Empfehlungen umgesetzt.",
    "Platz zugesagt und angetreten.",
)
ACCEPTED_OUTCOMES = (
    None,
    "Erstgespräch vereinbart.",
    "Unterlagen nachgereicht, Bearbeitung läuft.",
)
CANCELLED_OUTCOMES = (
    "Termin von der Klient*in abgesagt.",
    "Anliegen hat sich anderweitig erledigt.",
    "Vermittlung nach Rücksprache nicht mehr erforderlich.",
)
DECLINE_REASONS = (
    "Derzeit keine freien Kapazitäten.",
    "Nicht zuständig, Verweis an andere Stelle.",
    "Voraussetzungen für das Angebot nicht erfüllt.",
    "Wohnort außerhalb des Einzugsbereichs.",
)

CATEGORY_BY_TOPIC: dict[str, tuple[str, ...]] = {
    cat.TOPIC_RESIDENCE: (cat.CAT_APPOINTMENT, cat.CAT_PROCESSING_TIME, cat.CAT_DOCUMENTS),
    cat.TOPIC_WORK: (cat.CAT_WORK_PERMIT, cat.CAT_RECOGNITION, cat.CAT_DISCRIMINATION),
    cat.TOPIC_LANGUAGE: (cat.CAT_COURSE_WAIT, cat.CAT_CHILDCARE),
    cat.TOPIC_EDUCATION: (cat.CAT_SCHOOL, cat.CAT_LANGUAGE),
    cat.TOPIC_HOUSING: (cat.CAT_HOUSING, cat.CAT_DISCRIMINATION),
    cat.TOPIC_HEALTH: (cat.CAT_HEALTH, cat.CAT_LANGUAGE),
    cat.TOPIC_BENEFITS: (cat.CAT_PROCESSING_TIME, cat.CAT_FORMS, cat.CAT_RESPONSIBILITY),
    cat.TOPIC_FAMILY: (cat.CAT_CHILDCARE, cat.CAT_PROCESSING_TIME),
    cat.TOPIC_RECOGNITION: (cat.CAT_RECOGNITION, cat.CAT_DOCUMENTS),
    cat.TOPIC_PARTICIPATION: (cat.CAT_LANGUAGE, cat.CAT_DISCRIMINATION),
    cat.TOPIC_DEBT: (cat.CAT_BANK, cat.CAT_DIGITAL),
}
CATEGORY_WEIGHTS = Weighted(
    [
        (cat.CAT_PROCESSING_TIME, 16),
        (cat.CAT_APPOINTMENT, 14),
        (cat.CAT_HOUSING, 12),
        (cat.CAT_LANGUAGE, 10),
        (cat.CAT_DIGITAL, 9),
        (cat.CAT_RESPONSIBILITY, 8),
        (cat.CAT_COURSE_WAIT, 7),
        (cat.CAT_CHILDCARE, 6),
        (cat.CAT_FORMS, 6),
        (cat.CAT_DOCUMENTS, 5),
        (cat.CAT_RECOGNITION, 4),
        (cat.CAT_HEALTH, 4),
        (cat.CAT_BANK, 3),
        (cat.CAT_DISCRIMINATION, 3),
        (cat.CAT_SCHOOL, 3),
        (cat.CAT_WORK_PERMIT, 3),
    ]
)
CATEGORY_PARTNERS: dict[str, tuple[str, ...]] = {
    cat.CAT_PROCESSING_TIME: (cat.P_JOBCENTER, cat.P_FAMILIENKASSE, cat.P_SOZIALAMT),
    cat.CAT_RESPONSIBILITY: (cat.P_JOBCENTER, cat.P_SOZIALAMT, cat.P_AGENTUR),
    cat.CAT_LANGUAGE: (cat.P_JOBCENTER, cat.P_GESUNDHEITSAMT, cat.P_AUSLAENDERBEHOERDE),
    cat.CAT_DIGITAL: (cat.P_AGENTUR, cat.P_FAMILIENKASSE, cat.P_BUERGERBUERO),
    cat.CAT_RECOGNITION: (cat.P_IQ,),
    cat.CAT_HOUSING: (cat.P_WOHNUNGSAMT,),
    cat.CAT_APPOINTMENT: (cat.P_AUSLAENDERBEHOERDE,),
    cat.CAT_CHILDCARE: (cat.P_KITA, cat.P_JUGENDAMT),
    cat.CAT_COURSE_WAIT: (cat.P_VHS, cat.P_SPRACHSCHULE),
    cat.CAT_BANK: (),
    cat.CAT_HEALTH: (cat.P_KRANKENKASSE, cat.P_GESUNDHEITSAMT),
    cat.CAT_DISCRIMINATION: (),
    cat.CAT_DOCUMENTS: (cat.P_AUSLAENDERBEHOERDE, cat.P_BUERGERBUERO),
    cat.CAT_SCHOOL: (cat.P_SCHULAMT,),
    cat.CAT_WORK_PERMIT: (cat.P_AUSLAENDERBEHOERDE,),
    cat.CAT_FORMS: (cat.P_JOBCENTER, cat.P_FAMILIENKASSE),
}
# What happened, never who it happened to.
BARRIER_DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    cat.CAT_PROCESSING_TIME: (
        "Antrag seit mehr als acht Wochen ohne Bescheid.",
        "Weiterbewilligung verzögert, Zahlung ausgesetzt.",
    ),
    cat.CAT_RESPONSIBILITY: (
        "Jobcenter und Sozialamt verweisen jeweils auf die andere Stelle.",
        "Zuständigkeit nach Umzug innerhalb der Stadt ungeklärt.",
    ),
    cat.CAT_LANGUAGE: (
        "Termin ohne Dolmetschung, Bescheid nur auf Deutsch erläutert.",
        "Keine Sprachmittlung für Tigrinya verfügbar.",
    ),
    cat.CAT_DIGITAL: (
        "Antrag nur über das Online-Portal möglich, kein Papierformular.",
        "Terminbuchung setzt E-Mail-Adresse und Smartphone voraus.",
    ),
    cat.CAT_RECOGNITION: (
        "Anerkennungsverfahren dauert über sechs Monate.",
        "Kosten der Zeugnisübersetzung werden nicht übernommen.",
    ),
    cat.CAT_HOUSING: (
        "Keine Rückmeldung auf Wohnungsbewerbungen mit WBS.",
        "Vermietung nur mit Schufa-Auskunft und Arbeitsvertrag.",
    ),
    cat.CAT_APPOINTMENT: (
        "Nächster freier Termin bei der Ausländerbehörde in vier Monaten.",
        "Online-Terminvergabe dauerhaft ausgebucht.",
    ),
    cat.CAT_CHILDCARE: (
        "Kein Kita-Platz im Stadtbezirk verfügbar.",
        "Sprachkurs ohne Kinderbetreuung nicht wahrnehmbar.",
    ),
    cat.CAT_COURSE_WAIT: (
        "Wartezeit auf einen Integrationskurs mit Alphabetisierung über drei Monate.",
        "Berufssprachkurs B2 erst im nächsten Halbjahr.",
    ),
    cat.CAT_BANK: (
        "Basiskonto verweigert wegen fehlender Meldebescheinigung.",
        "Fiktionsbescheinigung von der Bank nicht als Identitätsnachweis akzeptiert.",
    ),
    cat.CAT_HEALTH: (
        "Krankenversicherungsschutz nach Statuswechsel ungeklärt.",
        "Keine Praxis mit freien Therapieplätzen und Sprachmittlung.",
    ),
    cat.CAT_DISCRIMINATION: (
        "Ablehnung bei Wohnungsbesichtigung mit Verweis auf die Herkunft.",
        "Abweisende Behandlung am Empfang wegen mangelnder Deutschkenntnisse.",
    ),
    cat.CAT_DOCUMENTS: (
        "Geburtsurkunde aus dem Herkunftsland nicht zu beschaffen.",
        "Botschaft stellt derzeit keine Pässe aus.",
    ),
    cat.CAT_SCHOOL: (
        "Schulpflichtiges Kind seit Wochen ohne Schulplatz.",
        "Kein Platz in einer Sprachfördergruppe in Wohnortnähe.",
    ),
    cat.CAT_WORK_PERMIT: (
        "Beschäftigungserlaubnis für ein konkretes Stellenangebot noch nicht erteilt.",
        "Arbeitgeber zieht Zusage wegen kurzer Befristung der Erlaubnis zurück.",
    ),
    cat.CAT_FORMS: (
        "Antrag wegen fehlender Nachweise zurückgeschickt.",
        "Mehrseitige Mitwirkungsaufforderung ohne Erläuterung.",
    ),
}
BARRIER_STATUSES = Weighted(
    [(BarrierStatus.OPEN, 45), (BarrierStatus.SOLVED, 35), (BarrierStatus.REPORTED, 20)]
)

CONTACT_KINDS = Weighted(
    [
        (ContactKind.IN_PERSON, 40),
        (ContactKind.PHONE, 30),
        (ContactKind.DIGITAL, 12),
        (ContactKind.ACCOMPANIMENT, 12),
        (ContactKind.HOME_VISIT, 6),
    ]
)
CONTACT_MINUTES: dict[str, tuple[int, int]] = {
    ContactKind.IN_PERSON: (30, 90),
    ContactKind.PHONE: (5, 30),
    ContactKind.DIGITAL: (10, 30),
    ContactKind.ACCOMPANIMENT: (60, 240),
    ContactKind.HOME_VISIT: (45, 120),
}
CONTACT_NOTES: dict[str, tuple[str | None, ...]] = {
    ContactKind.IN_PERSON: (
        "Beratungsgespräch, Unterlagen gesichtet.",
        "Anträge gemeinsam ausgefüllt.",
        "Stand der Ziele besprochen.",
        None,
    ),
    ContactKind.PHONE: ("Rückfrage zu einem Schreiben.", "Terminabsprache.", None),
    ContactKind.DIGITAL: ("Unterlagen per E-Mail erhalten.", "Videoberatung mit Sprachmittlung."),
    ContactKind.ACCOMPANIMENT: (
        "Begleitung zur Ausländerbehörde.",
        "Begleitung zum Jobcenter.",
        "Begleitung zur Wohnungsbesichtigung.",
    ),
    ContactKind.HOME_VISIT: ("Hausbesuch, Wohnsituation angesehen.", None),
}

CLOSURE_REASONS = Weighted(
    [
        (ClosureReason.GOALS_MET, 40),
        (ClosureReason.TRANSFERRED, 25),
        (ClosureReason.MOVED_AWAY, 10),
        (ClosureReason.CONTACT_LOST, 15),
        (ClosureReason.PROVIDER_CHANGE, 5),
        (ClosureReason.OTHER, 5),
    ]
)
# Before a later case of the same client: the client stayed in Düsseldorf and with the provider.
FIRST_CASE_CLOSURE_REASONS = Weighted(
    [
        (ClosureReason.GOALS_MET, 55),
        (ClosureReason.TRANSFERRED, 25),
        (ClosureReason.CONTACT_LOST, 15),
        (ClosureReason.OTHER, 5),
    ]
)

P = CasePhase
PHASES_NEW = Weighted([(P.INTAKE, 60), (P.ASSESSMENT, 40)])
PHASES_YOUNG = Weighted([(P.ASSESSMENT, 40), (P.PLANNING, 45), (P.MONITORING, 15)])
PHASES_RUNNING = Weighted(
    [(P.PLANNING, 15), (P.MONITORING, 55), (P.EVALUATION, 15), (P.DORMANT, 15)]
)

S = ReferralStatus
REFERRALS_OF_CLOSED_CASES = Weighted([(S.COMPLETED, 55), (S.DECLINED, 15), (S.CANCELLED, 30)])
REFERRALS_FRESH = Weighted([(S.PLANNED, 50), (S.SENT, 50)])
REFERRALS_RECENT = Weighted(
    [
        (S.PLANNED, 15),
        (S.SENT, 45),
        (S.ACCEPTED, 25),
        (S.DECLINED, 5),
        (S.CANCELLED, 5),
        (S.COMPLETED, 5),
    ]
)
REFERRALS_OLDER = Weighted(
    [
        (S.PLANNED, 6),
        (S.SENT, 16),
        (S.ACCEPTED, 22),
        (S.DECLINED, 10),
        (S.COMPLETED, 34),
        (S.CANCELLED, 12),
    ]
)
ANSWERED = frozenset({S.ACCEPTED, S.DECLINED, S.COMPLETED})

CONTACT_COUNTS = Weighted([(0, 10), (1, 20), (2, 25), (3, 20), (4, 15), (5, 10)])
BARRIER_COUNTS = Weighted([(0, 35), (1, 35), (2, 20), (3, 10)])
REFERRAL_COUNTS = Weighted([(0, 30), (1, 35), (2, 25), (3, 10)])
CROSS_ORG_SHARE = 0.06


# --------------------------------------------------------------------------------------------
# Users

USER_NAMES = (
    "Sabine Krüger",
    "Thomas Becker",
    "Aylin Demir",
    "Jan Hoffmann",
    "Miriam Schäfer",
    "Kerstin Vogel",
    "Olga Schneider",
    "Daniel Wagner",
    "Nadia Haddad",
    "Stefan Richter",
    "Julia Lehmann",
    "Mehmet Yıldız",
    "Anna Kowalski",
    "Lukas Brandt",
    "Katrin Neumann",
    "Tobias Hartmann",
    "Leonie Fischer",
    "Markus Weber",
)


def _create_users(
    session: Session, organisations: dict[str, Organisation], password_hash: str
) -> dict[str, tuple[User, User]]:
    """``lead.<slug>`` and ``cm.<slug>`` per organisation, plus coordination and admin."""
    names = iter(USER_NAMES)
    teams: dict[str, tuple[User, User]] = {}
    for slug, organisation in organisations.items():
        lead = User(
            email=f"lead.{slug}@example.org",
            full_name=next(names, f"Teamleitung {slug.upper()}"),
            role=Role.ORG_LEAD.value,
            organisation_id=organisation.id,
            password_hash=password_hash,
        )
        case_manager = User(
            email=f"cm.{slug}@example.org",
            full_name=next(names, f"Case Management {slug.upper()}"),
            role=Role.CASE_MANAGER.value,
            organisation_id=organisation.id,
            password_hash=password_hash,
        )
        session.add_all((lead, case_manager))
        teams[slug] = (lead, case_manager)
    session.add_all(
        (
            User(
                email="koordination@example.org",
                full_name=next(names, "KIM-Koordination"),
                role=Role.COORDINATOR.value,
                password_hash=password_hash,
            ),
            User(
                email="admin@example.org",
                full_name=next(names, "Administration"),
                role=Role.ADMIN.value,
                password_hash=password_hash,
            ),
        )
    )
    session.flush()
    return teams


# --------------------------------------------------------------------------------------------
# The caseload


@dataclass
class Catalogue:
    """Ids of the shared catalogue, by name."""

    topics: dict[str, int]
    categories: dict[str, int]
    partners: dict[str, int]
    kim_partner_of: dict[str, int]


@dataclass
class IdCounter:
    """Explicit ids for the bulk inserts, continuing after any existing row."""

    next_ids: dict[str, int]

    def take(self, table: str) -> int:
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value


@dataclass
class Numbers:
    """Running numbers per (organisation, name, year), as ``NumberSequence`` will continue them."""

    last: dict[tuple[int, str, int], int] = field(default_factory=dict)

    def take(self, organisation_id: int, name: str, year: int) -> int:
        key = (organisation_id, name, year)
        self.last[key] = self.last.get(key, 0) + 1
        return self.last[key]


@dataclass
class OrgContext:
    slug: str
    organisation_id: int
    lead_id: int
    case_manager_id: int
    other_kim_partners: list[int]


class CaseloadBuilder:
    """Builds the rows of one organisation's demo caseload, deterministically from ``rng``."""

    def __init__(
        self,
        rng: random.Random,
        today: dt.date,
        *,
        origins: list[Origin],
        catalogue: Catalogue,
        ids: IdCounter,
        numbers: Numbers,
    ) -> None:
        self.rng = rng
        self.today = today
        self.origins = origins
        self.catalogue = catalogue
        self.ids = ids
        self.numbers = numbers

    # -- clients and cases ---------------------------------------------------------------------

    def clients_and_cases(
        self, org: OrgContext, count: int
    ) -> tuple[list[Row], list[Row], list[Row], dict[int, list[str]]]:
        """Client rows, case rows and case_topic rows; plus each case's topic names by id."""
        rng, today = self.rng, self.today
        boost = ORIGIN_BOOST.get(org.slug, {})
        origins = Weighted([(o, o.weight * boost.get(o.country, 1)) for o in self.origins])
        intakes = sorted(
            _working_day(today - dt.timedelta(days=rng.randint(1, HISTORY_DAYS)))
            for _ in range(count)
        )
        clients: list[Row] = []
        cases: list[Row] = []
        for intake in intakes:
            client = self._client(org, origins.pick(rng), intake)
            clients.append(client)
            cases.extend(self._cases_of(org, client, intake))

        # Case ids and numbers follow the opening date, as they would have been handed out.
        cases.sort(key=lambda row: (row["opened_on"], row["client_id"]))
        case_topics: list[Row] = []
        topics_of: dict[int, list[str]] = {}
        for case in cases:
            case_id = self.ids.take("case_file")
            year = case["opened_on"].year
            number = self.numbers.take(org.organisation_id, "case", year)
            case["id"] = case_id
            case["case_number"] = f"{org.slug.upper()}-F-{year}-{number:04d}"
            topic_names = case.pop("_topics")
            topics_of[case_id] = topic_names
            case_topics.extend(
                {"case_id": case_id, "topic_id": self.catalogue.topics[name]}
                for name in topic_names
            )
        return clients, cases, case_topics, topics_of

    def _client(self, org: OrgContext, origin: Origin, intake: dt.date) -> Row:
        rng, today = self.rng, self.today
        client_id = self.ids.take("client")
        number = self.numbers.take(org.organisation_id, "client", intake.year)
        gender = GENDERS.pick(rng)
        female = gender == Gender.FEMALE or (
            gender != Gender.MALE and rng.random() < 0.5  # diverse, unspecified
        )
        first_name, last_name = origin.names.pick(rng).pick(rng, female)

        youngest, oldest = AGE_BANDS.pick(rng)
        age = rng.randint(youngest, oldest)
        born = today - dt.timedelta(days=age * 365 + age // 4 + rng.randint(0, 364))
        if born > intake - dt.timedelta(days=30):
            # Nobody becomes a client before being born.
            born = intake - dt.timedelta(days=rng.randint(30, 700))
        earliest_arrival = max(
            born,
            origin.arrival_not_before or dt.date.min,
            today.replace(year=today.year - origin.arrival_years_back, day=1),
        )
        arrival_date: dt.date | None = _day_between(rng, min(earliest_arrival, intake), intake)
        if rng.random() < 0.03:
            arrival_date = None
        date_of_birth: dt.date | None = None if rng.random() < 0.01 else born

        residence = origin.residence.pick(rng)
        nationality = "DE" if residence == R.GERMAN_CITIZEN else origin.country
        benefits = BENEFITS_BY_RESIDENCE[residence].pick(rng)
        if age >= 65 and benefits == B.SGB_II:
            benefits = B.SGB_XII  # Grundsicherung im Alter
        recent = arrival_date is not None and (today - arrival_date).days < 4 * 365
        interpreter_share = origin.interpreter_share * (1.0 if recent else 0.5)
        needs_interpreter = age >= 14 and rng.random() < interpreter_share

        district = DISTRICTS.pick(rng)
        street, postcode = rng.choice(STREETS[district])
        house = f"{rng.randint(1, 180)}{rng.choice(('', '', '', '', 'a', 'b'))}"
        phone = None
        if age >= 14 and rng.random() < 0.88:
            if rng.random() < 0.85:
                phone = f"{rng.choice(MOBILE_PREFIXES)} {rng.randint(1_000_000, 99_999_999)}"
            else:
                phone = f"0211 {rng.randint(100_000, 9_999_999)}"
        email = None
        local = f"{_ascii_fold(first_name)}.{_ascii_fold(last_name)}".lower().strip(".-")
        if age >= 16 and len(local) > 4 and rng.random() < 0.45:
            suffix = str(rng.randint(1, 99)) if rng.random() < 0.5 else ""
            email = f"{local}{suffix}@{rng.choice(MAIL_DOMAINS)}"

        created = _stamp(rng, intake)
        return {
            "id": client_id,
            "organisation_id": org.organisation_id,
            "file_number": f"{org.slug.upper()}-{intake.year}-{number:04d}",
            "first_name": first_name,
            "last_name": last_name,
            "date_of_birth": date_of_birth,
            "gender": gender.value,
            "country_of_origin": origin.country,
            "nationality": nationality,
            "languages": origin.languages.pick(rng),
            "needs_interpreter": needs_interpreter,
            "arrival_date": arrival_date,
            "residence_status": residence.value,
            "benefits_domain": benefits.value,
            "household_size": HOUSEHOLD_SIZES.pick(rng),
            "phone": phone,
            "email": email,
            "street": f"{street} {house}",
            "postcode": postcode,
            "district": district,
            "consent_given_on": intake,
            "consent_withdrawn_on": None,
            "notes": rng.choice(CLIENT_NOTES) if rng.random() < 0.25 else None,
            "archived_at": None,
            "created_at": created,
            "updated_at": created,
            "created_by_id": org.case_manager_id,
            "updated_by_id": org.case_manager_id,
            "version": 1,
        }

    def _cases_of(self, org: OrgContext, client: Row, intake: dt.date) -> list[Row]:
        """One case, or two when the client came back after a first closed case."""
        rng, today = self.rng, self.today
        opened = [intake]
        closed: list[dt.date | None] = []
        reasons: list[str | None] = []
        if (today - intake).days > 120 and rng.random() < 0.3:
            first_closed = _day_between(
                rng, intake + dt.timedelta(days=30), today - dt.timedelta(45)
            )
            closed.append(first_closed)
            reasons.append(str(FIRST_CASE_CLOSURE_REASONS.pick(rng)))
            opened.append(_working_day(_day_between(rng, first_closed + dt.timedelta(14), today)))
        last_opened = opened[-1]
        age = (today - last_opened).days
        if age > 14 and rng.random() < 0.1 + 0.55 * min(1.0, age / HISTORY_DAYS):
            closed.append(_day_between(rng, last_opened + dt.timedelta(days=14), today))
            reasons.append(str(CLOSURE_REASONS.pick(rng)))
        else:
            closed.append(None)
            reasons.append(None)

        rows = []
        for opened_on, closed_on, reason in zip(opened, closed, reasons, strict=True):
            topics = self._topics()
            if closed_on is not None:
                phase = P.CLOSED
            else:
                days_open = (today - opened_on).days
                phases = (
                    PHASES_NEW
                    if days_open < 21
                    else PHASES_YOUNG
                    if days_open < 60
                    else PHASES_RUNNING
                )
                phase = phases.pick(rng)
            goals = " ".join(rng.choice(GOALS[topic]) for topic in topics[:2])
            created = _stamp(rng, opened_on)
            rows.append(
                {
                    "organisation_id": org.organisation_id,
                    "client_id": client["id"],
                    "case_manager_id": (org.case_manager_id if rng.random() < 0.7 else org.lead_id),
                    "opened_on": opened_on,
                    "closed_on": closed_on,
                    "phase": phase.value,
                    "goals": goals,
                    "closure_reason": reason,
                    "archived_at": None,
                    "created_at": created,
                    "updated_at": _stamp(rng, closed_on) if closed_on else created,
                    "created_by_id": org.case_manager_id,
                    "updated_by_id": org.case_manager_id,
                    "version": 1,
                    "_topics": topics,
                }
            )

        last_closed = closed[-1]
        if last_closed is not None:
            # A closed relationship: sometimes consent was withdrawn, sometimes the file archived.
            if rng.random() < 0.1:
                withdrawn = _day_between(rng, last_closed, today)
                client["consent_withdrawn_on"] = withdrawn
                client["updated_at"] = _stamp(rng, withdrawn)
            elif (today - last_closed).days > 365 and rng.random() < 0.3:
                archived = last_closed + dt.timedelta(days=180 + rng.randint(0, 90))
                client["archived_at"] = _stamp(rng, archived)
                client["updated_at"] = client["archived_at"]
        return rows

    def _topics(self) -> list[str]:
        wanted = self.rng.choice((1, 1, 2, 2, 2, 3))
        chosen: list[str] = []
        while len(chosen) < wanted:
            topic = TOPIC_WEIGHTS.pick(self.rng)
            if topic not in chosen:
                chosen.append(topic)
        return chosen

    # -- contacts, barriers, referrals ---------------------------------------------------------

    def children(
        self, org: OrgContext, cases: list[Row], topics_of: dict[int, list[str]]
    ) -> tuple[list[Row], list[Row], list[Row]]:
        contacts: list[Row] = []
        barriers: list[Row] = []
        referrals: list[Row] = []
        for case in cases:
            end = case["closed_on"] or self.today
            contacts.extend(self._contacts(org, case, end))
            barriers.extend(self._barriers(org, case, end, topics_of[case["id"]]))
            referrals.extend(self._referrals(org, case, end, topics_of[case["id"]]))
        return contacts, barriers, referrals

    def _audit(self, org: OrgContext, case: Row, created_on: dt.date, updated_on: dt.date) -> Row:
        created = _stamp(self.rng, created_on)
        updated = _stamp(self.rng, updated_on) if updated_on > created_on else created
        return {
            "organisation_id": org.organisation_id,
            "case_id": case["id"],
            "created_at": created,
            "updated_at": updated,
            "created_by_id": org.case_manager_id,
            "updated_by_id": org.case_manager_id,
            "version": 1,
        }

    def _contacts(self, org: OrgContext, case: Row, end: dt.date) -> list[Row]:
        rng = self.rng
        rows = []
        for index in range(CONTACT_COUNTS.pick(rng)):
            # The first contact is the intake interview on the day the case was opened.
            day = case["opened_on"] if index == 0 else _day_between(rng, case["opened_on"], end)
            kind = ContactKind.IN_PERSON if index == 0 else CONTACT_KINDS.pick(rng)
            shortest, longest = CONTACT_MINUTES[kind]
            note = "Erstgespräch, Anliegen aufgenommen." if index == 0 else None
            rows.append(
                {
                    "id": self.ids.take("contact"),
                    **self._audit(org, case, day, day),
                    "contact_date": day,
                    "kind": kind.value,
                    "minutes": rng.randint(shortest, longest) // 5 * 5,
                    "note": note or rng.choice(CONTACT_NOTES[kind]),
                }
            )
        return rows

    def _barriers(self, org: OrgContext, case: Row, end: dt.date, topics: list[str]) -> list[Row]:
        rng, today = self.rng, self.today
        rows = []
        for _ in range(BARRIER_COUNTS.pick(rng)):
            if rng.random() < 0.7:
                category = rng.choice(CATEGORY_BY_TOPIC[rng.choice(topics)])
            else:
                category = CATEGORY_WEIGHTS.pick(rng)
            candidates = CATEGORY_PARTNERS[category]
            partner_id = (
                self.catalogue.partners[rng.choice(candidates)]
                if candidates and rng.random() < 0.6
                else None
            )
            observed = _day_between(rng, case["opened_on"], end)
            status = BARRIER_STATUSES.pick(rng)
            resolved = None
            if status == BarrierStatus.SOLVED:
                resolved = min(today, observed + dt.timedelta(days=rng.randint(3, 120)))
            rows.append(
                {
                    "id": self.ids.take("barrier"),
                    **self._audit(org, case, observed, resolved or observed),
                    "category_id": self.catalogue.categories[category],
                    "partner_id": partner_id,
                    "observed_on": observed,
                    "description": rng.choice(BARRIER_DESCRIPTIONS[category]),
                    "status": status.value,
                    "resolved_on": resolved,
                }
            )
        return rows

    def _referrals(self, org: OrgContext, case: Row, end: dt.date, topics: list[str]) -> list[Row]:
        rng, today = self.rng, self.today
        count = REFERRAL_COUNTS.pick(rng)
        cross_org = case["closed_on"] is None and rng.random() < CROSS_ORG_SHARE
        if cross_org:
            count = max(count, 1)
        rows = []
        for index in range(count):
            topic = rng.choice(topics)
            decline_reason = outcome = None
            if cross_org and index == 0:
                # To another KIM organisation: it shows up there as an incoming referral.
                partner_id = rng.choice(org.other_kim_partners)
                referred = _day_between(rng, max(case["opened_on"], today - dt.timedelta(45)), end)
                status = S.SENT if rng.random() < 0.85 else S.DECLINED
                reason = rng.choice(CROSS_ORG_REASONS)
            else:
                partner_id = self.catalogue.partners[rng.choice(TOPIC_PARTNERS[topic])]
                referred = _day_between(rng, case["opened_on"], end)
                age = (today - referred).days
                statuses = (
                    REFERRALS_OF_CLOSED_CASES
                    if case["closed_on"] is not None
                    else REFERRALS_FRESH
                    if age < 3
                    else REFERRALS_RECENT
                    if age < 14
                    else REFERRALS_OLDER
                )
                status = statuses.pick(rng)
                reason = rng.choice(REFERRAL_REASONS[topic])
            follow_up = (
                default_follow_up(referred)
                if rng.random() < 0.8
                else referred + dt.timedelta(days=rng.choice((7, 21, 28)))
            )
            responded = None
            if status in ANSWERED:
                responded = min(today, referred + dt.timedelta(days=rng.randint(1, 30)))
            if status == S.COMPLETED:
                outcome = rng.choice(COMPLETED_OUTCOMES)
            elif status == S.ACCEPTED:
                outcome = rng.choice(ACCEPTED_OUTCOMES)
            elif status == S.CANCELLED:
                outcome = rng.choice(CANCELLED_OUTCOMES)
            elif status == S.DECLINED:
                decline_reason = rng.choice(DECLINE_REASONS)
            # Every status past "planned" went through "sent", which needs the consent.
            consent = status != S.PLANNED or rng.random() < 0.4
            last_change = responded or referred
            if status == S.CANCELLED:
                last_change = min(end, referred + dt.timedelta(days=rng.randint(1, 20)))
            rows.append(
                {
                    "id": self.ids.take("referral"),
                    **self._audit(org, case, referred, last_change),
                    "partner_id": partner_id,
                    "topic_id": self.catalogue.topics[topic],
                    "reason": reason,
                    "referred_on": referred,
                    "follow_up_on": follow_up,
                    "status": status.value,
                    "responded_on": responded,
                    "outcome": outcome,
                    "decline_reason": decline_reason,
                    "consent_confirmed": consent,
                    "receiving_case_id": None,
                }
            )
        return rows


# --------------------------------------------------------------------------------------------
# Writing


CLIENT, CASE, CONTACT, BARRIER, REFERRAL = (
    cast(Table, model.__table__) for model in (Client, Case, Contact, Barrier, Referral)
)
BULK_TABLES = (CLIENT, CASE, CONTACT, BARRIER, REFERRAL)


def _chunks(rows: list[Row]) -> Iterator[list[Row]]:
    for start in range(0, len(rows), CHUNK_SIZE):
        yield rows[start : start + CHUNK_SIZE]


def _bulk_insert(session: Session, table: Table, rows: list[Row]) -> int:
    """Core executemany in chunks: no ORM bookkeeping per row."""
    for chunk in _chunks(rows):
        session.execute(insert(table), chunk)
    return len(rows)


def _next_ids(session: Session) -> IdCounter:
    return IdCounter(
        {
            table.name: (session.scalar(select(func.max(table.c.id))) or 0) + 1
            for table in BULK_TABLES
        }
    )


def _load_catalogue(session: Session) -> Catalogue:
    partners = session.execute(select(Partner.name, Partner.id, Partner.organisation_id)).all()
    organisation_slugs = dict(session.execute(select(Organisation.id, Organisation.slug)).all())
    return Catalogue(
        topics=dict(session.execute(select(Topic.name, Topic.id)).all()),
        categories=dict(session.execute(select(BarrierCategory.name, BarrierCategory.id)).all()),
        partners={name: partner_id for name, partner_id, _ in partners},
        kim_partner_of={
            organisation_slugs[organisation_id]: partner_id
            for _, partner_id, organisation_id in partners
            if organisation_id is not None
        },
    )


def _save_number_sequences(session: Session, numbers: Numbers) -> None:
    """Let ``next_number`` continue after the numbers the seed handed out."""
    for (organisation_id, name, year), last_value in sorted(numbers.last.items()):
        sequence = session.get(NumberSequence, (organisation_id, name, year))
        if sequence is None:
            session.add(
                NumberSequence(
                    organisation_id=organisation_id, name=name, year=year, last_value=last_value
                )
            )
        else:
            sequence.last_value = max(sequence.last_value, last_value)
    session.flush()


def _bump_postgres_sequences(session: Session) -> None:
    """Explicit ids leave PostgreSQL's id sequences behind; move them past the largest id."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in BULK_TABLES:
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), max(id)) "  # noqa: S608
                f"FROM {table.name} HAVING max(id) IS NOT NULL"
            )
        )


def seed_demo(
    session: Session,
    *,
    clients_per_org: int = 30,
    password: str = DEFAULT_PASSWORD,
    today: dt.date | None = None,
    seed: int = 2026,
) -> SeedSummary:
    """Fill an empty database with the catalogue, demo users and a demo caseload.

    Refuses (``SeedRefused``) when any user exists. Flushes, never commits: the caller does.
    The same ``seed`` and ``today`` give the same data.
    """
    if session.scalar(select(User.id).limit(1)) is not None:
        raise SeedRefused
    today = today or dt.datetime.now(BERLIN).date()
    rng = random.Random(seed)

    organisations = seed_catalogue(session)
    # One hash for everyone: each hash costs 600,000 PBKDF2 iterations.
    password_hash = generate_password_hash(password, PASSWORD_HASH_METHOD)
    teams = _create_users(session, organisations, password_hash)
    catalogue = _load_catalogue(session)
    ids = _next_ids(session)
    numbers = Numbers(
        {
            (row.organisation_id, row.name, row.year): row.last_value
            for row in session.scalars(select(NumberSequence))
        }
    )
    builder = CaseloadBuilder(
        rng, today, origins=_origins(seed), catalogue=catalogue, ids=ids, numbers=numbers
    )

    summary = SeedSummary(
        organisations=len(organisations),
        users=session.scalar(select(func.count(User.id))) or 0,
        barrier_categories=len(catalogue.categories),
        topics=len(catalogue.topics),
        partners=len(catalogue.partners),
    )
    for slug, organisation in organisations.items():
        lead, case_manager = teams[slug]
        org = OrgContext(
            slug=slug,
            organisation_id=organisation.id,
            lead_id=lead.id,
            case_manager_id=case_manager.id,
            other_kim_partners=[
                partner_id
                for other, partner_id in catalogue.kim_partner_of.items()
                if other != slug
            ],
        )
        clients, cases, case_topics, topics_of = builder.clients_and_cases(org, clients_per_org)
        summary.clients += _bulk_insert(session, CLIENT, clients)
        summary.cases += _bulk_insert(session, CASE, cases)
        summary.case_topics += _bulk_insert(session, case_topic, case_topics)
        del clients, case_topics
        # Children in slices of cases, so memory stays flat however large the caseload.
        for start in range(0, len(cases), CHUNK_SIZE):
            contacts, barriers, referrals = builder.children(
                org, cases[start : start + CHUNK_SIZE], topics_of
            )
            summary.contacts += _bulk_insert(session, CONTACT, contacts)
            summary.barriers += _bulk_insert(session, BARRIER, barriers)
            summary.referrals += _bulk_insert(session, REFERRAL, referrals)

    _save_number_sequences(session, numbers)
    _bump_postgres_sequences(session)
    session.flush()
    return summary
