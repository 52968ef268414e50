/* vgpreload_memento: wraps (does not replace) the allocator entry points so
 * the real allocator runs, traced, between an ENTER and a LEAVE request.
 * Valgrind loads it by name from VALGRIND_LIB; sonames are Z-encoded
 * (libcZdsoZa = libc.so*, NONE = the main executable). The tool skips
 * instrumenting this object, so brackets hold only the allocator's work. */

#include <stddef.h>
#include "valgrind.h"
#include "memento_requests.h"
#include "mtrace_ids.h"

typedef unsigned long W;

#define SITE ((W)__builtin_return_address(0))
#define ENTER(fn, level) \
   VALGRIND_DO_CLIENT_REQUEST_STMT(MEMENTO_REQ_ENTER, fn, SITE, level, 0, 0)
#define LEAVE_ALLOC(size, align, addr) \
   VALGRIND_DO_CLIENT_REQUEST_STMT(MEMENTO_REQ_LEAVE_ALLOC, size, align, addr, 0, 0)
#define LEAVE_FREE(addr) \
   VALGRIND_DO_CLIENT_REQUEST_STMT(MEMENTO_REQ_LEAVE_FREE, addr, 0, 0, 0, 0)
#define LEAVE_REALLOC(old, new_, size) \
   VALGRIND_DO_CLIENT_REQUEST_STMT(MEMENTO_REQ_LEAVE_REALLOC, old, new_, size, 0, 0)

/* f(size) -> ptr */
#define W_ALLOC1(so, name, fn, level)                                        \
   void *I_WRAP_SONAME_FNNAME_ZU(so, name)(W size);                          \
   void *I_WRAP_SONAME_FNNAME_ZU(so, name)(W size)                           \
   {                                                                         \
      OrigFn o; W r;                                                         \
      VALGRIND_GET_ORIG_FN(o);                                               \
      ENTER(fn, level);                                                      \
      CALL_FN_W_W(r, o, size);                                               \
      LEAVE_ALLOC(size, 0, r);                                               \
      return (void *)r;                                                      \
   }

/* f(size, x) -> ptr, x ignored (nothrow tag, jemalloc flags of 0) */
#define W_ALLOC1X(so, name, fn, level)                                       \
   void *I_WRAP_SONAME_FNNAME_ZU(so, name)(W size, W x);                     \
   void *I_WRAP_SONAME_FNNAME_ZU(so, name)(W size, W x)                      \
   {                                                                         \
      OrigFn o; W r;                                                         \
      VALGRIND_GET_ORIG_FN(o);                                               \
      ENTER(fn, level);                                                      \
      CALL_FN_W_WW(r, o, size, x);                                           \
      LEAVE_ALLOC(size, 0, r);                                               \
      return (void *)r;                                                      \
   }

/* operator new(size, align_val_t [, nothrow]) */
#define W_NEW_ALIGNED(so, name, fn, level)                                   \
   void *I_WRAP_SONAME_FNNAME_ZU(so, name)(W size, W align, W x);            \
   void *I_WRAP_SONAME_FNNAME_ZU(so, name)(W size, W align, W x)             \
   {                                                                         \
      OrigFn o; W r;                                                         \
      VALGRIND_GET_ORIG_FN(o);                                               \
      ENTER(fn, level);                                                      \
      CALL_FN_W_WWW(r, o, size, align, x);                                   \
      LEAVE_ALLOC(size, align, r);                                           \
      return (void *)r;                                                      \
   }

/* calloc(n, size) */
#define W_CALLOC(so, name, fn, level)                                        \
   void *I_WRAP_SONAME_FNNAME_ZU(so, name)(W n, W size);                     \
   void *I_WRAP_SONAME_FNNAME_ZU(so, name)(W n, W size)                      \
   {                                                                         \
      OrigFn o; W r;                                                         \
      VALGRIND_GET_ORIG_FN(o);                                               \
      ENTER(fn, level);                                                      \
      CALL_FN_W_WW(r, o, n, size);                                           \
      LEAVE_ALLOC(n * size, 0, r);                                           \
      return (void *)r;                                                      \
   }

/* memalign(align, size), aligned_alloc(align, size) */
#define W_MEMALIGN(so, name, fn, level)                                      \
   void *I_WRAP_SONAME_FNNAME_ZU(so, name)(W align, W size);                 \
   void *I_WRAP_SONAME_FNNAME_ZU(so, name)(W align, W size)                  \
   {                                                                         \
      OrigFn o; W r;                                                         \
      VALGRIND_GET_ORIG_FN(o);                                               \
      ENTER(fn, level);                                                      \
      CALL_FN_W_WW(r, o, align, size);                                       \
      LEAVE_ALLOC(size, align, r);                                           \
      return (void *)r;                                                      \
   }

#define W_POSIX_MEMALIGN(so, level)                                          \
   int I_WRAP_SONAME_FNNAME_ZU(so, posix_memalign)(void **p, W align, W size); \
   int I_WRAP_SONAME_FNNAME_ZU(so, posix_memalign)(void **p, W align, W size)  \
   {                                                                         \
      OrigFn o; W r;                                                         \
      VALGRIND_GET_ORIG_FN(o);                                               \
      ENTER(MT_FN_POSIX_MEMALIGN, level);                                    \
      CALL_FN_W_WWW(r, o, (W)p, align, size);                                \
      LEAVE_ALLOC(size, align, r == 0 ? (W)*p : 0);                          \
      return (int)r;                                                         \
   }

/* realloc(old, size) */
#define W_REALLOC(so, name, fn, level)                                       \
   void *I_WRAP_SONAME_FNNAME_ZU(so, name)(W old, W size);                   \
   void *I_WRAP_SONAME_FNNAME_ZU(so, name)(W old, W size)                    \
   {                                                                         \
      OrigFn o; W r;                                                         \
      VALGRIND_GET_ORIG_FN(o);                                               \
      ENTER(fn, level);                                                      \
      CALL_FN_W_WW(r, o, old, size);                                         \
      LEAVE_REALLOC(old, r, size);                                           \
      return (void *)r;                                                      \
   }

/* free(p) and the deletes with one argument */
#define W_FREE1(so, name, fn, level)                                         \
   void I_WRAP_SONAME_FNNAME_ZU(so, name)(W p);                              \
   void I_WRAP_SONAME_FNNAME_ZU(so, name)(W p)                               \
   {                                                                         \
      OrigFn o;                                                              \
      VALGRIND_GET_ORIG_FN(o);                                               \
      ENTER(fn, level);                                                      \
      CALL_FN_v_W(o, p);                                                     \
      LEAVE_FREE(p);                                                         \
   }

#define W_FREE2(so, name, fn, level)                                         \
   void I_WRAP_SONAME_FNNAME_ZU(so, name)(W p, W x);                         \
   void I_WRAP_SONAME_FNNAME_ZU(so, name)(W p, W x)                          \
   {                                                                         \
      OrigFn o;                                                              \
      VALGRIND_GET_ORIG_FN(o);                                               \
      ENTER(fn, level);                                                      \
      CALL_FN_v_WW(o, p, x);                                                 \
      LEAVE_FREE(p);                                                         \
   }

#define W_FREE3(so, name, fn, level)                                         \
   void I_WRAP_SONAME_FNNAME_ZU(so, name)(W p, W x, W y);                    \
   void I_WRAP_SONAME_FNNAME_ZU(so, name)(W p, W x, W y)                     \
   {                                                                         \
      OrigFn o; W r;                                                         \
      VALGRIND_GET_ORIG_FN(o);                                               \
      ENTER(fn, level);                                                      \
      CALL_FN_W_WWW(r, o, p, x, y);                                          \
      (void)r;                                                               \
      LEAVE_FREE(p);                                                         \
   }

/* ---- the C library ---- */
#define LIBC_FAMILY(so, level)                                               \
   W_ALLOC1(so, malloc, MT_FN_MALLOC, level)                                 \
   W_CALLOC(so, calloc, MT_FN_CALLOC, level)                                 \
   W_REALLOC(so, realloc, MT_FN_REALLOC, level)                              \
   W_FREE1(so, free, MT_FN_FREE, level)                                      \
   W_POSIX_MEMALIGN(so, level)                                               \
   W_MEMALIGN(so, aligned_alloc, MT_FN_ALIGNED_ALLOC, level)                 \
   W_MEMALIGN(so, memalign, MT_FN_MEMALIGN, level)                           \
   W_ALLOC1(so, valloc, MT_FN_VALLOC, level)                                 \
   W_ALLOC1(so, pvalloc, MT_FN_PVALLOC, level)

LIBC_FAMILY(libcZdsoZa, MT_LEVEL_LIBC)

/* ---- jemalloc, when the program links or preloads it ---- */
LIBC_FAMILY(libjemallocZdsoZa, MT_LEVEL_JEMALLOC)

static W jemalloc_align(W flags)
{
   /* MALLOCX_LG_ALIGN(la) puts la in the low 6 bits */
   return (flags & 63) ? (W)1 << (flags & 63) : 0;
}

void *I_WRAP_SONAME_FNNAME_ZU(libjemallocZdsoZa, mallocx)(W size, W flags);
void *I_WRAP_SONAME_FNNAME_ZU(libjemallocZdsoZa, mallocx)(W size, W flags)
{
   OrigFn o; W r;
   VALGRIND_GET_ORIG_FN(o);
   ENTER(MT_FN_MALLOCX, MT_LEVEL_JEMALLOC);
   CALL_FN_W_WW(r, o, size, flags);
   LEAVE_ALLOC(size, jemalloc_align(flags), r);
   return (void *)r;
}

void *I_WRAP_SONAME_FNNAME_ZU(libjemallocZdsoZa, rallocx)(W old, W size, W flags);
void *I_WRAP_SONAME_FNNAME_ZU(libjemallocZdsoZa, rallocx)(W old, W size, W flags)
{
   OrigFn o; W r;
   VALGRIND_GET_ORIG_FN(o);
   ENTER(MT_FN_RALLOCX, MT_LEVEL_JEMALLOC);
   CALL_FN_W_WWW(r, o, old, size, flags);
   LEAVE_REALLOC(old, r, size);
   return (void *)r;
}

W_FREE2(libjemallocZdsoZa, dallocx, MT_FN_DALLOCX, MT_LEVEL_JEMALLOC)
W_FREE3(libjemallocZdsoZa, sdallocx, MT_FN_DALLOCX, MT_LEVEL_JEMALLOC)

/* ---- C++ operators: libstdc++'s, whose level comes from the malloc inside,
   and jemalloc's own, which call its internal malloc directly ---- */
#define CXX_FAMILY(so, level)                                                \
   W_ALLOC1(so, _Znwm, MT_FN_NEW, level)                                     \
   W_ALLOC1(so, _Znam, MT_FN_NEW_ARRAY, level)                               \
   W_ALLOC1X(so, _ZnwmRKSt9nothrow_t, MT_FN_NEW, level)                      \
   W_ALLOC1X(so, _ZnamRKSt9nothrow_t, MT_FN_NEW_ARRAY, level)                \
   W_NEW_ALIGNED(so, _ZnwmSt11align_val_t, MT_FN_NEW, level)                 \
   W_NEW_ALIGNED(so, _ZnamSt11align_val_t, MT_FN_NEW_ARRAY, level)           \
   W_NEW_ALIGNED(so, _ZnwmSt11align_val_tRKSt9nothrow_t, MT_FN_NEW, level)   \
   W_NEW_ALIGNED(so, _ZnamSt11align_val_tRKSt9nothrow_t, MT_FN_NEW_ARRAY, level) \
   W_FREE1(so, _ZdlPv, MT_FN_DELETE, level)                                  \
   W_FREE1(so, _ZdaPv, MT_FN_DELETE_ARRAY, level)                            \
   W_FREE2(so, _ZdlPvm, MT_FN_DELETE, level)                                 \
   W_FREE2(so, _ZdaPvm, MT_FN_DELETE_ARRAY, level)                           \
   W_FREE2(so, _ZdlPvRKSt9nothrow_t, MT_FN_DELETE, level)                    \
   W_FREE2(so, _ZdaPvRKSt9nothrow_t, MT_FN_DELETE_ARRAY, level)              \
   W_FREE2(so, _ZdlPvSt11align_val_t, MT_FN_DELETE, level)                   \
   W_FREE2(so, _ZdaPvSt11align_val_t, MT_FN_DELETE_ARRAY, level)             \
   W_FREE3(so, _ZdlPvmSt11align_val_t, MT_FN_DELETE, level)                  \
   W_FREE3(so, _ZdaPvmSt11align_val_t, MT_FN_DELETE_ARRAY, level)            \
   W_FREE3(so, _ZdlPvSt11align_val_tRKSt9nothrow_t, MT_FN_DELETE, level)     \
   W_FREE3(so, _ZdaPvSt11align_val_tRKSt9nothrow_t, MT_FN_DELETE_ARRAY, level)

CXX_FAMILY(libstdcZpZpZa, 0)
CXX_FAMILY(libjemallocZdsoZa, MT_LEVEL_JEMALLOC)

/* ---- CPython: in libpython where it is built shared, else in the
   executable. The level is pymalloc unless a libc call happens inside. ---- */
#define PYTHON_FAMILY(so)                                                    \
   W_ALLOC1(so, PyObject_Malloc, MT_FN_PYOBJ_MALLOC, 0)                      \
   W_CALLOC(so, PyObject_Calloc, MT_FN_PYOBJ_CALLOC, 0)                      \
   W_REALLOC(so, PyObject_Realloc, MT_FN_PYOBJ_REALLOC, 0)                   \
   W_FREE1(so, PyObject_Free, MT_FN_PYOBJ_FREE, 0)                           \
   W_ALLOC1(so, PyMem_Malloc, MT_FN_PYMEM_MALLOC, 0)                         \
   W_CALLOC(so, PyMem_Calloc, MT_FN_PYMEM_CALLOC, 0)                         \
   W_REALLOC(so, PyMem_Realloc, MT_FN_PYMEM_REALLOC, 0)                      \
   W_FREE1(so, PyMem_Free, MT_FN_PYMEM_FREE, 0)                              \
   W_ALLOC1(so, PyMem_RawMalloc, MT_FN_PYMEM_MALLOC, 0)                      \
   W_CALLOC(so, PyMem_RawCalloc, MT_FN_PYMEM_CALLOC, 0)                      \
   W_REALLOC(so, PyMem_RawRealloc, MT_FN_PYMEM_REALLOC, 0)                   \
   W_FREE1(so, PyMem_RawFree, MT_FN_PYMEM_FREE, 0)

PYTHON_FAMILY(libpythonZa)
PYTHON_FAMILY(NONE)
