"""The built wheel installs beside a host that has its own blueprints and jobs packages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

from devtools.services import ROOT

HOST_APP = textwrap.dedent('''
    import blueprints, jobs
    from flask import Flask
    from blueprints.shop import shop
    from selfservice import Identity, SelfService, migrate
    import selfservice.blueprints, selfservice.jobs.runner

    assert blueprints.HOST and jobs.HOST, "the host's packages must win"
    assert selfservice.blueprints.__file__.endswith("selfservice/blueprints/__init__.py")

    app = Flask(__name__)
    app.config.update(SECRET_KEY="s" * 32, SELFSERVICE_DATABASE_URL="sqlite:///host.db")
    app.register_blueprint(shop)
    SelfService(app, identity_loader=lambda a: Identity(a, a + "@example.com", a))
    with app.app_context():
        migrate.upgrade()
        assert migrate.current() == migrate.heads()[0]
    client = app.test_client()
    assert client.get("/shop").text == "host shop"
    assert client.get("/privacy/").status_code == 302
    assert client.get("/privacy/api/v1/openapi.json").json["openapi"] == "3.1.0"
    assert client.get("/privacy/static/selfservice.css").status_code == 200
    assert client.get("/auth/callback?state=x").status_code == 400  # renders a template
    print("HOST OK")
''')


#: one worker builds the wheel once for both tests (pytest-xdist, --dist loadgroup)
pytestmark = pytest.mark.xdist_group("wheel")
#: what a build leaves or needs none of: the wheel is built from a copy of the sources, so the
#: build/ and *.egg-info it writes land in the test's folder, not in the repository
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "node_modules", "build", "dist",
                                     "*.egg-info", "instance", "__pycache__", ".*_cache",
                                     ".typecheck", ".hypothesis", "*.mo")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    sources = tmp_path_factory.mktemp("sources") / ROOT.name
    shutil.copytree(ROOT, sources, ignore=NOT_SOURCES)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(sources)], check=True, capture_output=True)
    (found,) = out.glob("*.whl")
    return found


def test_wheel_ships_everything_under_the_selfservice_namespace(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top_levels = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top_levels == {"selfservice"}
    for required in ("selfservice/py.typed", "selfservice/blueprints/sso.py",
                     "selfservice/jobs/runner.py", "selfservice/migrations/env.py",
                     "selfservice/services/outbox.py", "selfservice/schemas/base.py",
                     "selfservice/migrations/script.py.mako",
                     "selfservice/migrations/versions/0001_foundation.py",
                     "selfservice/templates/selfservice/index.html",
                     "selfservice/templates/selfservice/static/selfservice.css",
                     "selfservice/templates/selfservice/export/index.html",
                     "selfservice/templates/selfservice/export/viewer.css",
                     "selfservice/templates/selfservice/export/viewer.js",
                     # the catalogues: the .po as written, the .mo compiled by the build
                     "selfservice/translations/selfservice.pot",
                     "selfservice/translations/de/LC_MESSAGES/selfservice.po",
                     "selfservice/translations/de/LC_MESSAGES/selfservice.mo"):
        assert required in names, required
    assert not any(n.startswith(("demo/", "tests/", "devtools/")) for n in names)


def test_wheel_installs_into_a_fresh_virtualenv_beside_a_host_with_its_own_packages(
        wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    str(wheel)], check=True, capture_output=True, timeout=600)
    host = tmp_path / "host"
    for package in ("blueprints", "jobs"):
        (host / package).mkdir(parents=True)
        (host / package / "__init__.py").write_text("HOST = True\n")
    (host / "blueprints" / "shop.py").write_text(
        "from flask import Blueprint\nshop = Blueprint('shop', __name__)\n"
        "@shop.get('/shop')\ndef index():\n    return 'host shop'\n")
    (host / "app.py").write_text(HOST_APP)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run([str(python), "app.py"], cwd=host, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "HOST OK" in result.stdout
    site = subprocess.run([str(python), "-c", "import sysconfig;print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True).stdout.strip()
    assert not (Path(site) / "blueprints").exists() and not (Path(site) / "jobs").exists()
