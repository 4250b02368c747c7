"""Pure domain: agreement, conditions, scoring, lifecycle, SLA calendar and replay.

Nothing here performs I/O or reads the clock; time is always a parameter.
"""
