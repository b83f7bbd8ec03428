"""The national data set behind `manage.py seed_national` (issue 18): what a
firm portal for the Swedish market holds — 500,000 clients, 600,000
subscriptions, 5,000 firms (the largest with 3,000 consultants and 60,000
clients), 2,000,000 memberships with program levels, 20,000 pending
requests, 10,000,000 access-ledger events, 5,000,000 outbox messages and a
year of invoices — or a fraction of it (`--scale`).

`scale.py` has the sizes; `world.py` generates the firms, people, clients,
subscriptions and memberships from `random.Random(seed)` against a fixed
moment and writes them with PostgreSQL COPY (`copy.py`); `streams.py`
generates the ledger and the outbox inside PostgreSQL (`INSERT ... SELECT`
over `generate_series`, each choice a hash of the row number and the seed);
`invoices.py` writes the year of invoices as the monthly run would, priced
by the app's own price book. Two empty databases get the same world. All of
it is written in bulk-load mode (`load.py`: secondary indexes and unique
constraints built after the rows, as a restore does), never through the
services: nothing is sent, and the ledger's append-only trigger only refuses
updates. Outbox bodies older than the retention period are already purged,
as they would be in production.
"""
