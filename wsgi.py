"""The demo console (EcoHash) with the privacy self-service plugin mounted.

``gunicorn -c python:devtools.gunicorn_conf wsgi:app`` (what ``make demo`` runs), ``flask --app
wsgi run -p 8000``, or any WSGI server pointed at ``wsgi:app``. ``DEMO_INSTANCE_PATH`` names the
folder of the console's own files (default: ``instance/`` here).
"""

import os

from demo.app import create_app

_instance = os.environ.get("DEMO_INSTANCE_PATH")
app = create_app(instance_path=os.path.abspath(_instance) if _instance else None)
