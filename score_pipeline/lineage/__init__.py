"""Figures traced to the raw files (`score-pipeline trace`, traces.html): column lineage through the dbt
models' compiled SQL (sql.py), chained model by model down to the ingest assets and the extracts' columns
(trace.py), and printed (render.py)."""
