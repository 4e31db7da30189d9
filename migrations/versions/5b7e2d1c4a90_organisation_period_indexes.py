"""indexes of an organisation's cases and referrals by day

The statistics count an organisation's cases of a period (opened, open at its end, their
clients) again after one of its cases is edited: an index on (organisation, opened_on,
closed_on, client_id) answers those counts without reading the table. Its referrals of a
period are selected by their own organisation and day (organisation, referred_on).

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
    op.create_index(
        "ix_referral_organisation_referred", "referral", ["organisation_id", "referred_on"]
    )


def downgrade():
    op.drop_index("ix_referral_organisation_referred", table_name="referral")
    op.drop_index("ix_case_file_organisation_opened", table_name="case_file")
