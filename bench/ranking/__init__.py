"""Ranking quality on real data, the way the literature measures it.

Every number comes from one harness: the same splits, the same full-catalog
ranking with each shopper's train items excluded, the same HR/Recall/NDCG@10, for
the baselines and for tactful's own ranker. Parameters are tuned on a validation
split cut from the training data only; test is touched once, with the tuned values.

Run it with ``python -m bench.ranking.run`` (``--quick`` for a smoke run). The product's
shipped ranking defaults are chosen with ``python -m bench.ranking.defaults``, on
validation splits only.
"""
