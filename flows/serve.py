"""Entry point for ``flows/serve.py:serve``; the flow lives in ``newsdigest.flows.serve``."""

from newsdigest.flows.serve import serve

__all__ = ["serve"]
