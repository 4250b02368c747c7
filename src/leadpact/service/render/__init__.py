"""Building blocks of the rendered agreement: conditions as sentences, document phrases, and
the lifecycle table (SPEC §5), in Japanese and English."""
