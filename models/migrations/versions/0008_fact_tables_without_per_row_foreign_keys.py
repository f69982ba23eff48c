"""fact and aggregate tables without per-row foreign key checks

The fact tables (contact, agentstatesegment) and the pre-aggregates the refresh rewrites no longer
declare foreign keys (see the notes above Contact and QueueInterval in models/tables.py): on
PostgreSQL a per-row key check cost more than the insert itself. SQLite rebuilds the tables (batch
mode); PostgreSQL drops the constraints in place.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 03:06:28.050585
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# PostgreSQL's own names for these constraints; SQLite's are unnamed and get them by this convention.
NAMES = {"fk": "%(table_name)s_%(column_0_name)s_fkey"}
DROPPED = {
    "contact": [("queue_id", "queue"), ("touchpoint_id", "touchpoint"), ("agent_id", "agent")],
    "agentstatesegment": [("agent_id", "agent")],
    "queueinterval": [("queue_id", "queue")],
    "agentinterval": [("agent_id", "agent")],
    "agentday": [("agent_id", "agent")],
    "effortanswer": [("survey_id", "surveyresponse"), ("contact_id", "contact"), ("queue_id", "queue")],
    "journeystep": [("contact_id", "contact"), ("queue_id", "queue"), ("from_queue", "queue")],
}


def upgrade() -> None:
    for table, keys in DROPPED.items():
        with op.batch_alter_table(table, naming_convention=NAMES) as batch_op:
            for column, _ in keys:
                batch_op.drop_constraint(f"{table}_{column}_fkey", type_="foreignkey")


def downgrade() -> None:
    for table, keys in DROPPED.items():
        with op.batch_alter_table(table, naming_convention=NAMES) as batch_op:
            for column, referred in keys:
                batch_op.create_foreign_key(f"{table}_{column}_fkey", referred, [column], ["id"])
