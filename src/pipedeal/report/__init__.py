"""The deal book: everything known about a deal, as data (``book``), in the terminal (``text``)
and, later, as HTML. Sits on top of every engine package; only ``cli`` imports it.
"""

from pipedeal.report.book import BookContext, book_data, build_context

__all__ = ["BookContext", "book_data", "build_context"]
