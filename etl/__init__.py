"""Glue ETL: the events job script and its pure PySpark transformation."""
