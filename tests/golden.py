"""Golden fixtures: a deployed spec and a case waiting at level 2, exactly as an installation stored them.

They were written ONCE, by the code of the commit before stored state carried a format version (SpiffWorkflow
3.2.0, serializer 1.5, stored format 1), into tests/fixtures/golden/. Never regenerate them: they stand for data
already in production databases. When the stored format changes again, add a new folder next to them.

    .venv/bin/python -m tests.golden tests/fixtures/golden/spiff-3.2.0-format-1   # what was run, once

The generator only uses the services and the ORM rows, so it runs on old and new code alike; `install` puts the
rows into a test database so the case can be continued through the services.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.clock import FixedClock
from engine.db.models import Base, Case, CaseEvent, Deployment, InboxTask, TaskCandidate, UtcDateTime
from engine.db.session import Database
from engine.services.context import ServiceContext
from engine.setup.bootstrap import initialise, seed_demo
from tests.conftest import T0, make_settings
from tests.helpers import walk_to_level2

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden"
FORMAT_1 = GOLDEN / "spiff-3.2.0-format-1"
CASE_TABLES: tuple[type[Base], ...] = (Case, InboxTask, TaskCandidate, CaseEvent)


def _row(row: Base) -> dict[str, Any]:
    values = {column.name: getattr(row, column.key) for column in row.__table__.columns}
    return {name: value.isoformat() if isinstance(value, datetime) else value for name, value in values.items()}


def _dump(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n", "utf-8")


def generate(out: Path) -> None:
    """Walk one case to level 2 on a scratch SQLite database and write its deployment and its rows."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(f"sqlite:///{Path(scratch) / 'mesa.db'}")
        ctx = ServiceContext(db, make_settings(Path(scratch), db.url), FixedClock(T0))
        initialise(ctx, "dueno")
        seed_demo(ctx)
        walk = walk_to_level2(ctx)
        assert walk.case is not None
        with ctx.db.read() as session:
            case = session.get(Case, walk.case.id)
            assert case is not None
            deployment = session.get(Deployment, case.deployment_id)
            assert deployment is not None
            _dump(out / "deployment.json", _row(deployment))
            rows = {model.__tablename__: [_row(row) for row in session.scalars(select(model))]
                    for model in CASE_TABLES}
            _dump(out / "case_level2.json", rows)
        db.dispose()


def _restored(model: type[Base], values: dict[str, Any]) -> Base:
    """An ORM row from its stored values; columns added since the fixture was written take their defaults."""
    columns = {column.name: column for column in model.__table__.columns}
    kept: dict[str, Any] = {}
    for name, value in values.items():
        if name in columns:  # a column dropped since then is simply not restored
            is_instant = isinstance(value, str) and isinstance(columns[name].type, UtcDateTime)
            kept[columns[name].key] = datetime.fromisoformat(value) if is_instant else value
    return model(**kept)


def install(session: Session, folder: Path = FORMAT_1) -> int:
    """Insert the golden deployment and case rows with their own ids and version; returns the case id.

    The database must have no case of the golden's process yet: its (unused) deployments are removed first, so
    the stored case.started event names the golden deployment's version as it did where it was written."""
    deployment = json.loads((folder / "deployment.json").read_text("utf-8"))
    rows = json.loads((folder / "case_level2.json").read_text("utf-8"))
    process_id = deployment["process_id"]
    assert session.scalar(select(func.count()).select_from(Case).where(Case.process_id == process_id)) == 0
    session.execute(delete(Deployment).where(Deployment.process_id == process_id))
    session.add(_restored(Deployment, deployment))
    session.flush()
    for model in CASE_TABLES:
        for values in rows[model.__tablename__]:
            if model is CaseEvent:
                values = {key: value for key, value in values.items() if key != "id"}  # the database numbers them
            session.add(_restored(model, values))
        session.flush()
    [case] = rows[Case.__tablename__]
    return int(case["id"])


def main() -> None:
    """Command line: write the golden fixtures into a folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    generate(parser.parse_args().out)


if __name__ == "__main__":
    main()
