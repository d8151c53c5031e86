"""Meter data management (DESIGN §2, §3): the ingest interface the head-end writes through (:mod:`.ingest`)
and the per-value quality codes (:mod:`.quality`). Validation, estimation, versions and billing build on these.
"""

from meterhub.mdm.ingest import IngestError, IngestResult, IngestService, Reading, day_totals
from meterhub.mdm.quality import EstimationMethod, Quality, SuspectRule, quality_byte, quality_code, quality_detail

__all__ = [
    "EstimationMethod",
    "IngestError",
    "IngestResult",
    "IngestService",
    "Quality",
    "Reading",
    "SuspectRule",
    "day_totals",
    "quality_byte",
    "quality_code",
    "quality_detail",
]
