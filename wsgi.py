"""The demo console (EcoHash) with the privacy self-service plugin mounted.

``flask --app wsgi run -p 8000`` or any WSGI server pointed at ``wsgi:app``.
"""

from demo.app import create_app

app = create_app()
