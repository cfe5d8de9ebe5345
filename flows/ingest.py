"""Entry point for ``flows/ingest.py:ingest_flow``; the flow lives in ``newsdigest.flows.ingest``."""

from newsdigest.flows.ingest import ingest_flow

__all__ = ["ingest_flow"]
