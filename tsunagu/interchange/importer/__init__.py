"""The importer of interchange files, split by concern:

- `base`: the summary and the state the phases share;
- `validate`: rows checked one by one (phases 1 and 2);
- `match`: the cases and events already in the database (phase 3);
- `orchestrate`: the plan (sort, de-duplicate, derive states) and the run;
- `write`: the raw SQL writes, in one transaction (phase 5).
"""

from tsunagu.interchange.importer.base import ImportSummary
from tsunagu.interchange.importer.orchestrate import Importer, import_files

__all__ = ["ImportSummary", "Importer", "import_files"]
