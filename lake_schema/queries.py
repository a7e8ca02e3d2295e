"""The SQL of the lake's saved Athena queries, built from the table schema and the lake layout.

The training export is the dataset contract of the ML pipeline (ml/dataset.py): an integer
`label` column and numeric feature columns, nothing else. Feature names come from the schema's
`allowed` values, so a new event type or device adds a feature column at the next synth.

Plain strings, no CDK imports: tests and tools render the SQL without loading jsii.
"""

from __future__ import annotations

from dataclasses import dataclass

from lake_schema import TableSchema
from lake_schema.layout import LAKE_LAYOUT

LABEL_EVENT_TYPE = "purchase"
# The saved training export writes here; replace it with a fresh id per run (UNLOAD needs an
# empty folder), or render the SQL with training_export_sql(..., run_id=...).
RUN_ID_PLACEHOLDER = "__RUN_ID__"


def _allowed(schema: TableSchema, column: str) -> tuple[str, ...]:
    values = next((c.allowed for c in schema.columns if c.name == column), ())
    if not values:
        raise ValueError(
            f"lake_schema {schema.name}.{column}: needs an 'allowed' list for features"
        )
    return values


def _table(database: str, table: str) -> str:
    return f'"{database}"."{table}"'


def _recent_days(days: int) -> str:
    # A literal bound on dt lets partition projection list only those days' folders.
    return f"dt >= date_format(current_date - INTERVAL '{days}' DAY, '%Y-%m-%d')"


def events_per_day_sql(*, database: str, table: str, days: int) -> str:
    return f"""-- Events and distinct users per day and event type, last {days} days (curated).
SELECT dt, event_type, count(*) AS events, count(DISTINCT user_id) AS users
FROM {_table(database, table)}
WHERE {_recent_days(days)}
GROUP BY dt, event_type
ORDER BY dt, event_type"""


def late_events_sql(*, database: str, table: str, late_hours: int, days: int) -> str:
    return f"""-- Events ingested more than {late_hours} h after the end of their event day (dt):
-- a daily consumer that read dt=D at D+1 00:00 + {late_hours} h missed them. Last {days} days.
SELECT dt,
       count(*) AS late_events,
       max(date_diff('hour', event_time, ingested_at)) AS max_delay_hours,
       approx_percentile(date_diff('minute', event_time, ingested_at), 0.5) AS median_delay_minutes
FROM {_table(database, table)}
WHERE {_recent_days(days)}
  AND ingested_at > date_parse(dt, '%Y-%m-%d') + INTERVAL '1' DAY + INTERVAL '{late_hours}' HOUR
GROUP BY dt
ORDER BY dt"""


@dataclass(frozen=True)
class TrainingFeatures:
    """The numeric columns the export writes, in order, after `label`."""

    event_types: tuple[str, ...]
    devices: tuple[str, ...]

    @classmethod
    def of(cls, schema: TableSchema) -> TrainingFeatures:
        event_types = _allowed(schema, "event_type")
        if LABEL_EVENT_TYPE not in event_types:
            raise ValueError(f"lake_schema {schema.name}.event_type: no {LABEL_EVENT_TYPE!r}")
        return cls(
            event_types=tuple(t for t in event_types if t != LABEL_EVENT_TYPE),
            devices=_allowed(schema, "device"),
        )

    @property
    def columns(self) -> tuple[str, ...]:
        return (
            *(f"{t}_count" for t in self.event_types),
            "distinct_products",
            "cart_items",
            "cart_value",
            "session_duration_seconds",
            "hour_of_day",
            "day_of_week",
            *(f"device_{d}" for d in self.devices),
        )


def training_export_sql(
    *,
    schema: TableSchema,
    database: str,
    analytics_bucket: str,
    window_days: int,
    run_id: str = RUN_ID_PLACEHOLDER,
) -> str:
    """UNLOAD one row per session: `label` (1 if the session has a purchase) and features
    computed only from the events before its first purchase, so the label cannot leak in."""
    features = TrainingFeatures.of(schema)
    counts = ",\n    ".join(
        f"CAST(count_if(event_type = '{t}') AS integer) AS {t}_count" for t in features.event_types
    )
    devices = ",\n    ".join(
        f"CAST(max(CASE WHEN device = '{d}' THEN 1 ELSE 0 END) AS integer) AS device_{d}"
        for d in features.devices
    )
    target = f"s3://{analytics_bucket}/{LAKE_LAYOUT.training_run(run_id)}"
    return f"""-- Training dataset for the ML pipeline: one row per session of the last
-- {window_days} days, an integer label and numeric features only. Replace
-- {RUN_ID_PLACEHOLDER} with a new run id first: UNLOAD refuses a folder that holds files.
UNLOAD (
  WITH session_events AS (
    SELECT session_id, event_type, event_time, device, price, quantity,
           element_at(properties, 'product_id') AS product_id,
           min(CASE WHEN event_type = '{LABEL_EVENT_TYPE}' THEN event_time END)
             OVER (PARTITION BY session_id) AS first_purchase_time
    FROM {_table(database, schema.name)}
    WHERE {_recent_days(window_days)}
      AND session_id IS NOT NULL
  ),
  before_purchase AS (
    SELECT * FROM session_events
    WHERE first_purchase_time IS NULL OR event_time < first_purchase_time
  )
  SELECT
    CAST(max(CASE WHEN first_purchase_time IS NOT NULL THEN 1 ELSE 0 END) AS integer) AS label,
    {counts},
    CAST(count(DISTINCT product_id) AS integer) AS distinct_products,
    CAST(coalesce(sum(CASE WHEN event_type = 'add_to_cart' THEN coalesce(quantity, 1) END), 0)
      AS integer) AS cart_items,
    CAST(coalesce(sum(CASE WHEN event_type = 'add_to_cart'
      THEN coalesce(price, 0) * coalesce(quantity, 1) END), 0) AS double) AS cart_value,
    CAST(date_diff('second', min(event_time), max(event_time)) AS integer)
      AS session_duration_seconds,
    CAST(hour(min(event_time)) AS integer) AS hour_of_day,
    CAST(day_of_week(min(event_time)) AS integer) AS day_of_week,
    {devices}
  FROM before_purchase
  GROUP BY session_id
)
TO '{target}'
WITH (format = 'PARQUET', compression = 'SNAPPY')"""
