"""The data model of KIM Admin. Importing this package registers every table."""

from models.audit import AuditAction, AuditEvent
from models.barrier import Barrier
from models.base import Base
from models.case import Case, Contact, case_topic
from models.catalogue import BarrierCategory, Partner, Topic
from models.client import Client
from models.login_attempt import LoginAttempt
from models.numbering import NumberSequence
from models.organisation import Organisation
from models.owned import OrgOwned
from models.referral import Referral
from models.retention import RetentionLogEntry
from models.user import User

__all__ = [
    "AuditAction",
    "AuditEvent",
    "Barrier",
    "BarrierCategory",
    "Base",
    "Case",
    "Client",
    "Contact",
    "LoginAttempt",
    "NumberSequence",
    "OrgOwned",
    "Organisation",
    "Partner",
    "Referral",
    "RetentionLogEntry",
    "Topic",
    "User",
    "case_topic",
]

# The generation of the counted data (its table, and the session events that replace it).
import models.statistics.generation  # noqa: F401
