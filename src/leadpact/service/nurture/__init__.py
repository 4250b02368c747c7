"""Nurturing (issue #8): flows that send step e-mails and record what they do as events.

The decisions are the pure flow engine's (:mod:`leadpact.domain.flow_engine`); this package
renders and composes the mail, signs tracking links, keeps the outbox (a SQLite file for
``flows run``, the store for ``serve``), rate-limits delivery, runs a delivery pass (the
one-shot runner; the store's scheduler ticks it) and reports per flow and step.
"""
