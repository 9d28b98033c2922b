"""What a long-lived process built while it booted, taken out of the garbage collector's full passes.

A web process or a timer worker holds some 200,000 objects made at boot (the app, the engine, the
parsed diagrams, the catalogs) that live as long as it does. A full collection would walk all of them
again now and then while a request or a timer waits (~0.1–0.2 s of CPU a pass, once in a few hundred
units of work); frozen, a pass walks only what was made since. Anything made later is collected as
before.
"""

from __future__ import annotations

import gc


def freeze_boot_heap() -> None:
    """Collect once, then freeze what is left: call when the process has finished booting."""
    gc.collect()
    gc.freeze()
