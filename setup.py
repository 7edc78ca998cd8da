"""The build compiles the message catalogues: the wheel ships each .po with its .mo.

Everything else about the package is in setup.cfg.
"""

from __future__ import annotations

import io
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogues(build_py):
    """build_py, then every selfservice/translations/<lang>/LC_MESSAGES/*.po compiled."""

    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        source = Path(__file__).resolve().parent / "selfservice" / "translations"
        target = Path(self.build_lib) / "selfservice" / "translations"
        for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=po.parent.parent.name)
            buffer = io.BytesIO()
            write_mo(buffer, catalog, use_fuzzy=False)
            mo = target / po.relative_to(source).with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            mo.write_bytes(buffer.getvalue())


setup(cmdclass={"build_py": BuildWithCatalogues})
