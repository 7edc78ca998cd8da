"""The table of every ``SELFSERVICE_*`` setting: name -> (default, description).

Kept apart from the reader in ``config.py`` so each capability's keys sit in one readable
list. Grouped by capability; the README's configuration table is generated from it.
"""

from __future__ import annotations

from typing import Any

#: name (without prefix) -> (default, description)
SETTINGS: dict[str, tuple[Any, str]] = {
    # -- database -----------------------------------------------------------------------------
    "DATABASE_URL": (
        None,
        "SQLAlchemy URL of the plugin's own engine. None: use the host's engine "
        "(SELFSERVICE_ENGINE) or, failing that, sqlite in the instance folder.",
    ),
    "ENGINE": (None, "An existing SQLAlchemy Engine of the host to share instead of a URL."),
    "ENGINE_OPTIONS": ({}, "Extra keyword arguments for sqlalchemy.create_engine."),
    "VERSION_TABLE": ("selfservice_alembic_version", "Alembic version table of the plugin."),
    # -- mount points ---------------------------------------------------------------------------
    "REGISTER_BLUEPRINTS": (True, "Mount the plugin's blueprints in init_app; False: the host "
                            "mounts them itself (SelfService.blueprints())."),
    "URL_PREFIX": ("/privacy", "Customer pages."),
    "API_URL_PREFIX": ("/privacy/api/v1", "JSON API."),
    "AUTH_URL_PREFIX": ("/auth", "SSO: login, callback, reauth, logout."),
    "BASE_TEMPLATE": ("selfservice/standalone.html", "Template the plugin's pages extend; set "
                      "it to the console's layout (it must define blocks title and content)."),
    "HOME_ENDPOINT": (None, "Endpoint to land on after logout or when `next` is unusable; "
                      "None: the privacy index page."),
    "ERROR_PAGES": ("plugin", "Where errors (403, 404, 410, 429, 500...) are answered with the "
                    "plugin's page inside BASE_TEMPLATE, with a way back: 'plugin', on the "
                    "plugin's own pages only (a handler the host registered for a status code "
                    "still wins there); 'app', on the host's routes too. The JSON API always "
                    "answers problem+json."),
    "MAX_BODY_BYTES": (65536, "Largest request body, in bytes, of the plugin's pages and API: "
                       "a longer one is refused with 413 before it is read (a chunked one when "
                       "it gets there). The training-eligibility call may be 100 bytes longer "
                       "per id it may ask about (ELIGIBILITY_MAX_IDS). The host's own routes "
                       "keep Flask's MAX_CONTENT_LENGTH."),
    # -- identity and SSO -----------------------------------------------------------------------
    "SSO_ENABLED": (True, "Serve the OpenID Connect login at AUTH_URL_PREFIX. False: the host "
                    "logs users in itself and calls selfservice.record_authentication()."),
    "OIDC_ISSUER": ("http://127.0.0.1:8001", "Issuer URL of the OpenID provider (discovery is "
                    "read from ISSUER/.well-known/openid-configuration)."),
    "OIDC_CLIENT_ID": ("selfservice-demo", "OAuth client id registered at the provider."),
    "OIDC_CLIENT_SECRET": ("selfservice-demo-secret", "OAuth client secret."),
    "OIDC_SCOPE": ("openid email profile", "Scopes requested at login."),
    "OIDC_REDIRECT_URI": (None, "Absolute callback URL registered at the provider; None: "
                          "derived from the request (url_for(..., _external=True))."),
    "OIDC_POST_LOGOUT_REDIRECT_URI": (None, "Where the provider sends the user after logout "
                                      "(must be registered there); None: log out locally only."),
    "OIDC_TIMEOUT": (10, "Seconds to wait for the provider's token and discovery endpoints."),
    "REAUTH_MAX_AGE": (300, "Seconds an authentication counts as fresh for dangerous actions "
                      "(export download, deletion, signing)."),
    "REAUTH_ENDPOINT": (None, "Endpoint of the host's own re-authentication view when "
                        "SSO_ENABLED is False; it receives ?next=."),
    "SESSION_IDLE_DAYS": (30, "Days a sign-in session may go unused before it ends (the next "
                          "request with it is signed out); ended sessions are deleted this "
                          "many days later by a daily job."),
    "CSRF_HEADER": ("X-CSRF-Token", "Header carrying the CSRF token on unsafe API calls."),
    "SERVICE_TOKENS": ({}, "Machine-to-machine bearer tokens: {name: token}. The demo sets "
                       "{'training-pipeline': 'demo-pipeline-token'}."),
    "SUPPORT_ROLE": ("support", "Role name that grants the support console."),
    "PRIVACY_OFFICER_ROLE": ("privacy_officer", "Role name of privacy officers."),
    # -- privacy policy, consent and receipts ---------------------------------------------------
    "POLICY_VERSION": ("2026-05-08", "Version of the privacy policy in force (its \"Last updated\" "
                       "date). Every consent event records it; an API change naming another "
                       "version is refused."),
    "POLICY_URL": (None, "Where the privacy policy is published (shown on the consent pages "
                   "and in receipts)."),
    "CONTROLLER": ({}, "The data controller as receipts name it: {name, email, address, phone, "
                   "url}."),
    "RECEIPT_KEY": (None, "Ed25519 private key that signs consent receipts: PEM text or a path "
                    "to a PEM file. None: a key kept in the instance folder, made on first "
                    "use."),
    "RECEIPT_RETIRED_KEYS": ([], "Public keys (PEM) of earlier receipt keys, still published so "
                             "old receipts keep verifying."),
    "ELIGIBILITY_MAX_IDS": (10000, "Most account ids one training-eligibility call may ask "
                            "about."),
    "ELIGIBILITY_SETTLE": (2.0, "Seconds a moment must lie in the past before eligibility is "
                           "answered as of it (changes still committing get their time "
                           "before they become visible); as_of null means now minus this."),
    "PUBLIC_URL": (None, "The console's external base URL, for links in e-mails (sent by "
                   "workers, outside any request), e.g. https://console.example.com."),
    # -- cookie consent -------------------------------------------------------------------------
    "COOKIES": ([], "The console's cookie registry: a list of {name, provider, purpose, "
                "category (necessary|functional|analytics|marketing), duration, party "
                "(first|third)}; a name ending in * matches a prefix. The plugin adds its own "
                "necessary cookies."),
    "COOKIE_CONSENT_NAME": ("selfservice_consent", "Name of the first-party consent cookie."),
    "COOKIE_CONSENT_ACCEPT_DAYS": (365, "Days a decision that accepts something is kept "
                                   "before the visitor is asked again."),
    "COOKIE_CONSENT_REJECT_DAYS": (182, "Days a refusal of everything optional is kept "
                                   "before the visitor is asked again."),
    "COOKIE_CONSENT_RETENTION_DAYS": (1095, "Days the server keeps a consent id's records "
                                      "after its last decision (proof of consent)."),
    "COOKIE_UNKNOWN": ("block", "What to do with a Set-Cookie whose name is not in the "
                       "registry: block (drop it and log its name) or allow."),
    "COOKIE_TEXTS": ({}, "Cookie banner texts to override, {language: {key: text}}: a "
                     "text given for a language wins over the catalogue's (the keys are "
                     "selfservice/cookie_texts.py's MESSAGES)."),
    "COOKIE_BANNER": (True, "Show the banner and enforce consent on every response of the "
                      "app. False: the plugin only serves the settings and policy pages."),
    "CONTENT_SECURITY_POLICY": (None, "A Content-Security-Policy to send with every response "
                                "that has none, where {nonce} is the request's script nonce "
                                "(csp_nonce() in templates). None: the host sets its own."),
    "GPC_WELL_KNOWN": (True, "Serve /.well-known/gpc.json (the site honours Global Privacy "
                       "Control)."),
    # -- DPA and sub-processors ---------------------------------------------------------------
    "SUBPROCESSORS": ([], "The company's sub-processors, shown on the public sub-processor page "
                      "and in the DPA's Annex III: a list of {name, purpose, location, "
                      "transfer_mechanism, url?, data_categories?}. It is the list before "
                      "every change of SUBPROCESSOR_CHANGES: the list in force on a day is this "
                      "one with the changes effective by then applied."),
    "SUBPROCESSOR_CHANGES": ([], "Announced changes to the sub-processor list, kept as its "
                             "history: a list of {id (yours, stable: part of links and of the "
                             "notices' records), announced_at (day it is published), "
                             "effective_at (day it takes effect), action (add | remove | "
                             "change), name, description (why, for customers), and for add "
                             "or change the entry's fields (purpose, location, "
                             "transfer_mechanism, url?, data_categories?), and "
                             "short_notice_reason? when it gives less notice than "
                             "SUBPROCESSOR_NOTICE_DAYS (without it the app does not start)}. "
                             "Subscribed organisations' owners and admins are e-mailed once "
                             "a change is announced and may object until it takes effect."),
    "SUBPROCESSOR_NOTICE_DAYS": (30, "Days of notice a sub-processor change must give (from "
                                 "announced_at to effective_at), 1 to 365."),
    "DPA_VERSIONS": ([], "The Data Processing Addendum's versions: a list of {version, "
                     "effective (YYYY-MM-DD), template, changes}. The latest in effect is the "
                     "one organisations sign; template is a Jinja template of the document's "
                     "body (the plugin ships selfservice/dpa/standard.html). Empty: no DPA "
                     "pages."),
    "DPA_MEASURES": ([], "The technical and organisational measures of the DPA's Annex II: a "
                     "list of {title, description}."),
    "DPA_SIGNING_KEY": (None, "Private key (RSA of 2048+ bits or EC, unencrypted PEM: text or "
                        "a path) that countersigns signed DPAs as a PAdES PDF signature. None: "
                        "the DPA can be read and downloaded, not signed in the console."),
    "DPA_SIGNING_CERT": (None, "The certificate of DPA_SIGNING_KEY (PEM text or a path), "
                         "followed by its issuing chain, if any."),
    "DPA_NEGOTIATED_MAX_BYTES": (10 * 1024 * 1024, "Largest negotiated DPA, in bytes, a "
                                 "privacy officer may upload (a PDF signed outside the console, "
                                 "kept in the database as uploaded), 1 KiB to 64 MiB. The "
                                 "upload's page and API call take a body this much longer than "
                                 "MAX_BODY_BYTES."),
    "DPA_FONTS": (None, "TrueType fonts of the DPA's PDF: {regular, bold, italic?} paths. "
                  "None: the PDF's built-in Helvetica, which shows Western European "
                  "characters only (other characters in a signer's entries are refused)."),
    # -- exports ------------------------------------------------------------------------------
    "EXPORT_DIR": (None, "Folder of export archives (unguessable names) when STORAGE_URL is "
                   "None. None: exports/ in the instance folder."),
    "EXPORT_TTL_DAYS": (7, "Days an export archive can be downloaded; a daily job deletes it "
                        "after."),
    "EXPORT_INTERVAL_HOURS": (24, "At most one export per account in this many hours (failed "
                              "and canceled ones do not count)."),
    "EXPORT_ABANDONED_AFTER": (86400, "Seconds after which the daily sweep deletes what a "
                               "killed export attempt left: an unfinished archive (a part "
                               "file, a multipart upload) or a finished one no request names. "
                               "More than JOB_TIMEOUT."),
    "EXPORT_SCHEMA_CHECK": ("warn", "What an export does when a sampled record (the first 50 "
                            "of each source, then every 1,000th) does not match its source's "
                            "schema: strict (the export fails, naming the source, field and "
                            "rule, never the value) or warn (log an error and note it under "
                            "the source in manifest.json; the customer still gets the data)."),
    # -- archive storage ------------------------------------------------------------------------
    "STORAGE_URL": (None, "Where export archives are kept. None: the local folder EXPORT_DIR. "
                    "s3://bucket/prefix: S3-compatible object storage (AWS S3, MinIO, Ceph, "
                    "Cloudflare R2, Google Cloud Storage's XML API) that every web process and "
                    "worker reaches; needs the s3 extra (boto3). The prefix belongs to the "
                    "plugin: its sweep deletes archives there that no request names."),
    "STORAGE_ENDPOINT_URL": (None, "The object store's endpoint when it is not AWS S3, e.g. "
                             "http://minio:9000, https://ACCOUNT.r2.cloudflarestorage.com or "
                             "https://storage.googleapis.com. None: AWS S3."),
    "STORAGE_REGION": (None, "The bucket's region (R2: auto). None: boto3's own (AWS_REGION, "
                       "its config file)."),
    "STORAGE_ACCESS_KEY_ID": (None, "Access key of the object store. None: boto3's own chain "
                              "(AWS_ACCESS_KEY_ID, the shared config file, an instance or "
                              "container role)."),
    "STORAGE_SECRET_ACCESS_KEY": (None, "Secret of STORAGE_ACCESS_KEY_ID."),
    "STORAGE_SSE": (None, "Server-side encryption asked for on every archive: AES256 (SSE-S3), "
                    "aws:kms or aws:kms:dsse (SSE-KMS). None: the bucket's default encryption."),
    "STORAGE_SSE_KMS_KEY_ID": (None, "KMS key id or ARN for aws:kms and aws:kms:dsse. None: the "
                               "account's AWS managed key."),
    "STORAGE_ADDRESSING_STYLE": ("auto", "auto, path (ENDPOINT/bucket/key: MinIO, Ceph) or "
                                 "virtual (bucket.ENDPOINT/key)."),
    "STORAGE_PART_SIZE": (8 * 1024 * 1024, "Bytes per part of an archive's multipart upload, "
                          "5 MiB to 5 GiB: an export holds about two parts in memory."),
    "STORAGE_TIMEOUT": (10, "Seconds to wait for the object store to connect or to answer (a "
                        "call is tried three times)."),
    # -- deletion and retention ---------------------------------------------------------------
    "DELETION_GRACE_DAYS": (30, "Days between the customer's confirmation and the start of "
                            "erasure; the customer can cancel until then. 0: erase right "
                            "after confirmation."),
    "DELETION_REMINDER_DAYS": (7, "Days before erasure starts that the reminder e-mail goes "
                               "out (none when the grace period is shorter)."),
    "ERASURE_BATCH": (5000, "Records an eraser or retention sweeper is asked to remove per "
                      "call (each call is one short transaction)."),
    "RETENTION_SWEEPS": (True, "Run the host's retention sweepers in the daily job. False: "
                         "only `flask selfservice retention sweep` runs them (for example to "
                         "review `retention plan` first on a console with years of data)."),
    "ERASED_PROOF_RETENTION_DAYS": (1095, "Days the pseudonymised consent ledger and audit "
                                    "trail of an erased account, and the record of its "
                                    "requests, are kept as proof (a legal obligation), after "
                                    "which a daily sweep deletes them. At least 730 (the "
                                    "record of requests: CCPA regulations, section 7101)."),
    # -- rate limits --------------------------------------------------------------------------
    "RATE_LIMIT_REQUESTS": ("10/hour", "Privacy requests one account may send (the API and "
                            "the page together); a Flask-Limiter rate such as '10/hour' or "
                            "'10/hour;30/day'. None: no limit."),
    "RATE_LIMIT_SIGN_IN": ("30/minute", "Sign-ins (/auth/login and /auth/reauth together) one "
                           "client address may start (a signed-in visitor: one account). "
                           "None: no limit."),
    "RATE_LIMIT_CALLBACK": ("30/minute", "Returns from the identity provider (/auth/callback) "
                            "per client address (a signed-in visitor: per account). None: no "
                            "limit."),
    "RATE_LIMIT_COOKIE_CONSENT": ("60/minute", "Cookie decisions (PUT /cookie-consent and the "
                                  "banner's form together) per client address, or per account "
                                  "when signed in. None: no limit."),
    # -- e-mail ---------------------------------------------------------------------------------
    "SMTP_HOST": (None, "SMTP server for the plugin's e-mails. None: send no e-mail."),
    "SMTP_PORT": (25, "SMTP port."),
    "SMTP_SECURITY": ("none", "none, starttls or ssl."),
    "SMTP_USERNAME": (None, "SMTP login, if the server wants one."),
    "SMTP_PASSWORD": (None, "SMTP password."),
    "SMTP_TIMEOUT": (10, "Seconds to wait for the SMTP server."),
    "MAIL_FROM": ("Privacy <privacy@localhost>", "From: of the plugin's e-mails."),
    "MAIL_RETRY_HOURS": (72, "Hours an e-mail keeps being retried (every 5 minutes at most) "
                         "while the SMTP server cannot be reached or answers with a temporary "
                         "error; then its job fails, for support to retry."),
    # -- background work ------------------------------------------------------------------------
    "REDIS_URL": ("redis://127.0.0.1:6379/0", "Redis used by RQ."),
    "QUEUE_NAME": ("selfservice", "RQ queue the plugin's jobs run on."),
    "QUEUE_PREFIX": ("selfservice", "Prefix of the plugin's own Redis keys (heartbeats, rate "
                     "limits)."),
    "JOB_TIMEOUT": (3600, "Seconds a job may run before RQ stops it."),
    "JOB_MAX_ATTEMPTS": (3, "Attempts before a job is marked failed."),
    "JOB_HEARTBEAT": (10, "Seconds between a running job's heartbeats to SQL."),
    "JOB_STALE_AFTER": (60, "Seconds without a heartbeat after which a running job counts as "
                        "abandoned and is retried (or failed after the last attempt)."),
    "DISPATCH_INTERVAL": (5, "Seconds between the worker's outbox sweeps (re-enqueue what "
                          "Redis missed, reap abandoned jobs)."),
    "REDIS_SOCKET_TIMEOUT": (5, "Seconds before a Redis call is given up (the outbox keeps "
                             "the work)."),
    "WORKER_HEARTBEAT_TTL": (60, "Seconds a worker heartbeat stays valid for /health."),
    "ENQUEUE_ON_COMMIT": (True, "Try to enqueue a job right after the transaction that created "
                          "it commits. False: leave all enqueuing to the dispatcher."),
}
