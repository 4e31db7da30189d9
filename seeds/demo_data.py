"""What the demo caseload is made of (SPEC §8): names, origins, distributions and texts.

Pure data: the builder in ``seeds.demo`` draws from these tables. Shared catalogue entries
(organisations, topics, barrier categories, partners) live in ``seeds.catalogue``.
"""

# German typography (en dash, „…“) and the letters of names in many scripts are intended.

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from models.choices import (
    BarrierStatus,
    BenefitsDomain,
    CasePhase,
    ClosureReason,
    ContactKind,
    Gender,
    ReferralStatus,
    ResidenceStatus,
)
from seeds import catalogue as cat
from seeds.names import NamePool, hand_pool

T = TypeVar("T")
U = TypeVar("U")


class Weighted(Generic[T]):
    """A fixed weighted choice, drawn in O(log n) from a ``random.Random``."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.pairs = tuple(pairs)
        self.items = [item for item, _ in pairs]
        self.cumulative: list[float] = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]

    def map(self, convert: Callable[[T], U]) -> Weighted[U]:
        """The same weights over converted items."""
        return Weighted([(convert(item), weight) for item, weight in self.pairs])


# --------------------------------------------------------------------------------------------
# Names and origins


@dataclass(frozen=True)
class FakerNames:
    """Names from a seeded Faker locale, optionally in the passport spelling of ``latin_as``."""

    locale: str
    latin_as: str | None = None


NameSource = NamePool | FakerNames

# Faker locales in a fixed order: a locale's place sets its seed (the seed plus the place).
FAKER_LOCALES = (
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

# Hand lists where Faker has no locale, or where the Latin spelling of German records is wanted.
ARABIC_LATIN = hand_pool(
    "Fatima,Aya,Amina,Rama,Nour,Hiba,Rasha,Lina,Dima,Yasmin,Maryam,Sara,Hala,Reem,Salma,Zainab,"
    "Huda,Rania,Ghada,Layla,Asmaa,Bushra,Rahaf,Sidra,Nisreen",
    "Mohammad,Ahmad,Mahmoud,Khaled,Omar,Ali,Hassan,Hussein,Yousef,Ibrahim,Mustafa,Abdullah,"
    "Karim,Rami,Samer,Bilal,Tarek,Walid,Amjad,Fadi,Anas,Majd,Hamza,Obada,Zaid",
    "Al-Hassan,Al-Ahmad,Haddad,Khalil,Mansour,Darwish,Hamdan,Kassem,Nasser,Saleh,Othman,Ibrahim,"
    "Youssef,Al-Khatib,Al-Masri,Hamoud,Al-Hussein,Abdo,Sulaiman,Al-Ali,Jaber,Najjar,Shaker,Aziz,"
    "Al-Jasem,Alhamwi,Kurdi,Al-Obeid,Hallak,Sabbagh",
)
KURDISH_LATIN = hand_pool(
    "Berivan,Dilan,Rojin,Hêvî,Nareen,Zozan,Sozdar,Evîn,Jiyan,Nesrin,Gulistan,Ronahî,Sîdar,Delal",
    "Azad,Dilshad,Rezan,Baran,Serhat,Hozan,Shiar,Rojhat,Welat,Kawa,Dildar,Aram,Sherwan,Berzan",
    "Hasso,Sheikhmous,Osman,Ali,Haji,Bakr,Hamo,Sulaiman,Murad,Khalaf,Ibrahim,Mahmo,Omar,Rasho,"
    "Sido,Hussein,Qasim,Nabo",
)
AFGHAN_LATIN = hand_pool(
    "Zahra,Fatima,Mariam,Soraya,Nazanin,Shabnam,Freshta,Mursal,Parwana,Sahar,Mahbooba,Nilofar,"
    "Marzia,Zarghona,Hosai,Laila,Farzana,Roya,Tamana,Gulalai",
    "Ahmad,Mohammad,Farid,Hamid,Mustafa,Ali,Rahmatullah,Jawad,Naweed,Sayed,Habib,Ajmal,Bilal,"
    "Qasim,Omid,Samiullah,Zabiullah,Nasir,Khalid,Wahid",
    "Ahmadi,Rahimi,Karimi,Hashimi,Noori,Sultani,Popal,Wardak,Stanekzai,Haidari,Amiri,Qaderi,"
    "Sadat,Rezai,Hussaini,Mohammadi,Jafari,Azizi,Safi,Nazari,Sharifi,Yousufzai,Mansoori,Barakzai",
)
PERSIAN_LATIN = hand_pool(
    "Sara,Maryam,Zahra,Fatemeh,Narges,Shirin,Parisa,Leila,Mahsa,Niloufar,Azadeh,Roya,Samira,"
    "Golnar,Elham,Mina,Yasaman,Bahar",
    "Reza,Ali,Mohammad,Mehdi,Hossein,Amir,Saeed,Hamed,Behnam,Kaveh,Arash,Babak,Farhad,Omid,Nima,"
    "Pouya,Sina,Navid",
    "Hosseini,Mohammadi,Rezaei,Ahmadi,Karimi,Moradi,Jafari,Rahimi,Kazemi,Sadeghi,Ebrahimi,"
    "Ghasemi,Tehrani,Farahani,Shirazi,Esfahani,Najafi,Soltani,Bagheri,Mousavi",
)
ERITREAN_LATIN = hand_pool(
    "Senait,Helen,Selam,Luwam,Saba,Feven,Rahwa,Winta,Yohana,Merhawit,Tsega,Semhar,Eden,Ruta,"
    "Hiwet,Salina",
    "Filmon,Kidane,Tekle,Mebrahtu,Haile,Semere,Aron,Yohannes,Dawit,Biniam,Samuel,Tesfalem,"
    "Henok,Robel,Amanuel,Mussie",
    "Tesfamariam,Gebremedhin,Habte,Tekle,Berhane,Kidane,Woldemichael,Asmerom,Mehari,Haile,"
    "Tesfay,Yohannes,Ghirmay,Andemariam,Abraha,Weldu,Gebreslassie,Negash",
)
GUINEAN_LATIN = hand_pool(
    "Mariama,Fatoumata,Aissatou,Kadiatou,Hawa,Mariame,Oumou,Binta,Hadja,Djenabou,Saran,Nènè",
    "Mamadou,Alpha,Ibrahima,Ousmane,Abdoulaye,Thierno,Amadou,Boubacar,Sekou,Lansana,Mohamed,"
    "Souleymane",
    "Diallo,Barry,Bah,Sow,Camara,Condé,Sylla,Touré,Baldé,Keita,Soumah,Kouyaté,Cissé,Doumbouya,"
    "Kaba,Kourouma",
)
MOROCCAN_LATIN = hand_pool(
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
    names: Weighted[NameSource]
    languages: Weighted[str]
    residence: Weighted[ResidenceStatus]
    interpreter_share: float
    # The earliest plausible arrival in Germany, relative to the seed's ``today``.
    arrival_years_back: int = 10
    arrival_not_before: dt.date | None = None


R = ResidenceStatus

ORIGINS: tuple[Origin, ...] = (
    Origin(
        "SY",
        16,
        Weighted([(FakerNames("ar_AA"), 35), (ARABIC_LATIN, 45), (KURDISH_LATIN, 20)]),
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
        Weighted([(FakerNames("uk_UA"), 40), (FakerNames("uk_UA", "uk"), 60)]),
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
        Weighted([(FakerNames("ar_AA"), 25), (ARABIC_LATIN, 35), (KURDISH_LATIN, 40)]),
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
        Weighted([(FakerNames("tr_TR"), 80), (KURDISH_LATIN, 20)]),
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
        Weighted([(FakerNames("fa_IR"), 35), (PERSIAN_LATIN, 65)]),
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
                (FakerNames("en_NG"), 30),
                (FakerNames("yo_NG"), 25),
                (FakerNames("ig_NG"), 25),
                (FakerNames("ha_NG"), 20),
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
        Weighted([(FakerNames("ro_RO"), 1)]),
        Weighted([("Rumänisch", 85), ("Rumänisch, Romanes", 15)]),
        Weighted([(R.EU_FREE_MOVEMENT, 95), (R.UNCLEAR, 5)]),
        0.4,
        arrival_years_back=12,
    ),
    Origin(
        "BG",
        5,
        Weighted([(FakerNames("bg_BG", "bg"), 80), (FakerNames("bg_BG"), 20)]),
        Weighted([("Bulgarisch", 70), ("Bulgarisch, Türkisch", 30)]),
        Weighted([(R.EU_FREE_MOVEMENT, 95), (R.UNCLEAR, 5)]),
        0.45,
        arrival_years_back=12,
    ),
    Origin(
        "PL",
        4,
        Weighted([(FakerNames("pl_PL"), 1)]),
        Weighted([("Polnisch", 90), ("Polnisch, Englisch", 10)]),
        Weighted([(R.EU_FREE_MOVEMENT, 97), (R.UNCLEAR, 3)]),
        0.25,
        arrival_years_back=15,
    ),
    Origin(
        "VN",
        3,
        Weighted([(FakerNames("vi_VN"), 1)]),
        Weighted([("Vietnamesisch", 85), ("Vietnamesisch, Englisch", 15)]),
        Weighted([(R.WORK_STUDY, 40), (R.FAMILY, 35), (R.SETTLEMENT, 25)]),
        0.5,
        arrival_years_back=15,
    ),
    Origin(
        "RU",
        4,
        Weighted([(FakerNames("ru_RU"), 40), (FakerNames("ru_RU", "ru"), 60)]),
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
        Weighted([("Arabisch, Französisch", 60), ("Arabisch", 25), ("Tamazight, Arabisch", 15)]),
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
)


# --------------------------------------------------------------------------------------------
# Clients

# Intake dates reach back about two and a half years.
HISTORY_DAYS = 913

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
HOUSE_NUMBER_SUFFIXES = ("", "", "", "", "a", "b")

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

TOPIC_COUNTS = (1, 1, 2, 2, 2, 3)
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
INTAKE_CONTACT_NOTE = "Erstgespräch, Anliegen aufgenommen."
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
# Follow-up after a referral when it is not the default two weeks.
OTHER_FOLLOW_UP_DAYS = (7, 21, 28)


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
