"""Entry point for ``flows/digest.py:digest_flow``; the flow lives in ``newsdigest.flows.digest``."""

from newsdigest.flows.digest import digest_flow

__all__ = ["digest_flow"]
