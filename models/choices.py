"""Closed vocabularies of the domain: a stable code in the database, a German label on screen."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint

from models.countries import COUNTRY_NAMES


class Choice(enum.StrEnum):
    """A string enum whose members carry a German label (``label``)."""

    _value_: str
    label: str

    if not TYPE_CHECKING:  # members are declared as (code, label); look-ups take the code

        def __new__(cls, code: str, label: str) -> Choice:
            member = str.__new__(cls, code)
            member._value_ = code
            member.label = label
            return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]

    @classmethod
    def labels(cls) -> dict[str, str]:
        return {member.value: member.label for member in cls}

    @classmethod
    def label_of(cls, code: str | None) -> str:
        if code is None or code not in cls._value2member_map_:
            return code or ""
        return cls(code).label

    @classmethod
    def check(cls, column: str) -> CheckConstraint:
        """A CHECK constraint that keeps ``column`` inside this vocabulary."""
        codes = ", ".join(f"'{member.value}'" for member in cls)
        return CheckConstraint(f"{column} IN ({codes})", name=f"{column}_allowed")


class Role(Choice):
    CASE_MANAGER = "case_manager", _l("Case Manager*in")
    ORG_LEAD = "org_lead", _l("Teamleitung")
    COORDINATOR = "coordinator", _l("KIM-Koordination")
    ADMIN = "admin", _l("Administration")

    @property
    def is_case_level(self) -> bool:
        return self in (Role.CASE_MANAGER, Role.ORG_LEAD)


class Gender(Choice):
    FEMALE = "female", _l("weiblich")
    MALE = "male", _l("männlich")
    DIVERSE = "diverse", _l("divers")
    UNSPECIFIED = "unspecified", _l("keine Angabe")


class ResidenceStatus(Choice):
    PERMISSION_TO_REMAIN = "permission_to_remain", _l("Aufenthaltsgestattung")
    TOLERATION = "toleration", _l("Duldung")
    HUMANITARIAN = "humanitarian", _l("Aufenthaltserlaubnis humanitär")
    WORK_STUDY = "work_study", _l("Aufenthaltserlaubnis Erwerb/Studium")
    FAMILY = "family", _l("Aufenthaltserlaubnis Familiennachzug")
    TEMPORARY_PROTECTION = "temporary_protection", _l("vorübergehender Schutz §24 AufenthG")
    SETTLEMENT = "settlement", _l("Niederlassungserlaubnis/Daueraufenthalt")
    EU_FREE_MOVEMENT = "eu_free_movement", _l("EU-Freizügigkeit")
    GERMAN_CITIZEN = "german_citizen", _l("deutsche Staatsangehörigkeit")
    UNCLEAR = "unclear", _l("ungeklärt/sonstiges")


class BenefitsDomain(Choice):
    SGB_II = "sgb2", _l("SGB II")
    SGB_III = "sgb3", _l("SGB III")
    SGB_XII = "sgb12", _l("SGB XII")
    ASYLBLG = "asylblg", _l("AsylbLG")
    NONE = "none", _l("kein Leistungsbezug")
    UNKNOWN = "unknown", _l("unbekannt")


class CasePhase(Choice):
    INTAKE = "intake", _l("Erstkontakt/Clearing")
    ASSESSMENT = "assessment", _l("Assessment")
    PLANNING = "planning", _l("Hilfeplanung")
    MONITORING = "monitoring", _l("Umsetzung/Monitoring")
    EVALUATION = "evaluation", _l("Evaluation")
    DORMANT = "dormant", _l("ruhend")
    CLOSED = "closed", _l("abgeschlossen")


class ClosureReason(Choice):
    GOALS_MET = "goals_met", _l("Ziele erreicht")
    TRANSFERRED = "transferred", _l("an Regelangebot übergeleitet")
    MOVED_AWAY = "moved_away", _l("Wegzug")
    CONTACT_LOST = "contact_lost", _l("Kontaktabbruch")
    PROVIDER_CHANGE = "provider_change", _l("Wechsel des Trägers")
    OTHER = "other", _l("sonstiges")


class ContactKind(Choice):
    IN_PERSON = "in_person", _l("persönlich")
    PHONE = "phone", _l("telefonisch")
    DIGITAL = "digital", _l("digital")
    ACCOMPANIMENT = "accompaniment", _l("Begleitung")
    HOME_VISIT = "home_visit", _l("Hausbesuch")


class BarrierStatus(Choice):
    OPEN = "open", _l("offen")
    SOLVED = "solved", _l("im Einzelfall gelöst")
    REPORTED = "reported", _l("an Systemebene gemeldet")


class ReferralStatus(Choice):
    PLANNED = "planned", _l("geplant")
    SENT = "sent", _l("vermittelt")
    ACCEPTED = "accepted", _l("angenommen")
    DECLINED = "declined", _l("abgelehnt")
    COMPLETED = "completed", _l("abgeschlossen")
    CANCELLED = "cancelled", _l("abgebrochen")


class PartnerKind(Choice):
    AUTHORITY = "authority", _l("Behörde")
    JOBCENTER = "jobcenter", _l("Jobcenter/Arbeitsagentur")
    COUNSELLING = "counselling", _l("Beratungsstelle")
    EDUCATION = "education", _l("Bildung/Sprachkurs")
    HEALTH = "health", _l("Gesundheit")
    HOUSING = "housing", _l("Wohnen")
    ASSOCIATION = "association", _l("Verein/Ehrenamt")
    KIM_PROVIDER = "kim_provider", _l("KIM-Träger")


DISTRICTS: list[tuple[int, str]] = [(number, f"Stadtbezirk {number}") for number in range(1, 11)]


def country_choices() -> list[tuple[str, str]]:
    return list(COUNTRY_NAMES.items())


def country_name(code: str | None) -> str:
    return COUNTRY_NAMES.get(code or "", code or "")


# --- the system level (structural issues, measures, meetings) -----------------------------


class IssueStatus(Choice):
    RECEIVED = "received", _l("eingegangen")
    VALIDATED = "validated", _l("validiert")
    IN_WORKING_GROUP = "in_working_group", _l("in Arbeitsgruppe")
    MEASURE_DECIDED = "measure_decided", _l("Maßnahme beschlossen")
    IN_IMPLEMENTATION = "in_implementation", _l("in Umsetzung")
    IMPLEMENTED = "implemented", _l("umgesetzt")
    EFFECT_CHECKED = "effect_checked", _l("Wirkung geprüft")
    CLOSED = "closed", _l("abgeschlossen")
    DEFERRED = "deferred", _l("zurückgestellt")
    REJECTED = "rejected", _l("kein Strukturthema")
    MERGED = "merged", _l("zusammengeführt")


class IssuePriority(Choice):
    HIGH = "high", _l("hoch")
    MEDIUM = "medium", _l("mittel")
    LOW = "low", _l("niedrig")


class EffectRating(Choice):
    EFFECTIVE = "effective", _l("wirksam")
    PARTLY_EFFECTIVE = "partly_effective", _l("teilweise wirksam")
    NOT_EFFECTIVE = "not_effective", _l("nicht wirksam")
    NOT_ASSESSABLE = "not_assessable", _l("nicht prüfbar")


class MeasureStatus(Choice):
    PLANNED = "planned", _l("geplant")
    IN_IMPLEMENTATION = "in_implementation", _l("in Umsetzung")
    IMPLEMENTED = "implemented", _l("umgesetzt")
    DISCARDED = "discarded", _l("verworfen")


class MeetingKind(Choice):
    STEERING_GROUP = "steering_group", _l("Lenkungsgruppe")
    WORKING_GROUP = "working_group", _l("Arbeitsgruppe")
    PLANNING_CONFERENCE = "planning_conference", _l("Planungskonferenz / Fallkonferenz")


# --- Integrationsplan und Aufgaben (issue 15) ---------------------------------------------


class PlanStatus(Choice):
    DRAFT = "draft", _l("Entwurf")
    AGREED = "agreed", _l("vereinbart")
    SUPERSEDED = "superseded", _l("abgelöst")


class AgreementForm(Choice):
    ORAL = "oral", _l("mündlich")
    SIGNED = "signed", _l("schriftlich unterschrieben")
    DIGITAL = "digital", _l("digital")


class GoalStatus(Choice):
    OPEN = "open", _l("offen")
    IN_PROGRESS = "in_progress", _l("in Arbeit")
    ACHIEVED = "achieved", _l("erreicht")
    PARTLY_ACHIEVED = "partly_achieved", _l("teilweise erreicht")
    NOT_ACHIEVED = "not_achieved", _l("nicht erreicht")
    DISCARDED = "discarded", _l("verworfen")


class StepResponsible(Choice):
    CLIENT = "client", _l("Klient*in")
    CASE_MANAGER = "case_manager", _l("Case Manager*in")
    PARTNER = "partner", _l("Partner")
    RELATIVE = "relative", _l("Angehörige*r")


class TaskKind(Choice):
    FOLLOW_UP = "follow_up", _l("Wiedervorlage")
    PLAN_REVIEW = "plan_review", _l("Planüberprüfung")
    AUTHORITY_DEADLINE = "authority_deadline", _l("Frist einer Behörde")
    CONSENT_EXPIRY = "consent_expiry", _l("Einwilligung läuft ab")
    CALL_BACK = "call_back", _l("Rückruf")
    ACCOMPANIMENT = "accompaniment", _l("Begleitung")
    OTHER = "other", _l("sonstiges")


class TaskSource(Choice):
    """Where an automatic task comes from; a manual task has none."""

    PLAN_STEP = "plan_step", _l("Schritt im Integrationsplan")
    PLAN_REVIEW = "plan_review", _l("Überprüfung des Integrationsplans")
    REFERRAL = "referral", _l("Wiedervorlage einer Vermittlung")
    NO_CONTACT = "no_contact", _l("kein Kontakt seit längerer Zeit")
    CONSENT = "consent", _l("Ablauf einer Einwilligung")
    RESIDENCE_TITLE = "residence_title", _l("Ablauf eines Aufenthaltstitels")


class TaskStatus(Choice):
    OPEN = "open", _l("offen")
    DONE = "done", _l("erledigt")
    CANCELLED = "cancelled", _l("entfallen")


# --- issue 16: status periods across legal domains, consents as records -------------------


class StatusKind(Choice):
    RESIDENCE = "residence", _l("Aufenthaltsstatus")
    BENEFITS = "benefits", _l("Rechtskreis")
    OFFICE = "office", _l("zuständige Stelle")


class StatusSource(Choice):
    DOCUMENT = "document", _l("Dokument eingesehen")
    SELF_REPORT = "self_report", _l("Angabe der Person")
    UNRECORDED = "unrecorded", _l("nicht erfasst (übernommen)")


class ConsentKind(Choice):
    PROCESSING = "processing", _l("Verarbeitung im Case Management")
    DISCLOSURE = "disclosure", _l("Weitergabe an eine Stelle")
    CONFIDENTIALITY = "confidentiality", _l("Schweigepflichtentbindung")
    STATISTICS = "statistics", _l("Statistik")

    @property
    def has_recipients(self) -> bool:
        return self in (ConsentKind.DISCLOSURE, ConsentKind.CONFIDENTIALITY)


class ConsentPurpose(Choice):
    CASE_MANAGEMENT = "case_management", _l("Begleitung im Case Management")
    SUPPORT = "support", _l("Vermittlung und Unterstützung durch die empfangende Stelle")
    BENEFITS = "benefits", _l("Klärung von Leistungsansprüchen")
    RESIDENCE = "residence", _l("Klärung aufenthaltsrechtlicher Fragen")
    WORK = "work", _l("Arbeit, Ausbildung und Anerkennung")
    HEALTH = "health", _l("gesundheitliche Versorgung")
    HOUSING = "housing", _l("Wohnraumversorgung")
    STATISTICS = "statistics", _l("anonymisierte Statistik")


class DataCategory(Choice):
    IDENTITY = "identity", _l("Name")
    CONTACT = "contact", _l("Kontaktdaten (Telefon, E-Mail, Anschrift)")
    RESIDENCE = "residence", _l("Aufenthaltsstatus")
    BENEFITS = "benefits", _l("Leistungsbezug (Rechtskreis)")
    HOUSEHOLD = "household", _l("Haushalt und Familie")
    WORK = "work", _l("Bildung und Beruf")
    CASE_HISTORY = "case_history", _l("Verlauf und Anliegen")
    HEALTH = "health", _l("Gesundheitsdaten (besondere Kategorie, Art. 9 DSGVO)")

    @property
    def is_special(self) -> bool:
        return self is DataCategory.HEALTH


class ConsentForm(Choice):
    WRITTEN = "written", _l("schriftlich")
    ORAL = "oral", _l("mündlich mit Vermerk")
    DIGITAL = "digital", _l("digital")
    UNRECORDED = "unrecorded", _l("nicht erfasst (übernommen)")


class StatutoryBasis(Choice):
    """A legal basis for a transfer without consent; the label carries its citation."""

    SOCIAL_TASK = "sgb10_69", _l("§ 69 Abs. 1 Nr. 1 SGB X (Erfüllung einer sozialen Aufgabe)")
    CHILD_PROTECTION = "sgb8_8a", _l("§ 8a SGB VIII (Schutzauftrag bei Kindeswohlgefährdung)")
    DUTY_TO_REPORT = "aufenthg_87", _l("§ 87 AufenthG (Übermittlungspflicht)")
    EMERGENCY = "sgb10_68", _l("§ 68 SGB X (Gefahrenabwehr)")
