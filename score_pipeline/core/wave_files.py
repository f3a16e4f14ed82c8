"""The files of a wave folder an instrument reads (contract 1 and 2): one file per instrument, the case studies'
markdown files in a folder. Each ingest instrument reads its own (ingest/instruments/); a drop's check reports
every other file of the folder as unread (core/waves.py)."""

from __future__ import annotations

import re

PRACTICES = "practicas_gestion.csv"
PROFILE = "perfil_empresa.xlsx"
SELF_ASSESSMENT = "autoevaluacion.csv"
WORKER_SURVEY = "encuesta_trabajadores.csv"
TRAINING = "registro_capacitacion.csv"
CASE_STUDIES = "estudios_caso/"
SAMPLE_FRAME = "muestra.csv"  # contract 8.1: the evaluation's sample frame, in a country's first wave only
CASE_STUDY_FILE = r"estudios_caso/[^/]+\.md"  # the files of CASE_STUDIES the instrument reads

READ_FILES = re.compile(r"^(" + "|".join(re.escape(name) for name in (PRACTICES, PROFILE, SELF_ASSESSMENT, WORKER_SURVEY,
                                                                       TRAINING, SAMPLE_FRAME)) + r"|" + CASE_STUDY_FILE + r")$")
