"""The shared catalogue: the eight KIM organisations, barrier categories, topics and partners."""

# German typography: the en dash in names is intended.

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import BarrierCategory, Organisation, Partner, Topic
from models.choices import BenefitsDomain, PartnerKind


@dataclass(frozen=True)
class OrganisationSeed:
    slug: str
    name: str
    partner_name: str
    street: str
    postcode: str
    phone: str
    website: str | None


@dataclass(frozen=True)
class EntrySeed:
    """A barrier category or topic."""

    name: str
    description: str
    sort_order: int


@dataclass(frozen=True)
class PartnerSeed:
    name: str
    kind: PartnerKind
    street: str
    postcode: str
    phone: str
    website: str
    benefits_domain: BenefitsDomain | None = None
    contact_person: str | None = None
    email: str | None = None


KIM_PARTNER_PREFIX = "KIM Case Management – "

ORGANISATIONS: tuple[OrganisationSeed, ...] = (
    OrganisationSeed(
        "amt",
        "Amt für Migration und Integration (Landeshauptstadt Düsseldorf)",
        KIM_PARTNER_PREFIX + "Amt für Migration und Integration",
        "Willi-Becker-Allee 7",
        "40227",
        "0211 89-21000",
        "https://www.duesseldorf.de/migration",
    ),
    OrganisationSeed(
        "agb",
        "AGB Düsseldorf",
        KIM_PARTNER_PREFIX + "AGB Düsseldorf",
        "Kölner Straße 265",
        "40227",
        "0211 17 93 40",
        None,
    ),
    OrganisationSeed(
        "awo",
        "AWO Düsseldorf",
        KIM_PARTNER_PREFIX + "AWO Düsseldorf",
        "Liststraße 2",
        "40470",
        "0211 60 02 50",
        "https://www.awo-duesseldorf.de",
    ),
    OrganisationSeed(
        "caritas",
        "Caritas Düsseldorf",
        KIM_PARTNER_PREFIX + "Caritas Düsseldorf",
        "Hubertusstraße 5",
        "40219",
        "0211 16 02 0",
        "https://www.caritas-duesseldorf.de",
    ),
    OrganisationSeed(
        "drk",
        "DRK Düsseldorf",
        KIM_PARTNER_PREFIX + "DRK Düsseldorf",
        "Kölner Landstraße 169",
        "40591",
        "0211 22 99 0",
        "https://www.drk-duesseldorf.de",
    ),
    OrganisationSeed(
        "diakonie",
        "Diakonie Düsseldorf",
        KIM_PARTNER_PREFIX + "Diakonie Düsseldorf",
        "Platz der Diakonie 1",
        "40233",
        "0211 73 53 0",
        "https://www.diakonie-duesseldorf.de",
    ),
    OrganisationSeed(
        "jg",
        "Jüdische Gemeinde Düsseldorf",
        KIM_PARTNER_PREFIX + "Jüdische Gemeinde Düsseldorf",
        "Paul-Spiegel-Platz 1",
        "40476",
        "0211 46 91 20",
        "https://www.jgdus.de",
    ),
    OrganisationSeed(
        "mkf",
        "Multikulturelles Forum",
        KIM_PARTNER_PREFIX + "Multikulturelles Forum",
        "Oberbilker Allee 176",
        "40227",
        "0211 73 77 10",
        "https://www.multikulti-forum.de",
    ),
)

# Barrier categories: what stands in the way, phrased as a property of the system, not the person.
CAT_PROCESSING_TIME = "Lange Bearbeitungszeiten bei Behörden"
CAT_RESPONSIBILITY = "Unklare Zuständigkeiten"
CAT_LANGUAGE = "Fehlende Sprachmittlung"
CAT_DIGITAL = "Digitale Zugangshürden"
CAT_RECOGNITION = "Anerkennung ausländischer Abschlüsse"
CAT_HOUSING = "Wohnungsmarkt und Wohnraum"
CAT_APPOINTMENT = "Terminvergabe Ausländerbehörde"
CAT_CHILDCARE = "Fehlende Kinderbetreuung"
CAT_COURSE_WAIT = "Wartezeiten Integrationskurs"
CAT_BANK = "Kontoeröffnung"
CAT_HEALTH = "Krankenversicherung und Gesundheitsversorgung"
CAT_DISCRIMINATION = "Diskriminierung"
CAT_DOCUMENTS = "Fehlende Dokumente"
CAT_SCHOOL = "Schulplatzvergabe"
CAT_WORK_PERMIT = "Beschäftigungserlaubnis"
CAT_FORMS = "Komplexe Antragsverfahren"

BARRIER_CATEGORIES: tuple[EntrySeed, ...] = (
    EntrySeed(
        CAT_PROCESSING_TIME,
        "Anträge bleiben über Wochen oder Monate unbearbeitet, Leistungen und Bescheide verzögern "
        "sich.",
        10,
    ),
    EntrySeed(
        CAT_RESPONSIBILITY,
        "Behörden oder Rechtskreise verweisen aufeinander, niemand fühlt sich für das Anliegen "
        "zuständig.",
        20,
    ),
    EntrySeed(
        CAT_LANGUAGE,
        "Für Termine, Bescheide oder Beratung steht keine Dolmetschung oder Übersetzung zur "
        "Verfügung.",
        30,
    ),
    EntrySeed(
        CAT_DIGITAL,
        "Verfahren sind nur online möglich und setzen Geräte, Konten oder digitale Kenntnisse "
        "voraus.",
        40,
    ),
    EntrySeed(
        CAT_RECOGNITION,
        "Die Anerkennung von Berufs- und Studienabschlüssen ist langwierig, teuer oder nicht "
        "möglich.",
        50,
    ),
    EntrySeed(
        CAT_HOUSING,
        "Bezahlbarer Wohnraum fehlt; Vermietende lehnen Menschen mit Leistungsbezug oder ohne "
        "Schufa ab.",
        60,
    ),
    EntrySeed(
        CAT_APPOINTMENT,
        "Termine bei der Ausländerbehörde sind kaum oder nur mit monatelanger Wartezeit zu "
        "bekommen.",
        70,
    ),
    EntrySeed(
        CAT_CHILDCARE,
        "Ohne Kita- oder OGS-Platz können Eltern keinen Sprachkurs und keine Arbeit aufnehmen.",
        80,
    ),
    EntrySeed(
        CAT_COURSE_WAIT,
        "Integrations- und Berufssprachkurse sind ausgebucht oder beginnen erst nach langer "
        "Wartezeit.",
        90,
    ),
    EntrySeed(
        CAT_BANK,
        "Banken verweigern das Basiskonto, etwa wegen fehlender Ausweisdokumente oder "
        "Meldeadresse.",
        100,
    ),
    EntrySeed(
        CAT_HEALTH,
        "Der Zugang zu Krankenversicherung, Fachärzt*innen oder Psychotherapie ist ungeklärt oder "
        "blockiert.",
        110,
    ),
    EntrySeed(
        CAT_DISCRIMINATION,
        "Benachteiligung wegen Herkunft, Sprache, Religion oder Aufenthaltsstatus bei Ämtern, "
        "Arbeit oder Wohnen.",
        120,
    ),
    EntrySeed(
        CAT_DOCUMENTS,
        "Pass, Geburtsurkunde oder Zeugnisse fehlen und sind aus dem Herkunftsland kaum zu "
        "beschaffen.",
        130,
    ),
    EntrySeed(
        CAT_SCHOOL,
        "Schulpflichtige Kinder warten lange auf einen Schulplatz oder einen Platz in einer "
        "Sprachfördergruppe.",
        140,
    ),
    EntrySeed(
        CAT_WORK_PERMIT,
        "Die Erlaubnis zur Beschäftigung wird verzögert erteilt oder ist an kurze Fristen "
        "gebunden.",
        150,
    ),
    EntrySeed(
        CAT_FORMS,
        "Formulare und Nachweispflichten sind so umfangreich, dass Anträge ohne Begleitung "
        "scheitern.",
        160,
    ),
)

TOPIC_RESIDENCE = "Aufenthalt"
TOPIC_WORK = "Arbeit und Beruf"
TOPIC_LANGUAGE = "Sprache"
TOPIC_EDUCATION = "Bildung und Schule"
TOPIC_HOUSING = "Wohnen"
TOPIC_HEALTH = "Gesundheit"
TOPIC_BENEFITS = "Existenzsicherung und Leistungen"
TOPIC_FAMILY = "Familie und Kinder"
TOPIC_RECOGNITION = "Anerkennung"
TOPIC_PARTICIPATION = "Gesellschaftliche Teilhabe"
TOPIC_DEBT = "Finanzen und Schulden"

TOPICS: tuple[EntrySeed, ...] = (
    EntrySeed(
        TOPIC_RESIDENCE,
        "Aufenthaltstitel, Verlängerungen, Passbeschaffung und Einbürgerung.",
        10,
    ),
    EntrySeed(TOPIC_WORK, "Arbeitssuche, Ausbildung, Praktika und Beschäftigungserlaubnis.", 20),
    EntrySeed(TOPIC_LANGUAGE, "Integrationskurse, Berufssprachkurse und Sprachförderung.", 30),
    EntrySeed(
        TOPIC_EDUCATION,
        "Schulplätze, Seiteneinstieg, Schulabschlüsse und Weiterbildung.",
        40,
    ),
    EntrySeed(TOPIC_HOUSING, "Wohnungssuche, Mietverhältnisse und Auszug aus Unterkünften.", 50),
    EntrySeed(
        TOPIC_HEALTH,
        "Krankenversicherung, ärztliche und psychosoziale Versorgung.",
        60,
    ),
    EntrySeed(
        TOPIC_BENEFITS,
        "Bürgergeld, Sozialhilfe, AsylbLG, Kindergeld und weitere Leistungen.",
        70,
    ),
    EntrySeed(TOPIC_FAMILY, "Kinderbetreuung, Familiennachzug und Erziehungsfragen.", 80),
    EntrySeed(
        TOPIC_RECOGNITION,
        "Anerkennung ausländischer Berufs- und Studienabschlüsse.",
        90,
    ),
    EntrySeed(
        TOPIC_PARTICIPATION,
        "Vereine, Ehrenamt, Freizeitangebote und Nachbarschaft.",
        100,
    ),
    EntrySeed(TOPIC_DEBT, "Schulden, Kontoführung, Verträge und Verbraucherschutz.", 110),
)

# Partner names the demo seed refers to.
P_JOBCENTER = "Jobcenter Düsseldorf"
P_AGENTUR = "Agentur für Arbeit Düsseldorf"
P_AUSLAENDERBEHOERDE = "Ausländerbehörde (Amt für Migration und Integration)"
P_FAMILIENKASSE = "Familienkasse Nordrhein-Westfalen West"
P_JUGENDAMT = "Jugendamt Düsseldorf"
P_SOZIALAMT = "Amt für Soziales – Sozialhilfe und Grundsicherung"
P_WOHNUNGSAMT = "Amt für Wohnungswesen Düsseldorf"
P_GESUNDHEITSAMT = "Gesundheitsamt Düsseldorf"
P_VHS = "Volkshochschule Düsseldorf – Integrationskurse"
P_SPRACHSCHULE = "Sprachinstitut am Rhein – Integrations- und Berufssprachkurse"
P_MBE = "Migrationsberatung für erwachsene Zugewanderte (MBE)"
P_JMD = "Jugendmigrationsdienst Düsseldorf"
P_IQ = "IQ Netzwerk NRW – Anerkennungs- und Qualifizierungsberatung Düsseldorf"
P_SCHULDNER = "Schuldner- und Insolvenzberatung Düsseldorf"
P_BUERGERBUERO = "Bürgerbüro Düsseldorf-Mitte"
P_VERBRAUCHER = "Verbraucherzentrale NRW – Beratungsstelle Düsseldorf"
P_SCHULAMT = "Schulamt für die Stadt Düsseldorf – Seiteneinstieg"
P_PSZ = "Psychosoziales Zentrum für Flüchtlinge Düsseldorf"
P_KRANKENKASSE = "Gesetzliche Krankenkasse – Servicecenter Düsseldorf"
P_MIETERVEREIN = "Mieterverein Düsseldorf"
P_KITA = "Kita-Servicestelle des Jugendamts"
P_FRAUEN = "Frauenberatungsstelle Düsseldorf"
P_EHRENAMT = "Ehrenamtsbörse Düsseldorf – Patenschaften für Geflüchtete"
P_SPORT = "Stadtsportbund Düsseldorf – Integration durch Sport"
P_ANTIDISKRIMINIERUNG = "Servicestelle Antidiskriminierungsarbeit Düsseldorf"

PARTNERS: tuple[PartnerSeed, ...] = (
    PartnerSeed(
        P_JOBCENTER,
        PartnerKind.JOBCENTER,
        "Luisenstraße 105",
        "40215",
        "0211 69 07 0",
        "https://www.jobcenter-duesseldorf.de",
        BenefitsDomain.SGB_II,
        contact_person="Team Migration und Integration",
    ),
    PartnerSeed(
        P_AGENTUR,
        PartnerKind.JOBCENTER,
        "Grafenberger Allee 300",
        "40237",
        "0800 4 5555 00",
        "https://www.arbeitsagentur.de/vor-ort/duesseldorf",
        BenefitsDomain.SGB_III,
        contact_person="Berufsberatung für Zugewanderte",
    ),
    PartnerSeed(
        P_AUSLAENDERBEHOERDE,
        PartnerKind.AUTHORITY,
        "Willi-Becker-Allee 7",
        "40227",
        "0211 89-21800",
        "https://www.duesseldorf.de/auslaenderamt",
    ),
    PartnerSeed(
        P_FAMILIENKASSE,
        PartnerKind.AUTHORITY,
        "Grafenberger Allee 300",
        "40237",
        "0800 4 5555 30",
        "https://www.arbeitsagentur.de/familie-und-kinder",
    ),
    PartnerSeed(
        P_JUGENDAMT,
        PartnerKind.AUTHORITY,
        "Willi-Becker-Allee 7",
        "40227",
        "0211 89-95100",
        "https://www.duesseldorf.de/jugendamt",
    ),
    PartnerSeed(
        P_SOZIALAMT,
        PartnerKind.AUTHORITY,
        "Willi-Becker-Allee 8",
        "40227",
        "0211 89-92200",
        "https://www.duesseldorf.de/soziales",
        BenefitsDomain.SGB_XII,
    ),
    PartnerSeed(
        P_WOHNUNGSAMT,
        PartnerKind.HOUSING,
        "Brinckmannstraße 5",
        "40225",
        "0211 89-92250",
        "https://www.duesseldorf.de/wohnungswesen",
        contact_person="Wohnberechtigungsschein und Wohnungsvermittlung",
    ),
    PartnerSeed(
        P_GESUNDHEITSAMT,
        PartnerKind.HEALTH,
        "Kölner Straße 180",
        "40227",
        "0211 89-92600",
        "https://www.duesseldorf.de/gesundheitsamt",
    ),
    PartnerSeed(
        P_VHS,
        PartnerKind.EDUCATION,
        "Bertha-von-Suttner-Platz 1",
        "40227",
        "0211 89-94150",
        "https://www.duesseldorf.de/vhs",
        contact_person="Einstufung Integrationskurse",
    ),
    PartnerSeed(
        P_SPRACHSCHULE,
        PartnerKind.EDUCATION,
        "Kölner Straße 112",
        "40227",
        "0211 68 77 40",
        "https://sprachinstitut-am-rhein.example.org",
    ),
    PartnerSeed(
        P_MBE,
        PartnerKind.COUNSELLING,
        "Kurfürstenstraße 8",
        "40211",
        "0211 36 11 80",
        "https://www.bamf.de/mbe",
    ),
    PartnerSeed(
        P_JMD,
        PartnerKind.COUNSELLING,
        "Ackerstraße 144",
        "40233",
        "0211 67 11 40",
        "https://www.jugendmigrationsdienste.de",
        contact_person="Beratung für junge Menschen von 12 bis 27 Jahren",
    ),
    PartnerSeed(
        P_IQ,
        PartnerKind.COUNSELLING,
        "Oststraße 41",
        "40211",
        "0211 17 52 80",
        "https://www.netzwerk-iq.de",
        contact_person="Anerkennungsberatung",
    ),
    PartnerSeed(
        P_SCHULDNER,
        PartnerKind.COUNSELLING,
        "Klosterstraße 88",
        "40211",
        "0211 89-98610",
        "https://www.duesseldorf.de/schuldnerberatung",
    ),
    PartnerSeed(
        P_BUERGERBUERO,
        PartnerKind.AUTHORITY,
        "Marktplatz 2",
        "40213",
        "0211 89-91",
        "https://www.duesseldorf.de/buergerbueros",
    ),
    PartnerSeed(
        P_VERBRAUCHER,
        PartnerKind.COUNSELLING,
        "Oststraße 165",
        "40210",
        "0211 38 09 500",
        "https://www.verbraucherzentrale.nrw/beratungsstellen/duesseldorf",
    ),
    PartnerSeed(
        P_SCHULAMT,
        PartnerKind.EDUCATION,
        "Willi-Becker-Allee 10",
        "40227",
        "0211 89-27100",
        "https://www.duesseldorf.de/schulamt",
        contact_person="Kommunales Integrationszentrum, Seiteneinstiegsberatung",
    ),
    PartnerSeed(
        P_PSZ,
        PartnerKind.HEALTH,
        "Benrather Straße 7",
        "40213",
        "0211 54 47 17 0",
        "https://www.psz-duesseldorf.de",
    ),
    PartnerSeed(
        P_KRANKENKASSE,
        PartnerKind.HEALTH,
        "Kasernenstraße 61",
        "40213",
        "0211 87 91 0",
        "https://krankenkasse-duesseldorf.example.org",
        contact_person="Mitgliederservice",
    ),
    PartnerSeed(
        P_MIETERVEREIN,
        PartnerKind.HOUSING,
        "Oststraße 47",
        "40211",
        "0211 16 99 60",
        "https://www.mieterverein-duesseldorf.de",
    ),
    PartnerSeed(
        P_KITA,
        PartnerKind.AUTHORITY,
        "Willi-Becker-Allee 7",
        "40227",
        "0211 89-95200",
        "https://www.duesseldorf.de/kita",
        contact_person="Kita-Platz-Vermittlung",
    ),
    PartnerSeed(
        P_FRAUEN,
        PartnerKind.COUNSELLING,
        "Talstraße 22",
        "40217",
        "0211 68 68 54",
        "https://www.frauenberatungsstelle.de",
    ),
    PartnerSeed(
        P_EHRENAMT,
        PartnerKind.ASSOCIATION,
        "Lindenstraße 173",
        "40233",
        "0211 15 87 90",
        "https://ehrenamt-duesseldorf.example.org",
        contact_person="Koordination Patenschaften",
    ),
    PartnerSeed(
        P_SPORT,
        PartnerKind.ASSOCIATION,
        "Arena-Straße 1",
        "40474",
        "0211 56 61 40",
        "https://integration.dosb.de",
    ),
    PartnerSeed(
        P_ANTIDISKRIMINIERUNG,
        PartnerKind.COUNSELLING,
        "Bilker Allee 180",
        "40217",
        "0211 30 20 50",
        "https://antidiskriminierung-duesseldorf.example.org",
    ),
)


def seed_catalogue(session: Session) -> dict[str, Organisation]:
    """Insert the organisations and the shared catalogue; entries that exist are left alone.

    Returns the eight organisations by slug. Flushes, does not commit.
    """
    organisations = {
        organisation.slug: organisation for organisation in session.scalars(select(Organisation))
    }
    for seed in ORGANISATIONS:
        if seed.slug not in organisations:
            organisation = Organisation(slug=seed.slug, name=seed.name)
            session.add(organisation)
            organisations[seed.slug] = organisation
    session.flush()

    for model, entries in ((BarrierCategory, BARRIER_CATEGORIES), (Topic, TOPICS)):
        existing = set(session.scalars(select(model.name)))
        session.add_all(
            model(name=entry.name, description=entry.description, sort_order=entry.sort_order)
            for entry in entries
            if entry.name not in existing
        )

    existing_partners = set(session.scalars(select(Partner.name)))
    session.add_all(
        Partner(
            name=seed.name,
            kind=seed.kind.value,
            benefits_domain=seed.benefits_domain.value if seed.benefits_domain else None,
            street=seed.street,
            postcode=seed.postcode,
            city="Düsseldorf",
            phone=seed.phone,
            email=seed.email,
            website=seed.website,
            contact_person=seed.contact_person,
        )
        for seed in PARTNERS
        if seed.name not in existing_partners
    )
    session.add_all(
        Partner(
            name=seed.partner_name,
            kind=PartnerKind.KIM_PROVIDER.value,
            street=seed.street,
            postcode=seed.postcode,
            city="Düsseldorf",
            phone=seed.phone,
            email=f"kim.{seed.slug}@example.org",
            website=seed.website,
            contact_person="Teamleitung KIM Case Management",
            organisation_id=organisations[seed.slug].id,
        )
        for seed in ORGANISATIONS
        if seed.partner_name not in existing_partners
    )
    session.flush()
    return {seed.slug: organisations[seed.slug] for seed in ORGANISATIONS}
