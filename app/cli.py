"""Flask commands: database, accounts and demo data."""

from __future__ import annotations

import os

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from app.db import utcnow
from app.errors import ServiceError
from app.extensions import container
from app.migrate import upgrade
from app.scheduler import register_scheduler_cli
from app.services.accounts import create_staff, find_by_username, list_accounts, set_disabled
from app.services.demo import seed
from app.services.keys import (
    init_keys,
    list_keys,
    revoke,
    root_public_key,
    rotate,
    rotate_root,
)
from app.services.rulesets import init_default
from app.worker import register_worker_cli


def register_cli(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(db_cli)
    app.cli.add_command(accounts_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(keys_cli)
    register_worker_cli(app)
    register_scheduler_cli(app)
    app.cli.add_command(rules_cli)
    app.cli.add_command(setup)


db_cli = AppGroup("db", help="Database schema (Alembic).")
accounts_cli = AppGroup("accounts", help="Staff accounts.")
demo_cli = AppGroup("demo", help="Demo data for development.")
keys_cli = AppGroup("keys", help="Code-signing and bundle-signing keys.")
rules_cli = AppGroup("rules", help="Risk rule sets.")


@click.command("setup")
@with_appcontext
@click.option("--demo", is_flag=True, help="Also load the demo data (refused in production).")
def setup(demo: bool) -> None:
    """Everything a deploy runs, in one process: db upgrade, keys init, rules init (+ demo)."""
    c = container()
    upgrade(c.settings.database_url, "head")
    click.echo("database upgraded to head")
    if demo and c.settings.production:
        raise click.ClickException("demo data is never loaded in production mode")
    with c.unit_of_work() as uow:
        for line in init_keys(uow.session, keyring=c.keyring, settings=c.settings, now=utcnow()):
            click.echo(line)
        click.echo(init_default(uow.session, now=utcnow()))
    if demo:
        with c.unit_of_work() as uow:
            for line in seed(uow.session, settings=c.settings):
                click.echo(line)


@rules_cli.command("init")
def rules_init() -> None:
    """Activate the shipped default policy if no rule set is active (idempotent)."""
    with container().unit_of_work() as uow:
        session = uow.session
        click.echo(init_default(session, now=utcnow()))


@keys_cli.command("init")
def keys_init() -> None:
    """Create the code-signing and bundle-signing keys if missing (idempotent)."""
    c = container()
    with c.unit_of_work() as uow:
        session = uow.session
        for line in init_keys(session, keyring=c.keyring, settings=c.settings, now=utcnow()):
            click.echo(line)


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Start signing codes with a new key; the old one verifies until its codes expire."""
    c = container()
    with c.unit_of_work() as uow:
        session = uow.session
        record = rotate(session, keyring=c.keyring, settings=c.settings, now=utcnow())
        click.echo(f"new active code key {record.kid} ({record.alg})")


@keys_cli.command("rotate-root")
def keys_rotate_root() -> None:
    """Hand the bundle root over to a new key (devices that pinned the old one follow)."""
    c = container()
    with c.unit_of_work() as uow:
        handover = rotate_root(uow.session, keyring=c.keyring, now=utcnow())
        click.echo(f"bundle root handed over from {handover.from_kid} to {handover.to_kid}")


@keys_cli.command("revoke")
@click.argument("kid")
def keys_revoke(kid: str) -> None:
    """Revoke a compromised code key: removed from the trust bundle at once."""
    c = container()
    with c.unit_of_work() as uow:
        session = uow.session
        try:
            records = revoke(session, keyring=c.keyring, settings=c.settings, kid=kid, now=utcnow())
        except ServiceError as exc:
            raise click.ClickException(exc.detail) from None
        click.echo(f"revoked {len(records)} key(s) with kid {kid}")


@keys_cli.command("list")
def keys_list() -> None:
    """List keys (public information only)."""
    with container().unit_of_work() as uow:
        session = uow.session
        for r in list_keys(session):
            until = r.not_after.isoformat() if r.not_after else "-"
            click.echo(f"{r.kid}  {r.purpose:<6} {r.alg:<6} {r.status:<8} not_after={until}")


@keys_cli.command("root")
def keys_root() -> None:
    """Print the bundle-signing public key (PEM) to pin on checkpoints."""
    c = container()
    with c.unit_of_work() as uow:
        session = uow.session
        click.echo(root_public_key(session, keyring=c.keyring).public_pem().decode(), nl=False)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the configured database (default: to head)."""
    upgrade(container().settings.database_url, revision)
    click.echo(f"database upgraded to {revision}")


@accounts_cli.command("create")
@click.option("--username", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["checkpoint", "venue_operator", "official", "admin"]),
)
@click.option(
    "--password-env",
    default="HEALTHCODE_NEW_PASSWORD",
    show_default=True,
    help="Environment variable holding the password; prompted when unset.",
)
def accounts_create(username: str, role: str, password_env: str) -> None:
    """Create a staff account (password from the environment or a prompt)."""
    password = os.environ.get(password_env) or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    with container().unit_of_work() as uow:
        session = uow.session
        try:
            account = create_staff(
                session, username=username, password=password, role=role, now=utcnow()
            )
        except ServiceError as exc:
            details = "; ".join(f"{e.pointer}: {e.detail}" for e in exc.errors)
            raise click.ClickException(f"{exc.detail} {details}".strip()) from None
        click.echo(f"created {account.role} {account.username} ({account.id})")


@accounts_cli.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Re-enable instead.")
def accounts_disable(username: str, enable: bool) -> None:
    """Disable an account (its tokens stop working at once), or re-enable it."""
    with container().unit_of_work() as uow:
        session = uow.session
        try:
            account = find_by_username(session, username=username)
            set_disabled(session, account_id=account.id, disabled=not enable, now=utcnow())
        except ServiceError as exc:
            raise click.ClickException(exc.detail) from None
    click.echo(f"{'enabled' if enable else 'disabled'} {username}")


@accounts_cli.command("list")
def accounts_list() -> None:
    """List accounts."""
    with container().unit_of_work() as uow:
        session = uow.session
        for a in list_accounts(session):
            state = "disabled" if a.disabled_at else "active"
            who = a.username or f"(phone ...{a.phone_hint or ''})"
            click.echo(f"{a.id}  {a.role:<15} {who}  {state}")


@demo_cli.command("seed")
def demo_seed() -> None:
    """Create demo staff and regions (idempotent; refused in production)."""
    c = container()
    if c.settings.production:
        raise click.ClickException("demo data is never loaded in production mode")
    with c.unit_of_work() as uow:
        session = uow.session
        for line in seed(session, settings=c.settings):
            click.echo(line)
