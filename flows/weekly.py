"""Entry point for ``flows/weekly.py:weekly_flow``; the flow lives in ``newsdigest.flows.weekly``."""

from newsdigest.flows.weekly import weekly_flow

__all__ = ["weekly_flow"]
