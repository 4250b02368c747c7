"""Synthetic B2B histories for demos, tests and benchmarks (``leadpact generate``).

Layers, from data to output: ``catalog`` (static vocabularies), ``companies`` and ``persona``
(who the leads are), ``timeline`` and ``programs`` (when things happen), ``journey`` (what
marketing sees), ``sales`` and ``simulation`` (how sales react, driven by the real engine),
``generator`` (the stream), ``writer`` and ``run`` (files). See docs/generator.md.
"""

from leadpact.adapters.synthetic.generator import GenerationStats, Generator, GeneratorConfig
from leadpact.adapters.synthetic.run import FORMATS, format_for, generate_to_file, generate_to_stream

__all__ = [
    "FORMATS",
    "GenerationStats",
    "Generator",
    "GeneratorConfig",
    "format_for",
    "generate_to_file",
    "generate_to_stream",
]
