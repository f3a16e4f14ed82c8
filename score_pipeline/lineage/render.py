"""A trace as the text `score-pipeline trace` prints: one line per column, indented under what it feeds."""

from __future__ import annotations

from score_pipeline.lineage.trace import Hop


def rows_text(rows: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{column} = '{value}'" for column, value in rows)


def hop_text(hop: Hop) -> str:
    """`marts.kpi_change.mean_pct_change  [rows: kpi = 'accidents']`, and who writes a relation outside dbt."""
    parts = [hop.name]
    if hop.rows:
        parts.append(f"[rows: {rows_text(hop.rows)}]")
    if hop.kind == "raw":
        parts.append(f"(ingest asset {hop.asset})")
    elif hop.kind == "python":
        parts.append(f"(computed in Python by the asset {hop.asset})")
    elif hop.kind == "seed":
        parts.append(f"(seed {hop.read_from})")
    return "  ".join(parts)


def text_tree(root: Hop) -> str:
    lines = [hop_text(root)]

    def branch(hop: Hop, prefix: str) -> None:
        children: list[tuple[str, Hop | None]] = [(hop_text(parent), parent) for parent in hop.upstream]
        if hop.leaf_note:
            children.append((hop.leaf_note, None))
        for index, (text, child) in enumerate(children):
            last = index == len(children) - 1
            lines.append(f"{prefix}{'└─ ' if last else '├─ '}{text}")
            if child is not None:
                branch(child, prefix + ("   " if last else "│  "))

    branch(root, "")
    return "\n".join(lines)
