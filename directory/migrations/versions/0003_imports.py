"""imports: sources, runs, external records, merge candidates, evidence (issue 7)

Revision ID: 0003_imports
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = "0003_imports"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('schedule', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('last_checksum', sa.String(length=64), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_run_at', sa.DateTime(), nullable=True),
    sa.Column('last_changed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('oruk', 'spreadsheet', 'ical')", name=op.f('ck_import_source_kind_allowed')),
    sa.CheckConstraint("state IN ('idle', 'queued', 'running', 'failed', 'bad-source')", name=op.f('ck_import_source_state_allowed')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_source')),
    sa.UniqueConstraint('name', name=op.f('uq_import_source_name'))
    )
    op.create_table('import_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('started_by', sa.String(length=255), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('held', sa.Integer(), nullable=False),
    sa.Column('rejected_count', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.JSON(), nullable=False),
    sa.Column('notices', sa.JSON(), nullable=False),
    sa.Column('failure', sa.Text(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.CheckConstraint("status IN ('running', 'succeeded', 'failed', 'skipped')", name=op.f('ck_import_run_status_allowed')),
    sa.ForeignKeyConstraint(['source_id'], ['import_source.id'], name=op.f('fk_import_run_source_id_import_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_run'))
    )
    with op.batch_alter_table('import_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_run_source_id'), ['source_id'], unique=False)

    op.create_table('external_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('entity_type', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.Column('last_run_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("entity_type IN ('service', 'organization')", name=op.f('ck_external_record_entity_type_allowed')),
    sa.ForeignKeyConstraint(['last_run_id'], ['import_run.id'], name=op.f('fk_external_record_last_run_id_import_run')),
    sa.ForeignKeyConstraint(['source_id'], ['import_source.id'], name=op.f('fk_external_record_source_id_import_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_record')),
    sa.UniqueConstraint('source_id', 'entity_type', 'external_id', name='uq_external_record_key')
    )
    with op.batch_alter_table('external_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_record_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_external_record_source_id'), ['source_id'], unique=False)

    op.create_table('import_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('observed_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('website-failed', 'no-future-events')", name=op.f('ck_import_evidence_kind_allowed')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_import_evidence_service_id_service'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['import_source.id'], name=op.f('fk_import_evidence_source_id_import_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_evidence'))
    )
    with op.batch_alter_table('import_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_evidence_observed_at'), ['observed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_evidence_service_id'), ['service_id'], unique=False)

    op.create_table('merge_candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('organisation', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=255), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('open', 'merged', 'separate')", name=op.f('ck_merge_candidate_state_allowed')),
    sa.ForeignKeyConstraint(['run_id'], ['import_run.id'], name=op.f('fk_merge_candidate_run_id_import_run')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_merge_candidate_service_id_service')),
    sa.ForeignKeyConstraint(['source_id'], ['import_source.id'], name=op.f('fk_merge_candidate_source_id_import_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merge_candidate'))
    )
    with op.batch_alter_table('merge_candidate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_merge_candidate_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_merge_candidate_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_merge_candidate_state'), ['state'], unique=False)


def downgrade():
    for table in ('merge_candidate', 'import_evidence', 'external_record', 'import_run', 'import_source'):
        op.drop_table(table)
