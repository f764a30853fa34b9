"""book-builder: a Markdown book folder in, an EPUB 3 and a print PDF out.

This module only names the package and its version; importing it is cheap so
that `python -m builder --version` and the Makefile can ask without loading
WeasyPrint.
"""

__version__ = "0.1.0"
NAME = "book-builder"
