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
        "added": "added", "removed": "removed", "changed_word": "changed",
        "decided": "Your choice is saved.", "consent_id": "Consent id",
        "undecided": "You have not chosen yet: only necessary cookies are set.",
        "history": "Your recorded choices", "when": "When", "choice": "Choice", "how": "How",
        "yes": "yes", "no": "no",
        "receipt": "Download the signed receipt of your current choice",
        "back": "Go back to the page you were looking at",
        "session_expired": "Your session expired before you chose. Nothing was saved; please "
                           "choose again.",
        "choose_button": "Choose one of the buttons.",
        "policy_changed_open": "Our cookies changed while this page was open. Nothing was "
                               "saved; please review and choose again.",
        "policy_intro": "The version changes whenever a cookie is added, removed or changed; "
                        "if a change affects what you accepted, we ask you again.",
        "machine_readable": "machine-readable", "none_now": "None at present.",
        "version": "Version", "verify": "Verify", "cookie": "Cookie", "provider": "Provider",
        "purpose": "Purpose", "duration": "Duration", "party": "Party",
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
        "added": "hinzugefügt", "removed": "entfernt", "changed_word": "geändert",
        "decided": "Ihre Wahl ist gespeichert.", "consent_id": "Einwilligungs-ID",
        "undecided": "Sie haben noch nicht gewählt: Es werden nur notwendige Cookies gesetzt.",
        "history": "Ihre gespeicherten Entscheidungen", "when": "Wann", "choice": "Wahl",
        "how": "Wie", "yes": "ja", "no": "nein",
        "receipt": "Signierte Quittung Ihrer aktuellen Wahl herunterladen",
        "back": "Zurück zur Seite, die Sie gerade angesehen haben",
        "session_expired": "Ihre Sitzung ist abgelaufen, bevor Sie gewählt haben. Nichts "
                           "wurde gespeichert; bitte wählen Sie erneut.",
        "choose_button": "Bitte wählen Sie eine der Schaltflächen.",
        "policy_changed_open": "Unsere Cookies haben sich geändert, während diese Seite offen "
                               "war. Nichts wurde gespeichert; bitte prüfen und neu wählen.",
        "policy_intro": "Die Version ändert sich, sobald ein Cookie hinzukommt, wegfällt oder "
                        "sich ändert; betrifft eine Änderung Ihre Zustimmung, fragen wir "
                        "erneut.",
        "machine_readable": "maschinenlesbar", "none_now": "Derzeit keine.",
        "version": "Version", "verify": "Prüfen", "cookie": "Cookie", "provider": "Anbieter",
        "purpose": "Zweck", "duration": "Dauer", "party": "Partei",
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


#: what the banner shows (the settings page shows the same words and the category texts)
SHOWN = ("title", "body", "accept_all", "reject_all", "customise", "save", "choices",
         "always_on", "cat_necessary", "cat_necessary_text", "cat_functional",
         "cat_functional_text", "cat_analytics", "cat_analytics_text", "cat_marketing",
         "cat_marketing_text")


def text_hash(texts: Mapping[str, str], *, gpc: bool = False,
              changes: Mapping[str, object] | None = None) -> str:
    """SHA-256 of what the visitor was shown when deciding: the banner's words in their
    language, the Global Privacy Control notice if it showed, and the list of changes if they
    were asked again (recorded with their decision)."""
    shown: dict[str, object] = {key: texts.get(key, "") for key in SHOWN}
    if gpc:
        shown["gpc_notice"] = texts.get("gpc_notice", "")
    if changes:
        shown["changed"] = texts.get("changed", "")
        shown["changes"] = changes
    data = json.dumps(shown, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(data).hexdigest()
