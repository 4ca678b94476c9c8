"""Build one reproducible Lambda zip per function (``make package``, ``build.py``).

Each ``functions/<name>`` becomes ``dist/<name>.zip``: the function's own files and the shared
``cartflow`` package (with its contract files, read at run time) at the zip root, plus the
function's hash-pinned dependencies installed for the Lambda platform, not for the host. The zip
is what Terraform deploys and the pipeline promotes, so the same inputs must give the same bytes
on any machine, checkout path, umask or clock; ``dist/manifest.json`` records its hashes.

One module per concern: lock reading (:mod:`.locks`), what a function is made of
(:mod:`.functions`), the wheel store (:mod:`.wheelhouse`), the schema validators generated into
each zip (:mod:`.validators`), zip writing (:mod:`.zipping`), the manifest (:mod:`.manifest`,
also read by shipping and the local runtime), the isolated import check (:mod:`.verify`) and the
run that ties them together (:mod:`.pipeline`). Modules that only
a build needs import their heavy dependencies where they are used, so a run with nothing to build
starts fast. See docs/build.md.
"""
