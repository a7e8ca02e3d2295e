"""LakeCatalog: one Glue database per zone and the `events` tables, built from lake_schema.

The tables use partition projection: Athena computes the `dt` partitions from the table's
parameters instead of reading them from the catalog, so no crawler or MSCK REPAIR has to run
before new data can be queried, and a query that filters on `dt` lists only those folders.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3

from constructs import Construct
from lake_schema import Column, TableSchema
from lake_schema.layout import PARTITION_KEY

# lake_schema uses Hive/Glue type names already; these are the ones Athena and Spark both read.
_PRIMITIVE_TYPES = frozenset(
    {"string", "boolean", "tinyint", "smallint", "int", "bigint", "float", "double", "date",
     "timestamp", "binary"}
)  # fmt: skip
_DECIMAL = re.compile(r"^decimal\(\d{1,2},\d{1,2}\)$")
_COMPLEX = re.compile(r"^(map|array|struct)<.+>$")
# Glue column comments are limited to 255 characters.
_MAX_COMMENT = 255

PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"


def glue_type(column: Column, table: str) -> str:
    """The Glue type for a lake_schema column; an unknown type fails synth naming the column."""
    kind = column.type.replace(" ", "")
    if kind in _PRIMITIVE_TYPES or _DECIMAL.match(kind) or _COMPLEX.match(kind):
        return kind
    raise ValueError(
        f"lake_schema {table}.{column.name}: type {column.type!r} has no Glue equivalent; "
        f"allowed: {', '.join(sorted(_PRIMITIVE_TYPES))}, decimal(p,s), map<..>, array<..>, "
        "struct<..>"
    )


def glue_columns(columns: tuple[Column, ...], table: str) -> list[glue.CfnTable.ColumnProperty]:
    return [
        glue.CfnTable.ColumnProperty(
            name=column.name,
            type=glue_type(column, table),
            comment=column.description[:_MAX_COMMENT],
        )
        for column in columns
    ]


def date_projection(*, start_date: str, location_template: str) -> dict[str, str]:
    """Table parameters projecting a daily `dt` partition from `start_date` up to today."""
    key = PARTITION_KEY
    return {
        "projection.enabled": "true",
        f"projection.{key}.type": "date",
        f"projection.{key}.format": "yyyy-MM-dd",
        f"projection.{key}.range": f"{start_date},NOW",
        f"projection.{key}.interval": "1",
        f"projection.{key}.interval.unit": "DAYS",
        "storage.location.template": location_template,
    }


class ProjectedParquetTable(Construct):
    """An external Parquet table at `s3://bucket/prefix`, partitioned by `dt=yyyy-MM-dd/`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database: glue.CfnDatabase,
        database_name: str,
        schema: TableSchema,
        bucket: s3.IBucket,
        prefix: str,
        start_date: str,
        description: str,
    ) -> None:
        super().__init__(scope, construct_id)
        location = f"s3://{bucket.bucket_name}/{prefix}"
        self.table_name = schema.name
        self.table = glue.CfnTable(
            self,
            "Table",
            catalog_id=cdk.Aws.ACCOUNT_ID,
            database_name=database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=schema.name,
                description=description,
                table_type="EXTERNAL_TABLE",
                parameters={
                    "classification": "parquet",
                    "EXTERNAL": "TRUE",
                    "schema_version": str(schema.schema_version),
                    **date_projection(
                        start_date=start_date,
                        location_template=f"{location}{PARTITION_KEY}=${{{PARTITION_KEY}}}/",
                    ),
                },
                partition_keys=glue_columns(schema.partition_keys, schema.name),
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=glue_columns(schema.columns, schema.name),
                    location=location,
                    input_format=PARQUET_INPUT_FORMAT,
                    output_format=PARQUET_OUTPUT_FORMAT,
                    compressed=True,
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library=PARQUET_SERDE,
                        parameters={"serialization.format": "1"},
                    ),
                ),
            ),
        )
        # The database name is a plain string, so CloudFormation cannot infer the order.
        self.table.node.add_dependency(database)


class LakeCatalog(Construct):
    """A Glue database per zone, named `<prefix>_<profile>_<zone>`, located at its zone bucket."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database_names: Mapping[str, str],
        buckets: Mapping[str, s3.IBucket],
    ) -> None:
        super().__init__(scope, construct_id)
        self.databases: dict[str, glue.CfnDatabase] = {}
        for zone, name in database_names.items():
            self.databases[zone] = glue.CfnDatabase(
                self,
                f"{zone.title()}Database",
                catalog_id=cdk.Aws.ACCOUNT_ID,
                database_input=glue.CfnDatabase.DatabaseInputProperty(
                    name=name,
                    description=f"The data lake's {zone} zone",
                    location_uri=f"s3://{buckets[zone].bucket_name}/",
                ),
            )
