"""Other agencies' records for the observatory: manifests, readers, ingestion (docs/observatory.md)."""
