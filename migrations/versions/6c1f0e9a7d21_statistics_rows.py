"""grouped counts of one organisation, stored for every worker

A worker that shows the statistics reads the rows another worker counted while nothing
they read has been written since (models/statistics/generation.py, ``statistics_rows``):
a worker's first view after a start no longer counts every figure again.

Revision ID: 6c1f0e9a7d21
Revises: a7c3e91f0b52
Create Date: 2026-12-02 05:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6c1f0e9a7d21"
down_revision = "a7c3e91f0b52"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "statistics_rows",
        sa.Column("shape", sa.String(length=64), nullable=False, comment="digest of the grouped count's SQL"),
        sa.Column("organisation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False, comment="digest of the tokens counted at"),
        sa.Column("rows", sa.Text(), nullable=False, comment="the organisation's rows, as JSON"),
        sa.Column("stored_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("shape", "organisation_id", name=op.f("pk_statistics_rows")),
        comment="grouped counts of one organisation as of their tokens, shared by all workers "
        "(models/statistics/generation.py)",
    )


def downgrade():
    op.drop_table("statistics_rows")
