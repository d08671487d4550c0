"""What a batch leaves in an output folder, apart from crowdveil's resume record."""

from __future__ import annotations

from pathlib import Path

from crowdveil.record import RECORD_NAME


def published(folder: Path) -> list[Path]:
    """Every file under `folder` except the resume record (it is checked by its own tests)."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != RECORD_NAME)
