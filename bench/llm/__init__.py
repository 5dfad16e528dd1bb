"""LLM budget benchmark and the local stand-in endpoint it can run against."""
