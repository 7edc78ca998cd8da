"""The plugin's own tables. The host's data stays in the host's tables (see sources.py)."""

from .accounts import AccountLanguage
from .base import check_in, new_id
from .consent import (
    ConsentEvent,
    ConsentMethod,
    OrgPolicy,
    OrgTrainingPolicy,
    PrivacyPreferences,
    Purpose,
    SubjectType,
)
from .cookies import (
    CookieConsentLink,
    CookieConsentMethod,
    CookieConsentRecord,
    CookiePolicyVersion,
)
from .deletion import (
    PSEUDONYM_PREFIX,
    Deletion,
    ErasureAction,
    ErasureStep,
    LegalHold,
    RetentionSweep,
    StepKind,
    StepStatus,
)
from .dpa import DpaNegotiated, DpaNotice, DpaSignature
from .jobs import (
    AccountSession,
    AuditEvent,
    AuditHead,
    BackgroundJob,
    JobStatus,
)
from .requests import (
    OPEN_SQL,
    OPEN_STATUSES,
    STATUTORY_TYPES,
    Jurisdiction,
    PrivacyRequest,
    PrivacyRequestEvent,
    RequestNote,
    RequestStatus,
    RequestType,
)
from .subprocessors import (
    ObjectionStatus,
    SubprocessorNotice,
    SubprocessorObjection,
    SubprocessorSubscription,
)

__all__ = [
    "OPEN_SQL",
    "PSEUDONYM_PREFIX",
    "AccountLanguage",
    "AccountSession",
    "AuditEvent",
    "AuditHead",
    "BackgroundJob",
    "ConsentEvent",
    "ConsentMethod",
    "CookieConsentLink",
    "CookieConsentMethod",
    "CookieConsentRecord",
    "CookiePolicyVersion",
    "Deletion",
    "DpaNegotiated",
    "DpaNotice",
    "DpaSignature",
    "ErasureAction",
    "ErasureStep",
    "JobStatus",
    "Jurisdiction",
    "LegalHold",
    "ObjectionStatus",
    "OPEN_STATUSES",
    "STATUTORY_TYPES",
    "OrgPolicy",
    "OrgTrainingPolicy",
    "PrivacyPreferences",
    "PrivacyRequest",
    "PrivacyRequestEvent",
    "Purpose",
    "RequestNote",
    "RequestStatus",
    "RequestType",
    "RetentionSweep",
    "StepKind",
    "StepStatus",
    "SubjectType",
    "SubprocessorNotice",
    "SubprocessorObjection",
    "SubprocessorSubscription",
    "check_in",
    "new_id",
]
