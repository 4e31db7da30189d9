"""Command-line tasks: ``flask --app wsgi users create``."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from models import Organisation, User
from models.choices import Role
from models.passwords import password_problem

users_cli = AppGroup("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option("--organisation", "organisation_slug", help="Slug, for case_manager and org_lead.")
@click.password_option()
def create_user_command(
    email: str, full_name: str, role: str, organisation_slug: str | None, password: str
) -> None:
    """Create a staff account."""
    problem = password_problem(password)
    if problem:
        raise click.BadParameter(problem, param_hint="--password")
    organisation = None
    if Role(role).is_case_level:
        if not organisation_slug:
            raise click.BadParameter("needed for this role", param_hint="--organisation")
        organisation = db.session.execute(
            select(Organisation).where(Organisation.slug == organisation_slug)
        ).scalar_one_or_none()
        if organisation is None:
            raise click.BadParameter(f"unknown organisation {organisation_slug!r}")
    elif organisation_slug:
        raise click.BadParameter("coordinators and admins belong to no organisation")
    if db.session.execute(select(User.id).where(User.email == email.strip().lower())).first():
        raise click.BadParameter("an account with this e-mail exists", param_hint="--email")
    user = User(email=email, full_name=full_name, role=role, organisation=organisation)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {user.email} ({role})")
