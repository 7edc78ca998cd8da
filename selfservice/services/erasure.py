"""The erasure engine: runs a confirmed deletion's frozen plan, step by step."""

from __future__ import annotations

ERASE_JOB = "deletion.erase"
