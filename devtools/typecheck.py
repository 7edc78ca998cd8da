"""`make lint`'s type check: mypy --strict on the package `selfservice` as the wheel installs it.

setup.cfg's package_dir assembles the package from several top-level folders (blueprints/ is
selfservice.blueprints, and so on). Mypy does not run setuptools' editable import hooks, so this
lays the package out as installed in .typecheck/ (git-ignored): a folder `selfservice` with a
symlink to each entry of selfservice/ and one to each folder mapped into it. Mypy runs there
(the current directory comes first on its search path, so the repository's own `selfservice`
folder is out of sight) and the paths it reports are mapped back to repository paths.

    python -m devtools.typecheck [mypy options]
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".typecheck"
PACKAGE = "selfservice"
IGNORED = {"__pycache__"}


def package_dirs() -> dict[str, str]:
    """setup.cfg's package_dir: package name -> repository folder."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config["options"]["package_dir"].strip().splitlines()
    pairs = (line.partition("=") for line in lines)
    return {name.strip(): folder.strip() for name, _, folder in pairs}


def lay_out(dirs: dict[str, str]) -> dict[str, str]:
    """Rebuilds .typecheck/selfservice; returns the path prefixes mypy reports there (relative
    to .typecheck) -> the repository's, longest first."""
    tree = WORK / PACKAGE
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    # devtools/stubs (mypy_path) is reported by its absolute path
    mapping = {f"{PACKAGE}/": f"{dirs[PACKAGE]}/", f"{ROOT}/": ""}
    for entry in sorted((ROOT / dirs[PACKAGE]).iterdir()):
        if entry.name not in IGNORED:
            (tree / entry.name).symlink_to(os.path.relpath(entry, tree))
    for name, folder in dirs.items():
        if name == PACKAGE:
            continue
        parent, _, child = name.rpartition(".")
        if parent != PACKAGE:
            raise SystemExit(f"typecheck: cannot lay out {name} (only subpackages of {PACKAGE})")
        (tree / child).symlink_to(os.path.relpath(ROOT / folder, tree))
        mapping[f"{PACKAGE}/{child}/"] = f"{folder}/"
    return dict(sorted(mapping.items(), key=lambda item: -len(item[0])))


def to_repository(line: str, mapping: dict[str, str]) -> str:
    for laid, repository in mapping.items():
        if line.startswith(laid):
            return repository + line[len(laid) :]
    return line


def main(argv: list[str]) -> int:
    mapping = lay_out(package_dirs())
    command = [
        sys.executable, "-m", "mypy",
        "--config-file", str(ROOT / "pyproject.toml"),
        "--cache-dir", str(WORK / "mypy_cache"),
        "--no-color-output",
        "-p", PACKAGE,
        *argv,
    ]  # fmt: skip
    # in .typecheck, whose `selfservice` mypy finds first; nothing else on its path
    env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "PYTHONPATH")}
    result = subprocess.run(command, cwd=WORK, env=env, capture_output=True, text=True, check=False)
    for line in result.stdout.splitlines():
        print(to_repository(line, mapping))
    sys.stderr.write(result.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
