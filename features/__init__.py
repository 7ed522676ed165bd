"""Raw tables -> one feature matrix, the same for training and scoring. Imports none of ours.

In pipeline order:

- ``contract``: the input tables, their columns and kinds (``TABLES``, ``Tables``).
- ``loading``: read a data directory or a config file, validate, coerce (``load_tables``).
- ``validation``: every contract problem at once, naming table, column and rows.
- ``subscriptions``: when each subscription date is known; billing periods.
- ``flags``: which words mean yes and no in a text column.
- ``coverage``: each table's first and last date; a warning when they end apart.
- ``timeline``: when the data ends, the as-of grid, who is active at a date.
- ``labels``: coverage spells, the churn and renewal labels, churn dates.
- ``pointintime``: the as-of cut: rows strictly before the date (``visible_tables``).
- ``sentiment``: offline text sentiment in [-1, 1], scored once per build.
- ``catalogue``: one entry per feature: family, tables read, phrase, sentence template.
- ``per_account``: counts, changes and days per account, shared by the families.
- ``events``: the events table reduced once for all as-of dates of a build.
- ``usage``: the usage family (events, active days and users, trend, recency, per seat).
- ``usage_types``: per-event-type usage columns, their names and phrases.
- ``adoption``: the adoption family (features used, catalogue share, core depth, seats used).
- ``sentiment_features``: the sentiment family (texts, NPS, CSAT).
- ``support``: the support family (ticket volume, backlog, priority, response, resolution).
- ``account``: the contract family (tenure, price, term, the accounts' own columns; seats).
- ``builders``: the families' builders, in order (``BUILDERS``).
- ``matrix``: builders x as-of grid -> the feature matrix with its labels.
- ``table``: a ready feature table (already one row per account) as feature rows.
- ``spark``: the same matrix on Apache Spark, partitioned by account.
"""
