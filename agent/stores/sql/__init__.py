"""SQL tables by aggregate: facts, the change feed, the audit trail.

All share one ``MetaData`` (:mod:`agent.stores.sql.base`), so ``RecordStore`` creates them
together with its own tables and an erasure can reach every one in a single transaction.
"""
