"""The local stack's general engine: runs a SAM template on one machine, knowing nothing of Vigía."""
