"""The programme core: the layout of a raw root and its countries (programme.py), waves, drops and their
partition keys (waves.py), the files a wave folder holds (wave_files.py), enterprise identifiers
(identifiers.py) and what parsing a raw cell gives (cells.py). It imports no stage: ingest, quality,
transform, analysis, publish, lineage and the entry points build on it (tests/test_layering.py)."""
