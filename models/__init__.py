"""The data model of KIM Admin. Importing this package registers every table."""

from models.audit import AuditAction, AuditEvent
from models.barrier import Barrier
from models.base import Base
from models.case import Case, Contact, case_topic
from models.catalogue import BarrierCategory, Partner, Topic
from models.client import Client
from models.consent import Consent, ConsentTemplate, consent_recipient
from models.consent_withdrawal import withdraw as withdraw_consent
from models.login_attempt import LoginAttempt
from models.numbering import NumberSequence
from models.organisation import Organisation
from models.owned import OrgOwned
from models.plan import IntegrationPlan, PlanGoal, PlanStep
from models.referral import Referral
from models.retention import RetentionLogEntry
from models.status_history import StatusPeriod
from models.structural import AgendaItem, Measure, Meeting, StructuralIssue, WorkingGroup
from models.tasks import Task
from models.user import User

__all__ = [
    "AgendaItem",
    "AuditAction",
    "AuditEvent",
    "Barrier",
    "BarrierCategory",
    "Base",
    "Case",
    "Client",
    "Consent",
    "ConsentTemplate",
    "Contact",
    "IntegrationPlan",
    "LoginAttempt",
    "Measure",
    "Meeting",
    "NumberSequence",
    "OrgOwned",
    "Organisation",
    "Partner",
    "PlanGoal",
    "PlanStep",
    "Referral",
    "RetentionLogEntry",
    "StatusPeriod",
    "StructuralIssue",
    "Task",
    "Topic",
    "User",
    "WorkingGroup",
    "case_topic",
    "consent_recipient",
    "withdraw_consent",
]

# The generation of the counted data (its table, and the session events that replace it).
import models.statistics.generation  # noqa: F401
