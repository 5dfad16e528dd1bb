"""A/B experiments: deterministic assignment of shoppers to arms and the statistics of a report."""
