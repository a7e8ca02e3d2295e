"""Data lake constructs: zone buckets, the Glue catalog, ETL, crawler, Lake Formation, Athena."""
