/* Marker kinds passed from libmemento_roi to the --alloc-only shim. */
#ifndef SHIM_MARKER_H
#define SHIM_MARKER_H
enum {
   MEMENTO_MARK_ROI_BEGIN = 1,
   MEMENTO_MARK_ROI_END,
   MEMENTO_MARK_INVOCATION_BEGIN,
   MEMENTO_MARK_INVOCATION_END
};
#endif
