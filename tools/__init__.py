"""The tools tactful's agent calls: search, rank, similar shoppers, explain.

Each is a plain typed function usable without any LLM; :mod:`agent.brain.llm.tools`
wraps them for a tool-calling model.
"""
