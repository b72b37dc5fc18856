"""The observatory's lake: the stack's records as Parquet, by city and date (docs/observatory.md)."""
