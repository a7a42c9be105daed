"""groups: edit links, pending changes, reminders, follow-ups, opt-outs, job runs and the job store (issue 6)

Revision ID: 0003_groups
Revises: 0002
Create Date: 2026-11-27 10:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0003_groups"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contact_opt_out',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_opt_out')),
    sa.UniqueConstraint('email', name=op.f('uq_contact_opt_out_email'))
    )
    op.create_table('job_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.CheckConstraint("outcome IN ('running', 'ok', 'failed', 'skipped')", name=op.f('ck_job_run_outcome_allowed')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_run'))
    )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_run_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_run_started_at'), ['started_at'], unique=False)

    op.create_table('scheduler_job',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_job'))
    )
    with op.batch_alter_table('scheduler_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheduler_job_next_run_time'), ['next_run_time'], unique=False)

    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('cycle', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('reported_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by', sa.String(length=255), nullable=False),
    sa.Column('resolution', sa.String(length=16), nullable=False),
    sa.CheckConstraint("reason IN ('no-reply', 'group-stopped', 'funding-ended', 'no-email')", name=op.f('ck_follow_up_reason_allowed')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_follow_up_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up'))
    )
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_resolved_at'), ['resolved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_up_service_id'), ['service_id'], unique=False)

    op.create_table('group_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=255), nullable=False),
    sa.CheckConstraint("kind IN ('edit', 'confirm', 'stopped', 'unsubscribe')", name=op.f('ck_group_token_kind_allowed')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_group_token_organization_id_organization')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_group_token_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_group_token_token_hash'))
    )
    with op.batch_alter_table('group_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_token_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_token_service_id'), ['service_id'], unique=False)

    op.create_table('pending_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by', sa.String(length=255), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_pending_change_status_allowed')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_pending_change_organization_id_organization')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_pending_change_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_change'))
    )
    with op.batch_alter_table('pending_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_change_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_change_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_change_status'), ['status'], unique=False)

    op.create_table('reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('cycle', sa.String(length=32), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('freshness', 'funding')", name=op.f('ck_reminder_kind_allowed')),
    sa.CheckConstraint("status IN ('sending', 'sent', 'failed')", name=op.f('ck_reminder_status_allowed')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_reminder_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder')),
    sa.UniqueConstraint('service_id', 'kind', 'cycle', 'sequence', name='uq_reminder_step')
    )
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_service_id'), ['service_id'], unique=False)


def downgrade():
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_service_id'))

    op.drop_table('reminder')
    with op.batch_alter_table('pending_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_change_status'))
        batch_op.drop_index(batch_op.f('ix_pending_change_service_id'))
        batch_op.drop_index(batch_op.f('ix_pending_change_organization_id'))

    op.drop_table('pending_change')
    with op.batch_alter_table('group_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_token_service_id'))
        batch_op.drop_index(batch_op.f('ix_group_token_organization_id'))

    op.drop_table('group_token')
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_service_id'))
        batch_op.drop_index(batch_op.f('ix_follow_up_resolved_at'))

    op.drop_table('follow_up')
    with op.batch_alter_table('scheduler_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheduler_job_next_run_time'))

    op.drop_table('scheduler_job')
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_run_started_at'))
        batch_op.drop_index(batch_op.f('ix_job_run_name'))

    op.drop_table('job_run')
    op.drop_table('contact_opt_out')
