"""The cookie banner's words, in every language the plugin ships (English, German).

A host adds or overrides languages with ``SELFSERVICE_COOKIE_TEXTS`` ({lang: {key: text}});
the visitor's ``Accept-Language`` picks one. The hash of the texts shown is recorded with every
decision, so what the visitor read is provable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "title": "Cookies on this console",
        "body": "We use cookies that are needed to run the console. With your consent we "
                "also use cookies to remember your settings, to measure use, and for "
                "marketing. Nothing optional is set until you choose; you can change your "
                "mind at any time under “Cookie settings” at the bottom of every page.",
        "accept_all": "Accept all",
        "reject_all": "Reject all",
        "customise": "Customise",
        "save": "Save my choices",
        "close_customise": "Back",
        "choices": "Choose which cookies we may use",
        "always_on": "Always on",
        "policy_link": "Cookie policy",
        "settings_link": "Cookie settings",
        "gpc_notice": "Your browser sent a Global Privacy Control signal: marketing cookies "
                      "and any sale or sharing of your data are off.",
        "gpc_confirm": "Your browser asks sites not to sell or share your data. Turn marketing "
                       "cookies on anyway?",
        "gpc_confirm_yes": "Yes, turn marketing on",
        "gpc_confirm_no": "No, keep it off",
        "changed": "Our cookies changed since you chose. Please choose again for:",
        "saved": "Your cookie choices are saved.",
        "cat_necessary": "Necessary",
        "cat_necessary_text": "Sign-in, security and your cookie choice itself. The console "
                              "cannot work without them.",
        "cat_functional": "Functional",
        "cat_functional_text": "Remember your preferences, such as language and layout.",
        "cat_analytics": "Analytics",
        "cat_analytics_text": "Count visits and measure how the console is used, so we can "
                              "improve it.",
        "cat_marketing": "Marketing",
        "cat_marketing_text": "Measure campaigns and show relevant offers, including on "
                              "other sites.",
    },
    "de": {
        "title": "Cookies in dieser Konsole",
        "body": "Wir verwenden Cookies, die für den Betrieb der Konsole nötig sind. Mit Ihrer "
                "Einwilligung verwenden wir außerdem Cookies, um Ihre Einstellungen zu "
                "speichern, die Nutzung zu messen und für Marketing. Optionale Cookies werden "
                "erst gesetzt, wenn Sie gewählt haben; Sie können Ihre Wahl jederzeit unter "
                "„Cookie-Einstellungen“ unten auf jeder Seite ändern.",
        "accept_all": "Alle akzeptieren",
        "reject_all": "Alle ablehnen",
        "customise": "Anpassen",
        "save": "Auswahl speichern",
        "close_customise": "Zurück",
        "choices": "Wählen Sie, welche Cookies wir verwenden dürfen",
        "always_on": "Immer aktiv",
        "policy_link": "Cookie-Richtlinie",
        "settings_link": "Cookie-Einstellungen",
        "gpc_notice": "Ihr Browser hat ein Global-Privacy-Control-Signal gesendet: "
                      "Marketing-Cookies sowie Verkauf oder Weitergabe Ihrer Daten sind aus.",
        "gpc_confirm": "Ihr Browser bittet Websites, Ihre Daten nicht zu verkaufen oder "
                       "weiterzugeben. Marketing-Cookies trotzdem einschalten?",
        "gpc_confirm_yes": "Ja, Marketing einschalten",
        "gpc_confirm_no": "Nein, ausgeschaltet lassen",
        "changed": "Unsere Cookies haben sich seit Ihrer Wahl geändert. Bitte wählen Sie neu "
                   "für:",
        "saved": "Ihre Cookie-Auswahl ist gespeichert.",
        "cat_necessary": "Notwendig",
        "cat_necessary_text": "Anmeldung, Sicherheit und Ihre Cookie-Wahl selbst. Ohne sie "
                              "funktioniert die Konsole nicht.",
        "cat_functional": "Funktional",
        "cat_functional_text": "Speichern Ihre Einstellungen, etwa Sprache und Layout.",
        "cat_analytics": "Statistik",
        "cat_analytics_text": "Zählen Besuche und messen die Nutzung der Konsole, damit wir "
                              "sie verbessern können.",
        "cat_marketing": "Marketing",
        "cat_marketing_text": "Messen Kampagnen und zeigen passende Angebote, auch auf "
                              "anderen Websites.",
    },
}
DEFAULT_LANGUAGE = "en"


def catalog(overrides: Mapping[str, Mapping[str, str]] | None = None
            ) -> dict[str, dict[str, str]]:
    """The shipped messages with the host's additions and overrides (missing keys of a
    host-added language fall back to English)."""
    merged = {lang: dict(texts) for lang, texts in MESSAGES.items()}
    for lang, texts in (overrides or {}).items():
        merged.setdefault(lang, dict(MESSAGES[DEFAULT_LANGUAGE])).update(texts)
    return merged


def text_hash(texts: Mapping[str, str]) -> str:
    """SHA-256 of the texts a visitor was shown (recorded with their decision)."""
    data = json.dumps(dict(texts), sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(data).hexdigest()
