"""Regenerate the initial migration from the models (only while the schema has never been released)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from engine.db.schema import MIGRATIONS, alembic_config
from engine.db.session import Database


def main() -> None:
    """Autogenerate 0001 against an empty SQLite database."""
    for old in (MIGRATIONS / "versions").glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{Path(folder) / 'gen.db'}")
        config = alembic_config()
        with db.write_engine.begin() as connection:
            config.attributes["connection"] = connection
            command.revision(config, message="esquema inicial", autogenerate=True, rev_id="0001")
        db.dispose()
    for generated in (MIGRATIONS / "versions").glob("0001_*.py"):
        lines = generated.read_text("utf-8").splitlines()
        generated.write_text("\n".join(line.rstrip() for line in lines) + "\n", "utf-8")
    subprocess.run([sys.executable, "-m", "ruff", "check", "--fix", "--quiet", str(MIGRATIONS)], check=True)


if __name__ == "__main__":
    main()
