"""the supervisor's follow-up lists read through indexes: a person's valid quiz passes (partial index on the
passes), a unit's active people in name order (full_name added to the (unit_id, active) index)

Revision ID: 0027_follow_up_indexes
Revises: 0026_user_search_text_column
"""
import sqlalchemy as sa
from alembic import op

revision = '0027_follow_up_indexes'
down_revision = '0026_user_search_text_column'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_quiz_attempt_valid_pass', 'quiz_attempt', ['user_id', 'valid_until'], unique=False,
                    sqlite_where=sa.text('passed = 1 AND finished_at IS NOT NULL'),
                    postgresql_where=sa.text('passed AND finished_at IS NOT NULL'))
    op.create_index('ix_user_unit_id_active_name', 'user', ['unit_id', 'active', 'full_name'], unique=False)
    op.drop_index('ix_user_unit_id_active', table_name='user')
    _measure_if_measured()


def _measure_if_measured():
    """SQLite plans with ANALYZE's statistics where it has run: measure the two tables again so the new indexes
    are judged with the old ones (see 0024)."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first() is not None:
        bind.exec_driver_sql("ANALYZE quiz_attempt")
        bind.exec_driver_sql('ANALYZE "user"')


def downgrade():
    op.create_index('ix_user_unit_id_active', 'user', ['unit_id', 'active'], unique=False)
    op.drop_index('ix_user_unit_id_active_name', table_name='user')
    op.drop_index('ix_quiz_attempt_valid_pass', table_name='quiz_attempt')
