"""quiz: every GIFT question kind, text formats, nested topics, id numbers and tags

Revision ID: 0009_quiz
Revises: 0008
"""
import html

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009_quiz'
down_revision = '0008'
branch_labels = None
depends_on = None

# SQLite names no unique constraint that was declared without a name; give the reflected one a name to drop it.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _drop_topic_name_unique(batch_op, dialect):
    batch_op.drop_constraint("uq_quiz_topic_name" if dialect == "sqlite" else "quiz_topic_name_key", type_="unique")


def upgrade():
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table('quiz_topic', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        _drop_topic_name_unique(batch_op, dialect)
        batch_op.create_foreign_key('fk_quiz_topic_parent_id_quiz_topic', 'quiz_topic', ['parent_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_quiz_topic_parent_id'), ['parent_id'], unique=False)
        batch_op.create_unique_constraint('uq_quiz_topic_parent_name', ['parent_id', 'name'])
    op.create_index('uq_quiz_topic_root_name', 'quiz_topic', ['name'], unique=True,
                    sqlite_where=sa.text('parent_id IS NULL'), postgresql_where=sa.text('parent_id IS NULL'))

    with op.batch_alter_table('quiz_question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_number', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('tags', sa.Text(), nullable=False, server_default=''))

    with op.batch_alter_table('quiz_question_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_format', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False,
                                      server_default='markdown'))

    with op.batch_alter_table('quiz_option', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feedback_html', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('match_text', sa.Text(), nullable=False, server_default=''))

    with op.batch_alter_table('quiz_attempt_question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('match_order', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.add_column(sa.Column('response', sa.Text(), nullable=True))

    # Feedback was shown as plain text with its line breaks: store that as its HTML.
    connection = op.get_bind()
    option = sa.table('quiz_option', sa.column('id', sa.Integer()), sa.column('feedback', sa.Text()),
                      sa.column('feedback_html', sa.Text()))
    rows = connection.execute(sa.select(option.c.id, option.c.feedback).where(option.c.feedback != '')).all()
    for option_id, feedback in rows:
        rendered = html.escape(feedback).replace('\n', '<br>\n')
        connection.execute(option.update().where(option.c.id == option_id).values(feedback_html=rendered))


def downgrade():
    with op.batch_alter_table('quiz_attempt_question', schema=None) as batch_op:
        batch_op.drop_column('response')
        batch_op.drop_column('match_order')

    with op.batch_alter_table('quiz_option', schema=None) as batch_op:
        batch_op.drop_column('match_text')
        batch_op.drop_column('feedback_html')

    with op.batch_alter_table('quiz_question_version', schema=None) as batch_op:
        batch_op.drop_column('text_format')

    with op.batch_alter_table('quiz_question', schema=None) as batch_op:
        batch_op.drop_column('tags')
        batch_op.drop_column('id_number')

    op.drop_index('uq_quiz_topic_root_name', table_name='quiz_topic')
    with op.batch_alter_table('quiz_topic', schema=None) as batch_op:
        batch_op.drop_constraint('uq_quiz_topic_parent_name', type_='unique')
        batch_op.drop_index(batch_op.f('ix_quiz_topic_parent_id'))
        batch_op.drop_constraint('fk_quiz_topic_parent_id_quiz_topic', type_='foreignkey')
        batch_op.drop_column('parent_id')
        batch_op.create_unique_constraint('uq_quiz_topic_name' if op.get_bind().dialect.name == 'sqlite'
                                          else 'quiz_topic_name_key', ['name'])
