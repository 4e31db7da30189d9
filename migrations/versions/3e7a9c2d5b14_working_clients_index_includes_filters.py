"""the working clients' index includes the columns the client list filters by (PostgreSQL)

PostgreSQL planned a filtered client list (say, residence status "temporary protection")
newest first along the primary key, filtering every row, and so walked past the other
organisations' clients whose ids came later (12 ms at 100,000 clients). With the filtered
columns in the working clients' index the page is read from the index alone (0.2 ms).
SQLite keeps the index as it was (it plans that page from the index already).

Revision ID: 3e7a9c2d5b14
Revises: 8d2f4b6a1c37
Create Date: 2026-12-03 13:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3e7a9c2d5b14"
down_revision = "8d2f4b6a1c37"
branch_labels = None
depends_on = None

NAME = "ix_client_organisation_working"
# As the migration wrote them: models.client.LIST_FILTERS may change later.
FILTERS = [
    "residence_status",
    "benefits_domain",
    "country_of_origin",
    "gender",
    "district",
    "needs_interpreter",
    "consent_withdrawn_on",
    "arrival_date",
]


def _recreate(include):
    op.drop_index(NAME, table_name="client")
    op.create_index(
        NAME,
        "client",
        ["organisation_id", "id"],
        postgresql_where=sa.text("archived_at IS NULL"),
        postgresql_include=include,
    )


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _recreate(FILTERS)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _recreate([])
