"""How well the reader understands shoppers: a labelled utterance set and its scores.

``tactful eval conversation`` reads ``tests/conversation/utterances/heldout*.jsonl``
with :class:`agent.brain.offline.reader.OfflineReader` and writes
``bench/results/conversation.json``.
"""
