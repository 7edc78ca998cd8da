"""Rewrite README's configuration table from the settings table.

    python -m devtools.readme_settings
"""

from __future__ import annotations

from pathlib import Path

from demo.app import create_app

README = Path(__file__).resolve().parent.parent / "README.md"
HEADER = "| key | default | meaning |"


def main() -> None:
    app = create_app({"TESTING": True})
    result = app.test_cli_runner().invoke(args=["selfservice", "config", "--markdown"])
    readme = README.read_text()
    start = readme.index(HEADER)
    end = readme.index("\n\n", start)
    README.write_text(readme[:start] + result.output.strip() + readme[end:])


if __name__ == "__main__":
    main()
