/* Client requests between the traced program (the allocator wrappers of
 * vgpreload_memento and libmemento_roi) and the memento Valgrind tool. */
#ifndef MEMENTO_REQUESTS_H
#define MEMENTO_REQUESTS_H

#include "valgrind.h"

enum {
   /* arg1 allocator function (FORMAT.md number), arg2 call site,
      arg3 level when the wrapped library decides it (libc, jemalloc), else 0 */
   MEMENTO_REQ_ENTER = VG_USERREQ_TOOL_BASE('M', 'E'),
   /* arg1 size, arg2 alignment, arg3 returned address; closes the bracket */
   MEMENTO_REQ_LEAVE_ALLOC,
   /* arg1 freed address; closes the bracket */
   MEMENTO_REQ_LEAVE_FREE,
   /* arg1 old address, arg2 new address, arg3 size; closes the bracket */
   MEMENTO_REQ_LEAVE_REALLOC,
   MEMENTO_REQ_ROI_BEGIN,
   MEMENTO_REQ_ROI_END,
   /* arg1 invocation id */
   MEMENTO_REQ_INVOCATION_BEGIN,
   MEMENTO_REQ_INVOCATION_END
};

#endif
