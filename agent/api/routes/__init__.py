"""One router per area of the API; :mod:`agent.api.app` mounts them all."""
