"""Regenerate the initial migration from the models (only while the schema has never been released).

Expression indexes (the inbox sort orders) live in 0002: autogenerate cannot compare them, so later
migrations are set aside while 0001 is generated and put back afterwards.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from engine.db.schema import MIGRATIONS, alembic_config
from engine.db.session import Database

VERSIONS = MIGRATIONS / "versions"


def main() -> None:
    """Autogenerate 0001 against an empty SQLite database."""
    with tempfile.TemporaryDirectory() as folder:
        aside = Path(folder) / "aside"
        aside.mkdir()
        for path in VERSIONS.glob("*.py"):
            if path.name.startswith("0001_"):
                path.unlink()
            else:
                shutil.move(str(path), aside / path.name)
        try:
            _generate(Path(folder) / "gen.db")
        finally:
            for path in aside.iterdir():
                shutil.move(str(path), VERSIONS / path.name)
    for generated in VERSIONS.glob("0001_*.py"):
        lines = generated.read_text("utf-8").splitlines()
        generated.write_text("\n".join(line.rstrip() for line in lines) + "\n", "utf-8")
    subprocess.run([sys.executable, "-m", "ruff", "check", "--fix", "--quiet", str(MIGRATIONS)], check=True)


def _generate(database: Path) -> None:
    db = Database(f"sqlite:///{database}")
    config = alembic_config()
    with db.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message="esquema inicial", autogenerate=True, rev_id="0001")
    db.dispose()


if __name__ == "__main__":
    main()
