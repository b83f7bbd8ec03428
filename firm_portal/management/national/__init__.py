"""The national data set behind `manage.py seed_national` (issue 18): what a
firm portal for the Swedish market holds — 500,000 clients, 600,000
subscriptions, 5,000 firms (the largest with 3,000 consultants and 60,000
clients), 2,000,000 memberships with program levels, 20,000 pending
requests, 10,000,000 access-ledger events and 5,000,000 outbox messages —
or a fraction of it (`--scale`).

Rows are generated from `random.Random(seed)` against a fixed moment, so two
empty databases get the same world, and written with PostgreSQL COPY
(`copy.py`), never through the services: nothing is sent, and the ledger's
append-only trigger only refuses updates. Outbox bodies older than the
retention period are already purged, as they would be in production.
"""
