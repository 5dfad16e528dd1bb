"""The support console: a Textual app where staff take over conversations from the agent.

It talks to a running ``tactful serve`` over HTTP only (:mod:`tui.client`) and never
opens the stores, so staff can run it from their own machines.
"""
