"""The scale benchmark (`make bench`): see `__main__.py`; the baseline SQL script is `baseline.sql`."""
