"""an index of an organisation's cases by opening day

The statistics count an organisation's cases of a period (opened, open at its end, their
clients) again after one of its cases is edited: an index on (organisation, opened_on,
closed_on, client_id) answers those counts without reading the table.

Revision ID: 5b7e2d1c4a90
Revises: 3e5d0c2a9f41
Create Date: 2026-12-01 19:10:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "5b7e2d1c4a90"
down_revision = "3e5d0c2a9f41"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_case_file_organisation_opened",
        "case_file",
        ["organisation_id", "opened_on", "closed_on", "client_id"],
    )


def downgrade():
    op.drop_index("ix_case_file_organisation_opened", table_name="case_file")
