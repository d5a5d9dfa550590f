"""Restore drill: back up a Healthcode PostgreSQL database, restore it into a scratch
database, and prove the copy is usable.

    python deploy/restore_drill.py --source postgresql://USER@HOST:5432/healthcode \\
        --scratch healthcode_drill [--dump hc.dump] [--keep]

Steps: `pg_dump -Fc` of the source (or use --dump); drop and recreate the scratch database;
`pg_restore`; compare the row count of every table with the source; then open the restored
copy with the app (HEALTHCODE_KEY_PASSPHRASE and the other secrets from the environment):
every active key must decrypt and the newest issued codes must still verify online. Exit 0
when all of that holds, 1 otherwise. Run it monthly against last night's dump.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import URL, make_url


def _libpq(u: URL) -> list[str]:
    return ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        counts = {
            n: int(conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one())  # noqa: S608
            for n in names
        }
    engine.dispose()
    return counts


def _check_app(url: str, sample: int) -> list[str]:
    from app.db import utcnow
    from app.factory import create_app
    from app.models import IssuedCode
    from app.services.health_codes import verify_online
    from app.services.keys import BUNDLE, CODE

    problems = []
    app = create_app({"DATABASE_URL": url})
    c = app.extensions["healthcode"]
    with c.db.session() as session:
        for purpose in (CODE, BUNDLE):
            c.keyring.active(session, purpose)  # raises when it does not decrypt
        now = utcnow()
        codes = session.scalars(
            select(IssuedCode)
            .where(IssuedCode.expires_at > now)
            .order_by(IssuedCode.issued_at.desc())
            .limit(sample)
        ).all()
        for code in codes:
            result = verify_online(session, live=c.live, keyring=c.keyring, text=code.text, now=now)
            if not result.valid and str(result.reason) != "REVOKED":
                problems.append(f"code {code.id} does not verify: {result.reason}")
        print(f"keys decrypt; {len(codes)} recent codes verified")
    c.db.dispose()
    return problems


def main(argv: list[str] | None = None) -> int:
    """Run the drill; 0 when the restored copy is complete and usable."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", required=True, help="URL of the live database")
    parser.add_argument("--scratch", required=True, help="scratch database name (dropped!)")
    parser.add_argument("--dump", help="an existing pg_dump -Fc file (default: dump now)")
    parser.add_argument("--sample", type=int, default=50, help="recent codes to verify")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    src = make_url(args.source).set(drivername="postgresql+psycopg")
    if not src.database:
        parser.error("the source URL must name a database")
    if args.scratch == src.database:
        parser.error("the scratch database must not be the source")
    libpq = _libpq(src)
    with tempfile.TemporaryDirectory() as tmp:
        dump = args.dump or str(Path(tmp) / "healthcode.dump")
        if not args.dump:
            subprocess.run(["pg_dump", *libpq, "-Fc", "-f", dump, "-d", src.database], check=True)
            print(f"dumped {src.database}")
        subprocess.run(["dropdb", *libpq, "--if-exists", args.scratch], check=True)
        subprocess.run(["createdb", *libpq, args.scratch], check=True)
        subprocess.run(["pg_restore", *libpq, "--no-owner", "-d", args.scratch, dump], check=True)
        print(f"restored into {args.scratch}")
    source = src.render_as_string(hide_password=False)
    restored = src.set(database=args.scratch).render_as_string(hide_password=False)
    before, after = _counts(source), _counts(restored)
    problems = [
        f"table {table}: {count} rows in the source, {after.get(table)} restored"
        for table, count in sorted(before.items())
        if after.get(table) != count
    ]
    print(f"{len(before)} tables, {sum(before.values())} rows compared")
    problems += _check_app(restored, args.sample)
    if not args.keep:
        subprocess.run(["dropdb", *libpq, "--if-exists", args.scratch], check=True)
    for problem in problems:
        print("FAILED:", problem, file=sys.stderr)
    print("restore drill FAILED" if problems else "restore drill passed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
