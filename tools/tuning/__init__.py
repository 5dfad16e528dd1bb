"""Fitting the ranker to one shop's own history: ``tactful tune``'s machinery.

:mod:`.factors` scores many shoppers at once with the ranker's own factors, so that a
search can try hundreds of weightings; :mod:`.history` cuts a shop's events in time;
:mod:`.tuner` searches; :mod:`.metrics` and :mod:`.search` are the measures and the
search itself, shared with the benchmarks.
"""
