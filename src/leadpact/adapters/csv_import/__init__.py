"""CSV import with mapping files (issue #7): a CRM or spreadsheet export → SPEC §3 messages.

``load_mapping("x-education")`` (or a path) reads and validates a mapping;
``import_csv_file(path, mapping, as_of=...)`` converts every row or raises
:class:`CsvImportError` naming each bad line and column. The format is documented in
docs/csv-mapping.md.
"""

from leadpact.adapters.csv_import.convert import (
    CsvImportError,
    ImportResult,
    import_csv_file,
    import_csv_text,
)
from leadpact.adapters.csv_import.mapping import (
    OUTCOMES,
    CsvMapping,
    MappingError,
    load_mapping,
    mapping_from_text,
    shipped_mappings,
)

__all__ = [
    "OUTCOMES",
    "CsvImportError",
    "CsvMapping",
    "ImportResult",
    "MappingError",
    "import_csv_file",
    "import_csv_text",
    "load_mapping",
    "mapping_from_text",
    "shipped_mappings",
]
