"""Open Cap Table Format (OCF 1.2.0) packages: a deal and its ledger out, a deal folder back in.

``export_ocf(deal_dir, out, formation_date=...)`` writes the package (``export``);
``import_ocf(package, out_dir)`` reads one back into a deal folder (``importer``): the exact deal
when the package carries pipedeal's extension, a draft with FILL marks when it does not.
``schema`` holds our models of the OCF objects, ``extension`` the pipedeal namespace,
``package`` the files on disk. See ``docs/ocf.md``.
"""

from pipedeal.interop.ocf.export import ExportResult, build_package, export_ocf
from pipedeal.interop.ocf.importer import ImportResult, import_ocf, read_deal

__all__ = ["ExportResult", "ImportResult", "build_package", "export_ocf", "import_ocf",
           "read_deal"]
