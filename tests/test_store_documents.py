"""store.add_documents: one statement for a batch, ids back in the order given."""

from pathlib import Path

from sqlalchemy import select

from newsdigest import store
from newsdigest.store.schema import documents


def test_add_documents_returns_ids_in_order(tmp_path: Path) -> None:
    engine = store.connect(f"sqlite:///{tmp_path / 'state.db'}")
    docs = [
        {"origin": f"d{i}", "sha256": f"{i:064d}", "source": None, "reason": "bad" if i == 3 else None}
        for i in range(7)
    ]
    with engine.begin() as conn:
        ids = store.add_documents(conn, docs, store.now())
        assert store.add_documents(conn, [], store.now()) == []
    with engine.connect() as conn:
        stored = {r.id: (r.origin, r.status) for r in conn.execute(select(documents))}
    assert [stored[i] for i in ids] == [(d["origin"], "rejected" if d["reason"] else "ok") for d in docs]
