"""What each consent purpose means, in words a customer reads (pages, e-mails, receipts).

The words stay in English here, as receipts record and sign them; they are marked for the
catalogue (``N_``), and a page says them in its reader's language (``ss_text``)."""

from __future__ import annotations

from dataclasses import dataclass

from .models import ConsentMethod, Purpose
from .translation import N_


@dataclass(frozen=True)
class PurposeText:
    title: str
    #: what saying yes (or turning the setting on) means
    description: str
    #: Kantara purpose category and personal data categories
    category: str
    pii_categories: tuple[str, ...]


PURPOSES: dict[str, PurposeText] = {
    Purpose.TRAINING: PurposeText(
        title=N_("Use my content to train models"),
        description=N_(
            "Your prompts, files, datasets, code, checkpoints and configuration (Customer "
            "Content) and the outputs you receive (Output) may be used to train and improve "
            "models, EcoHash's own or third parties'. Without this consent they never are."),
        category="Research and development: model training",
        pii_categories=("Customer Content", "Output"),
    ),
    Purpose.MARKETING_EMAILS: PurposeText(
        title=N_("Product news and offers by e-mail"),
        description=N_("Occasional e-mails about new models, features and offers. Service, "
                       "security and billing e-mails are sent either way."),
        category="Marketing",
        pii_categories=("Contact details",),
    ),
    Purpose.LIMIT_SENSITIVE_DATA: PurposeText(
        title=N_("Limit the use of my sensitive personal information"),
        description=N_("Sensitive personal information (for example log-in credentials, or "
                       "sensitive details in content you submit) is then used only to provide "
                       "and secure the Services, and for nothing else."),
        category="Restriction of processing (CPRA)",
        pii_categories=("Sensitive personal information",),
    ),
    Purpose.DO_NOT_SELL_OR_SHARE: PurposeText(
        title=N_("Do not sell or share my personal information"),
        description=N_("We do not sell or share personal data; this records your opt-out so "
                       "it binds us should that ever change, and covers cross-context "
                       "behavioural advertising."),
        category="Opt-out of sale or sharing (CCPA/CPRA and other US state laws)",
        pii_categories=("All personal data",),
    ),
}

METHODS: dict[str, str] = {
    ConsentMethod.CONSOLE: N_("in Privacy settings"),
    ConsentMethod.API: N_("through the API"),
    ConsentMethod.GPC: N_("by your browser's Global Privacy Control signal"),
    ConsentMethod.ORG_POLICY: N_("by your organisation's policy"),
    ConsentMethod.WRITTEN_AGREEMENT: N_("by written agreement"),
}

ORG_POLICIES: dict[str, str] = {
    "members_choose": N_("Each member decides"),
    "opted_out": N_("No member's content is used for training"),
    "opted_in": N_("Every member's content may be used for training"),
}
