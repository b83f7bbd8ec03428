"""The demo world of `manage.py seed_demo`, run by `make run`.

Three accounting firms with consultants, forty clients with subscriptions,
licences and permissions, active, double and scheduled couplings, and pending
requests; sixty small clients whose subscriptions Redovisningsbyrån Norr AB
runs itself (Johan is their sysadmin, they have no users of their own), so
"Bjud in klientanvändare" has more rows than one send takes; and last month
invoiced by the real invoicing run, Norr's Samlingsfaktura included, so
"Fakturor" and its PDFs show at once. Everything comes from
`random.Random(2026)` (and 2027 for the sixty), so two fresh databases get
the same world (apart from abonnemangs- and fakturanummer, which continue
from their counters). Rows are written directly, never through the services
that send email. Every demo user has the password `demo1234`.

By concept: `specs` (what the world is made of), `world` (the state of one
run and its helpers), `firms`, `clients`, `members`, `couplings`, `billing`,
`firm_managed` (Norr's sixty), `build` (the order of the steps), `cleanup`
(--reset) and `logins` (the table of demo logins, the same as README.md's).
"""
