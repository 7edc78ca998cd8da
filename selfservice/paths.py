"""Where the plugin's shipped files are: templates (with the static files) and migrations.

In the repository they are the top-level ``templates/`` and ``migrations/`` folders; installed,
the ``selfservice.templates`` and ``selfservice.migrations`` packages (see setup.cfg).
"""

from __future__ import annotations

import os

from . import migrations, templates

#: the Jinja loader root: every template is under ``selfservice/`` in it, so a host overrides
#: one by putting a file of the same name in its own templates folder
TEMPLATE_FOLDER = os.path.dirname(templates.__file__)
#: Alembic's script location (env.py and versions/)
MIGRATIONS_FOLDER = os.path.dirname(migrations.__file__)
