"""Every table, one module per capability. Importing this package registers them all (for Alembic and
the schema test), and callers import models from here: ``from directory.models import Service``."""

from ..core.meta import AppMeta
from ..core.outbox import OutboundMail
from ..core.personal_data import PersonalDataOverride
from .accounts import User
from .backlog import BacklogEvent, BacklogItem, GapFlag, LsoaMsoa
from .gaps import Deprivation, GapRun, GapScore, LadOutline, Lsoa, LsoaLookup
from .groups import GroupToken, ListingClaim, ListingRequest, PendingChange
from .imports import ExternalRecord, ImportEvidence, ImportRun, ImportSource, MergeCandidate
from .jobs import JobRun, SchedulerLease, scheduler_job
from .listings import (
    Contact,
    Location,
    Organization,
    Postcode,
    Revision,
    Schedule,
    Service,
    ServiceArea,
    TaxonomyTerm,
    WaitingTimeReport,
    service_at_location,
    service_taxonomy,
)
from .search import DemandEvent, ServiceVector, Synonym
from .verification import ContactOptOut, FollowUp, Reminder

__all__ = [
    "AppMeta", "BacklogEvent", "BacklogItem", "Contact", "ContactOptOut", "DemandEvent", "Deprivation",
    "ExternalRecord", "FollowUp", "GapFlag", "GapRun", "GapScore", "GroupToken", "ImportEvidence", "ImportRun",
    "ImportSource", "JobRun", "LadOutline", "ListingClaim", "ListingRequest", "Location", "Lsoa", "LsoaLookup",
    "LsoaMsoa", "MergeCandidate", "Organization", "OutboundMail", "PendingChange", "PersonalDataOverride", "Postcode",
    "Reminder", "Revision", "Schedule", "SchedulerLease", "Service", "ServiceArea", "ServiceVector", "Synonym",
    "TaxonomyTerm", "User", "WaitingTimeReport", "scheduler_job", "service_at_location", "service_taxonomy",
]  # fmt: skip
