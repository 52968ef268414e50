/* libmemento_roi.so: the markers of memento_roi.h. */
#include "memento_roi.h"
#include "memento_requests.h"
#include "shim_marker.h"

/* Defined by the --alloc-only shim when it is preloaded; null otherwise. */
extern void memento_shim_marker(int kind, unsigned long long id) __attribute__((weak));

static void mark(int req, int kind, unsigned long long id)
{
   VALGRIND_DO_CLIENT_REQUEST_STMT(req, id, 0, 0, 0, 0);
   if (memento_shim_marker)
      memento_shim_marker(kind, id);
}

void memento_roi_begin(void)
{
   mark(MEMENTO_REQ_ROI_BEGIN, MEMENTO_MARK_ROI_BEGIN, 0);
}

void memento_roi_end(void)
{
   mark(MEMENTO_REQ_ROI_END, MEMENTO_MARK_ROI_END, 0);
}

void memento_invocation_begin(unsigned long long id)
{
   mark(MEMENTO_REQ_INVOCATION_BEGIN, MEMENTO_MARK_INVOCATION_BEGIN, id);
}

void memento_invocation_end(unsigned long long id)
{
   mark(MEMENTO_REQ_INVOCATION_END, MEMENTO_MARK_INVOCATION_END, id);
}
