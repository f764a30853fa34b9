"""Helpers that exist only for speed: the build gives the same files without them.

- ``cache``: Markdown conversions and page maps remembered in the book's `.cache/`.
- ``drafts``: the live preview's drafted chapters, kept in memory between rebuilds.
- ``forking``: two stages at once, one in a forked child.
- ``gc_pause``: no automatic full garbage collections during a build.
- ``library_lookup``: WeasyPrint's native libraries found without running gcc.

Speed-ups that need a private name of WeasyPrint, pydyf or Pyphen are not here
but in builder.weasyprint_adapter, each behind a probe.
"""
