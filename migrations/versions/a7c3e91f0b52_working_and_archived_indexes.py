"""indexes of an organisation's working and archived cases and working clients

Every working list of contacts, barriers and referrals leaves out the rows of an archived
case (``case_id NOT IN (SELECT id FROM case_file WHERE archived_at IS NOT NULL AND
organisation_id = ?)``, models/visibility.py): a partial index of the archived cases
finds them without reading the organisation's every case. The case and client lists
show an organisation's working records newest first (``archived_at IS NULL ORDER BY id
DESC``): a partial index of the working ones gives them in that order, a deep page
included (PostgreSQL takes no order from an index whose column is only ``IS NULL``).

Revision ID: a7c3e91f0b52
Revises: 5b7e2d1c4a90
Create Date: 2026-12-02 04:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c3e91f0b52"
down_revision = "5b7e2d1c4a90"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_case_file_organisation_working", "case_file", "archived_at IS NULL"),
    ("ix_case_file_organisation_archived", "case_file", "archived_at IS NOT NULL"),
    ("ix_client_organisation_working", "client", "archived_at IS NULL"),
)


def upgrade():
    for name, table, where in INDEXES:
        op.create_index(
            name,
            table,
            ["organisation_id", "id"],
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def downgrade():
    for name, table, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)
