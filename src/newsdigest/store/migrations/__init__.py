"""Numbered schema migrations: each ``mNNNN_name.py`` has ``VERSION`` and ``upgrade(conn)``.

They are found by file name, so a capability adds its tables by adding one file,
without editing a shared list. Applied versions are recorded in ``schema_version``.
"""
