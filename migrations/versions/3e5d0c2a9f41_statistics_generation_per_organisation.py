"""statistics generation per organisation and table

The one token of 8fbb8fb100be becomes one token per (organisation, table) that has been
written, and an epoch row (0, "*"): figures kept for one organisation, or for the rows of
one table, stay kept while others are written (models/statistics/generation.py).

Revision ID: 3e5d0c2a9f41
Revises: 8fbb8fb100be
Create Date: 2026-12-01 15:30:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3e5d0c2a9f41"
down_revision = "8fbb8fb100be"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table("statistics_generation")
    op.create_table(
        "statistics_generation",
        sa.Column("organisation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column(
            "token",
            sa.BigInteger(),
            nullable=False,
            comment="replaced by every write of the table's rows of this organisation",
        ),
        sa.PrimaryKeyConstraint(
            "organisation_id", "table_name", name=op.f("pk_statistics_generation")
        ),
        comment="the generation of the counted data per organisation and table "
        "(models/statistics/generation.py)",
    )
    generation = sa.table(
        "statistics_generation",
        sa.column("organisation_id", sa.Integer),
        sa.column("table_name", sa.String),
        sa.column("token", sa.BigInteger),
    )
    op.bulk_insert(
        generation, [{"organisation_id": 0, "table_name": "*", "token": secrets.randbits(62)}]
    )


def downgrade():
    op.drop_table("statistics_generation")
    op.create_table(
        "statistics_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "token",
            sa.BigInteger(),
            nullable=False,
            comment="replaced by every write of counted data; statistics are kept per token",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statistics_generation")),
        comment="one row: the generation of the counted data (models/statistics/generation.py)",
    )
    generation = sa.table(
        "statistics_generation", sa.column("id", sa.Integer), sa.column("token", sa.BigInteger)
    )
    op.bulk_insert(generation, [{"id": 1, "token": secrets.randbits(62)}])
