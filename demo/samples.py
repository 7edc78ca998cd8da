"""The sample content the seed draws from: who the demo accounts are, what they ask the models,
which GPUs they rent and what goes wrong. Data only; ``demo.seed`` turns it into rows."""

from __future__ import annotations

import json
import string
from dataclasses import dataclass

# -- the people ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    id: str
    email: str
    name: str
    country: str
    company: str | None = None
    age_days: int = 365
    support: bool = False
    privacy_officer: bool = False


DEMO_PEOPLE = (
    Person("acct-alice", "alice@example.com", "Alice Martin", "DE", None, 240),
    Person("acct-bob", "bob@example.com", "Bob Okafor", "US", "Acme AI", 420),
    Person("acct-carol", "carol@example.com", "Carol Nguyen", "GB", "Acme AI", 300),
    Person("acct-sam", "sam@example.com", "Sam Rivera", "US", "EcoHash Technology LLC", 700,
           support=True),
    Person("acct-pat", "pat@example.com", "Pat Kowalski", "US", "EcoHash Technology LLC", 650,
           privacy_officer=True),
)

#: (first name, last name, country, organisation id or None, role)
BACKGROUND = (
    ("Dmitri", "Volkov", "NL", "org-acme", "admin"),
    ("Emeka", "Eze", "NG", "org-acme", "member"),
    ("Fatima", "Haddad", "FR", "org-globex", "owner"),
    ("Gustavo", "Lima", "BR", "org-globex", "member"),
    ("Hana", "Sato", "JP", "org-globex", "member"),
    ("Ines", "Moreau", "FR", "org-globex", "admin"),
    ("Jonas", "Berg", "SE", "org-initech", "owner"),
    ("Kavya", "Iyer", "IN", "org-initech", "member"),
    ("Liam", "Byrne", "IE", "org-initech", "member"),
    ("Maya", "Cohen", "CA", None, None),
    ("Noah", "Schmidt", "CH", None, None),
    ("Olivia", "Rossi", "IT", None, None),
    ("Pedro", "Alvarez", "MX", None, None),
    ("Quinn", "Taylor", "AU", None, None),
    ("Rania", "Aziz", "SG", None, None),
    ("Soo-ah", "Park", "KR", None, None),
    ("Thabo", "Nkosi", "ZA", None, None),
    ("Ulla", "Virtanen", "FI", None, None),
    ("Vera", "Costa", "PT", None, None),
    ("Wei", "Zhang", "US", None, None),
)

ORGANISATIONS = (
    ("org-acme", "Acme AI", 500),
    ("org-globex", "Globex Research", 380),
    ("org-initech", "Initech Labs", 260),
)

EURO = {"DE", "FR", "NL", "IT", "IE", "FI", "PT", "ES"}

# -- what they do -------------------------------------------------------------------------------

CHAT_MODELS = ("llama-3.1-8b-instruct", "llama-3.3-70b-instruct", "qwen2.5-72b-instruct",
               "mistral-small-24b-instruct", "deepseek-r1-distill-qwen-32b")
EMBEDDING_MODEL = "bge-m3"

#: (prompt, answer) pairs per kind of customer: short, realistic bodies
CONVERSATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "alice": (
        ("Summarise this clause in plain English: 'The Lessee shall indemnify the Lessor "
         "against all claims arising from the use of the premises.'",
         "You must cover the landlord's costs if someone makes a claim because of how you "
         "use the property."),
        ("Translate to German: 'Payment is due within 30 days of the invoice date.'",
         "Die Zahlung ist innerhalb von 30 Tagen nach Rechnungsdatum fällig."),
        ("Draft a polite reminder to my landlord that the heating repair is still pending.",
         "Dear Mr. Weber, I hope you are well. I wanted to follow up on the heating repair we "
         "discussed on the 3rd; it is still pending. Could you let me know when a technician "
         "can come? Kind regards, Alice"),
        ("List the termination conditions in this NDA excerpt: 'Either party may terminate "
         "with 60 days written notice.'",
         "1. Either party may terminate. 2. Notice must be in writing. 3. Notice period: 60 "
         "days."),
        ("Fasse diesen Vertragsabschnitt in zwei Sätzen zusammen: 'Der Auftragnehmer haftet "
         "nur für Vorsatz und grobe Fahrlässigkeit.'",
         "Der Auftragnehmer haftet nur, wenn er absichtlich oder grob fahrlässig handelt. Für "
         "leichte Fahrlässigkeit ist die Haftung ausgeschlossen."),
        ("Write a Python function that extracts all dates in ISO format from a string.",
         "import re\n\ndef iso_dates(text):\n    return re.findall(r'\\d{4}-\\d{2}-\\d{2}', "
         "text)"),
        ("Is a 'force majeure' clause enforceable if it does not list pandemics?",
         "It depends on the wording and the governing law: a general catch-all ('events beyond "
         "reasonable control') may cover a pandemic; a closed list usually does not."),
        ("Classify this clause as liability, payment, termination or confidentiality: 'All "
         "information shared shall remain secret for five years.'",
         "confidentiality"),
    ),
    "acme": (
        ("Customer message: 'My order #4471 arrived damaged.' Write a short empathetic reply.",
         "I'm sorry your order arrived damaged. I've arranged a free replacement for order "
         "#4471; you'll receive tracking details within 24 hours."),
        ("Extract the product name and issue from: 'The Acme Router X2 keeps dropping Wi-Fi.'",
         '{"product": "Acme Router X2", "issue": "Wi-Fi keeps dropping"}'),
        ("Suggest three tags for this support ticket: 'Cannot reset my password from the app.'",
         "account-access, password-reset, mobile-app"),
        ("Rewrite in a friendlier tone: 'Your request has been rejected.'",
         "Thanks for reaching out! Unfortunately we can't approve this request, but here's "
         "what we can do instead."),
        ("Label the sentiment of: 'Support fixed it in five minutes, great job!'",
         "positive"),
    ),
    "generic": (
        ("Explain the difference between a process and a thread in two sentences.",
         "A process is an independent program with its own memory; a thread runs inside a "
         "process and shares its memory with the other threads."),
        ("Write a SQL query counting orders per customer in 2024.",
         "SELECT customer_id, COUNT(*) FROM orders WHERE order_date >= '2024-01-01' AND "
         "order_date < '2025-01-01' GROUP BY customer_id;"),
        ("Give me a regex that matches a UK postcode.",
         "^[A-Z]{1,2}\\d[A-Z\\d]? ?\\d[A-Z]{2}$"),
        ("Summarise the plot of Hamlet in one sentence.",
         "A Danish prince feigns madness to avenge his father's murder by his uncle, and "
         "nearly everyone dies."),
        ("What is the time complexity of binary search?", "O(log n)."),
        ("Generate a product description for a stainless steel water bottle.",
         "Keep drinks cold for 24 hours with this 750 ml double-walled stainless steel bottle: "
         "leak-proof, dishwasher-safe and plastic-free."),
    ),
}

EMBEDDING_INPUTS = (
    "refund policy for damaged goods",
    "how to rotate an API key",
    "termination clause with 60 days notice",
    "GPU out of memory during training",
)

ERRORS = (
    (429, '{"error":{"type":"rate_limit_exceeded","message":"Rate limit reached for requests '
          'per minute. Please retry after 2s."}}'),
    (400, '{"error":{"type":"invalid_request_error","message":"max_tokens is too large for '
          'this model\'s context window."}}'),
    (500, '{"error":{"type":"server_error","message":"The server had an error while '
          'processing your request."}}'),
    (503, '{"error":{"type":"overloaded","message":"The model is currently overloaded. Please '
          'try again later."}}'),
)

GPU_TYPES = (("H100 80GB SXM", 249), ("A100 80GB", 149), ("L40S 48GB", 99),
             ("RTX 4090 24GB", 49))
REGIONS = ("us-east-1", "us-central-1", "us-west-2")
GPU_ERRORS = (
    (1, "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.10 "
        "GiB total capacity; 76.84 GiB already allocated)"),
    (137, "Killed: the container exceeded its memory limit (exit 137)"),
    (1, "FileNotFoundError: [Errno 2] No such file or directory: '/workspace/data/train.jsonl'"),
    (2, "train.py: error: unrecognized arguments: --lr-schedule cosine"),
)

USER_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
)

KEY_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Call:
    """One kind of API call with its fixed bodies and token counts."""

    model: str
    endpoint: str
    request_body: str
    response_body: str
    prompt_tokens: int
    completion_tokens: int


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def calls_for(kind: str) -> list[Call]:
    """Every call a customer of this kind makes, with its bodies and token counts."""
    calls = []
    for model in CHAT_MODELS:
        for prompt, answer in CONVERSATIONS[kind]:
            p, c = _tokens(prompt) + 12, _tokens(answer)
            request = {"model": model, "messages": [{"role": "user", "content": prompt}],
                       "max_tokens": 512, "temperature": 0.7}
            response = {"object": "chat.completion", "model": model,
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": answer}}],
                        "usage": {"prompt_tokens": p, "completion_tokens": c,
                                  "total_tokens": p + c}}
            calls.append(Call(model, "/v1/chat/completions",
                              json.dumps(request, ensure_ascii=False, separators=(",", ":")),
                              json.dumps(response, ensure_ascii=False, separators=(",", ":")),
                              p, c))
    for text in EMBEDDING_INPUTS:
        p = _tokens(text) + 1
        request = {"model": EMBEDDING_MODEL, "input": text}
        response = ('{"object":"list","model":"bge-m3","data":[{"object":"embedding","index":0,'
                    '"embedding":"[1024 floats omitted from the log]"}],'
                    f'"usage":{{"prompt_tokens":{p},"total_tokens":{p}}}}}')
        calls.append(Call(EMBEDDING_MODEL, "/v1/embeddings",
                          json.dumps(request, separators=(",", ":")), response, p, 0))
    return calls
