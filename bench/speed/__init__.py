"""Speed and memory benchmark: latency, ingestion throughput and peak RSS at three sizes.

Run it with ``python -m bench.speed.run`` (``--quick`` for the CI smoke run, ``--scale``
to add a million-item catalog); see ``bench/speed/README.md``.
"""
