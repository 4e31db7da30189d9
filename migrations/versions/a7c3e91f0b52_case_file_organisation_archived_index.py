"""an index of an organisation's cases by archive mark

Every working list of contacts, barriers and referrals leaves out the rows of an archived
case (``case_id NOT IN (SELECT id FROM case_file WHERE archived_at IS NOT NULL AND
organisation_id = ?)``, models/visibility.py): the index finds an organisation's archived
cases without reading its every case, and gives the case list its working cases newest
first.

Revision ID: a7c3e91f0b52
Revises: 5b7e2d1c4a90
Create Date: 2026-12-02 04:50:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c3e91f0b52"
down_revision = "5b7e2d1c4a90"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_case_file_organisation_archived",
        "case_file",
        ["organisation_id", "archived_at", "id"],
    )


def downgrade():
    op.drop_index("ix_case_file_organisation_archived", table_name="case_file")
