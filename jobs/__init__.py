"""RQ job functions: each takes a job context (ids only), calls one service, returns what the
job row records. :func:`register` tells an application which function runs which job kind.
"""

from __future__ import annotations

from selfservice.job_registry import JobRegistry
from selfservice.services import (
    account_chain,
    certificates,
    cookie_consent,
    decision_mail,
    decisions,
    deletion_mail,
    dpa_notices,
    erasure,
    erasure_officer,
    notifications,
    own_erasure,
    privacy_requests,
    sessions,
    subprocessor_mail,
    subprocessor_notices,
)
from selfservice.services import deletion as deletion_service
from selfservice.services import diagnostics as diagnostics_service
from selfservice.services import exports as exports_service
from selfservice.services import retention as retention_service

from . import deletion, diagnostics, dpa, exports, mail, retention, subprocessors

#: e-mail job kind -> the service function that sends it (given the job's target id)
MAILS: dict[str, mail.Send] = {
    privacy_requests.ACK_JOB: notifications.send_request_received,
    privacy_requests.READY_JOB: notifications.send_export_ready,
    account_chain.CONFIRMATION_JOB: notifications.send_training_confirmation,
    deletion_service.SCHEDULED_MAIL_JOB: deletion_mail.send_scheduled,
    deletion_service.REMINDER_MAIL_JOB: deletion_mail.send_reminder,
    deletion_service.CANCELED_MAIL_JOB: deletion_mail.send_canceled,
    certificates.MAIL_JOB: certificates.send_completed,
    decisions.DECIDED_MAIL_JOB: decision_mail.send_decided,
    decisions.EXTENDED_MAIL_JOB: decision_mail.send_extended,
    decisions.MESSAGE_MAIL_JOB: decision_mail.send_message,
}
#: e-mail job kind -> the service function that sends it to one of several recipients (given
#: the job's target id and the recipient's account id, from its params)
RECIPIENT_MAILS: dict[str, mail.SendTo] = {
    subprocessor_notices.MAIL_JOB: subprocessor_mail.send_notice,
}


def register(jobs: JobRegistry) -> None:
    """Wire every job kind of the plugin (``init_app`` calls this once per application)."""
    jobs.register(diagnostics_service.PING_JOB, diagnostics.ping)
    jobs.register(privacy_requests.EXPORT_JOB, exports.build_export,
                  on_failed=privacy_requests.job_failed)
    jobs.register(exports_service.SWEEP_JOB, exports.sweep_exports, daily=True)
    jobs.register(cookie_consent.SWEEP_JOB, retention.sweep_cookie_consents, daily=True)
    jobs.register(sessions.SWEEP_JOB, retention.sweep_sessions, daily=True)
    jobs.register(retention_service.SWEEP_JOB, retention.sweep_sources, daily=True)
    jobs.register(erasure.ERASE_JOB, deletion.erase, on_failed=erasure_officer.job_failed)
    jobs.register(own_erasure.PROOF_SWEEP_JOB, deletion.sweep_erased_proof, daily=True)
    jobs.register(subprocessor_notices.NOTIFY_JOB, subprocessors.notify,
                  daily_key=subprocessor_notices.announcement_key)
    jobs.register(dpa_notices.ANNOUNCE_JOB, dpa.announce_version, daily=True)
    jobs.register(dpa_notices.MAIL_JOB, dpa.new_version_mail)
    for kind, send in MAILS.items():
        jobs.register(kind, mail.about_target(send))
    for kind, send_to in RECIPIENT_MAILS.items():
        jobs.register(kind, mail.to_recipient(send_to))
