"""LakeNamedQueries: the lake workgroup's saved Athena queries (their SQL: lake_schema.queries)."""

from __future__ import annotations

from aws_cdk import aws_athena as athena

from constructs import Construct
from lake_schema import TableSchema
from lake_schema.layout import LAKE_LAYOUT
from lake_schema.queries import (
    RUN_ID_PLACEHOLDER,
    events_per_day_sql,
    late_events_sql,
    training_export_sql,
)


class LakeNamedQueries(Construct):
    """The saved queries of the lake's workgroup."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        workgroup: athena.CfnWorkGroup,
        schema: TableSchema,
        raw_database: str,
        curated_database: str,
        analytics_bucket: str,
        late_arrival_hours: int,
        training_window_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        table = schema.name
        queries = {
            "EventsPerDay": (
                f"{table}-per-day",
                "Curated events and users per day and event type, last 30 days",
                curated_database,
                events_per_day_sql(database=curated_database, table=table, days=30),
            ),
            "LateEvents": (
                f"{table}-late-arrivals",
                f"Raw events ingested more than {late_arrival_hours} h after their day ended",
                raw_database,
                late_events_sql(
                    database=raw_database, table=table, late_hours=late_arrival_hours, days=7
                ),
            ),
            "TrainingExport": (
                f"{table}-training-export",
                f"UNLOAD the session training dataset (label + numeric features) to "
                f"s3://<analytics>/{LAKE_LAYOUT.training_events}run={RUN_ID_PLACEHOLDER}/",
                curated_database,
                training_export_sql(
                    schema=schema,
                    database=curated_database,
                    analytics_bucket=analytics_bucket,
                    window_days=training_window_days,
                ),
            ),
        }
        self.queries: dict[str, athena.CfnNamedQuery] = {}
        for query_id, (name, description, database, sql) in queries.items():
            self.queries[query_id] = athena.CfnNamedQuery(
                self,
                query_id,
                name=name,
                description=description,
                database=database,
                query_string=sql,
                work_group=workgroup.ref,
            )
