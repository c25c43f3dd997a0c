"""SQL for the token endpoint's hot path, compiled once per process (not an app: no models).

The bottom layer: the audit trail writes through it as the authorization server does, and it
imports nothing of ours. ``compiled_queries`` reads rows by key; ``compiled_writes`` inserts new
rows, updates and deletes by key, and can send a request's independent writes in one round trip.
"""
