"""Load tests of the HTTP API against a real ``tactful serve`` process."""
