"""Prefect flows: orchestration only; the work is done by newsdigest stage functions."""
