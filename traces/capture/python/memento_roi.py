"""Region-of-interest and invocation markers for Python functions traced by
`memento capture`.

    import memento_roi
    handler(event)                  # warm-up, not traced with --roi
    memento_roi.roi_begin()
    memento_roi.invocation_begin(1)
    handler(event)
    memento_roi.invocation_end(1)
    memento_roi.roi_end()

The calls go through ctypes to libmemento_roi.so, found through the
MEMENTO_ROI_LIB variable that `memento capture` sets. Without it (a run
outside `memento capture`) every call does nothing.
"""

import ctypes
import os

_lib = None
_path = os.environ.get("MEMENTO_ROI_LIB")
if _path:
    try:
        _lib = ctypes.CDLL(_path)
    except OSError:
        _lib = None


def roi_begin():
    """Start of the region of interest."""
    if _lib is not None:
        _lib.memento_roi_begin()


def roi_end():
    """End of the region of interest."""
    if _lib is not None:
        _lib.memento_roi_end()


def invocation_begin(invocation_id):
    """A function invocation begins; `invocation_id` is an integer >= 0."""
    if _lib is not None:
        _lib.memento_invocation_begin(ctypes.c_ulonglong(invocation_id))


def invocation_end(invocation_id):
    """The invocation begun with the same id ends."""
    if _lib is not None:
        _lib.memento_invocation_end(ctypes.c_ulonglong(invocation_id))
