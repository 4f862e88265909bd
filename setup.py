"""Build step: ship docs/ (the agent documents and JSON Schemas) inside the gateway package.

docs/ stays the only copy in the source tree; the wheel gets it as ``gateway/_docs`` so an
installed gateway serves /skill.md and the rest (``gateway.agentdocs.docs_dir``).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DOCS = Path(__file__).resolve().parent / "docs"


class BuildWithDocs(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads docs/ in place
        target = Path(self.build_lib) / "gateway" / "_docs"
        shutil.rmtree(target, ignore_errors=True)
        (target / "schemas").mkdir(parents=True)
        for doc in DOCS.glob("*.md"):
            shutil.copy2(doc, target / doc.name)
        for schema in (DOCS / "schemas").glob("*.json"):
            shutil.copy2(schema, target / "schemas" / schema.name)


setup(cmdclass={"build_py": BuildWithDocs})
