"""Portfolio health metrics over time: revenue movements, voice of the customer, engagement,
support and cohorts, per period and per segment (issue 15).

Imports ``features`` only (the contract, the coverage spells and grace gap of ``features.labels``,
the observation window of ``features.timeline``, the event reduction of ``features.events``);
never ``training``, ``serving`` or ``health``. Every metric is defined once, in the module named
for its family, with its formula and edge cases. In pipeline order:

- ``periods``: calendar months or quarters, and which of them the data can settle.
- ``segments``: every metric for the whole portfolio and per value of one account column.
- ``revenue``: the MRR bridge, logo churn, gross and net revenue retention, renewals.
- ``voice``: NPS, CSAT, CES and survey response rates per period.
- ``engagement``: usage frequency and feature adoption per period.
- ``support``: ticket volume, backlog, resolution and first-response times, escalations.
- ``cohorts``: signup cohorts, Kaplan-Meier retention and each cohort's NRR.
- ``bands``: what became of each health band after it was given.
- ``compute``: all of the above in one call, one tidy table per family.
"""
