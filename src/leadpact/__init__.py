"""leadpact: the marketing-to-sales hand-off as an executable, measured agreement."""

__version__ = "0.1.0"
