"""Deployment entry points: thin aliases of ``newsdigest.flows``.

The flows themselves live in the package (``src/newsdigest/flows``) so that an installed
wheel can run them; a wheel must not install a top-level package named ``flows``. These
files let ``prefect deploy`` and ``flow.from_source(repo, "flows/weekly.py:weekly_flow")``
name the flows by path from a checkout of this repository.
"""
