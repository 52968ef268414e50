/* libmemento_shim.so: the `memento capture --alloc-only` preload.
 *
 * Records the libc allocation calls, the memory syscalls the program makes
 * through libc's exported wrappers, changes of the program break seen after
 * each allocation call, and ROI/invocation markers, in the Memento trace
 * format. It sees no loads, stores or instructions, no allocator-internal
 * work, no mmap made inside libc (malloc's large blocks), no syscall made
 * directly, and nothing after _exit. Each thread appends to its own buffer;
 * buffers are encoded under one lock. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mtrace_enc.h"
#include "shim_marker.h"

#define TLS __attribute__((tls_model("initial-exec"))) __thread
#define EXPORT __attribute__((visibility("default")))

enum { R_ALLOC, R_FREE, R_REALLOC, R_MMAP, R_MUNMAP, R_BRK, R_MADVISE, R_MREMAP,
       R_MARK };

typedef struct {
   uint8_t kind, fn;
   uint64_t a, b, c, d, site;
} Rec;

#define RECS 512
typedef struct {
   int busy;              /* spin flag: owner appending or exit flushing */
   uint32_t tid;
   uint32_t n;
   Rec recs[RECS];
} ThreadBuf;

#define MAX_THREADS 1024
static ThreadBuf *bufs[MAX_THREADS];
static int nbufs;

static pthread_mutex_t enc_lock = PTHREAD_MUTEX_INITIALIZER;
static mt_enc *enc;
static int out_fd = -1;
static int active;               /* recording (set up, not a forked child) */
static int roi_only;             /* --roi: drop events outside the markers */
static int roi_inside;
static uint64_t last_brk;
static uint32_t enc_tid;

static TLS int in_shim;
static TLS ThreadBuf *my_buf;

/* ---- the real functions ---- */
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_pvalloc)(size_t);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);
static int (*real_madvise)(void *, size_t, int);
static void *(*real_mremap)(void *, size_t, size_t, int, ...);

/* dlsym may allocate before real_calloc is known: serve it from here. */
static char boot_heap[64 * 1024];
static size_t boot_used;
static int resolving;

static void *boot_alloc(size_t n)
{
   n = (n + 15) & ~(size_t)15;
   if (boot_used + n > sizeof boot_heap)
      return NULL;
   void *p = boot_heap + boot_used;
   boot_used += n;
   return p;
}

static int is_boot(void *p)
{
   return (char *)p >= boot_heap && (char *)p < boot_heap + sizeof boot_heap;
}

static void resolve(void)
{
   if (real_malloc || resolving)
      return;
   resolving = 1;
   real_calloc = dlsym(RTLD_NEXT, "calloc");
   real_malloc = dlsym(RTLD_NEXT, "malloc");
   real_realloc = dlsym(RTLD_NEXT, "realloc");
   real_free = dlsym(RTLD_NEXT, "free");
   real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
   real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
   real_memalign = dlsym(RTLD_NEXT, "memalign");
   real_valloc = dlsym(RTLD_NEXT, "valloc");
   real_pvalloc = dlsym(RTLD_NEXT, "pvalloc");
   real_mmap = dlsym(RTLD_NEXT, "mmap");
   real_munmap = dlsym(RTLD_NEXT, "munmap");
   real_madvise = dlsym(RTLD_NEXT, "madvise");
   real_mremap = dlsym(RTLD_NEXT, "mremap");
   resolving = 0;
}

/* ---- encoding ---- */

static int write_fd(void *ctx, const void *buf, mt_u32 len)
{
   const char *p = buf;
   while (len > 0) {
      ssize_t n = write(out_fd, p, len);
      if (n <= 0)
         return 1;
      p += n;
      len -= (mt_u32)n;
   }
   return 0;
}

static void encode(uint32_t tid, const Rec *r)
{
   if (enc_tid != tid) {
      mt_thread(enc, tid);
      enc_tid = tid;
   }
   switch (r->kind) {
   case R_ALLOC: mt_alloc(enc, r->fn, MT_LEVEL_LIBC, r->a, r->b, r->c, r->site); break;
   case R_FREE: mt_free(enc, r->fn, MT_LEVEL_LIBC, r->a, r->site); break;
   case R_REALLOC: mt_realloc(enc, r->fn, MT_LEVEL_LIBC, r->a, r->b, r->c, r->site); break;
   case R_MMAP: mt_simple(enc, MT_OP_MMAP, 4, r->a, r->b, r->c, r->d); break;
   case R_MUNMAP: mt_simple(enc, MT_OP_MUNMAP, 2, r->a, r->b, 0, 0); break;
   case R_BRK: mt_simple(enc, MT_OP_BRK, 2, r->a, r->b, 0, 0); break;
   case R_MADVISE: mt_simple(enc, MT_OP_MADVISE, 3, r->a, r->b, r->c, 0); break;
   case R_MREMAP: mt_simple(enc, MT_OP_MREMAP, 4, r->a, r->b, r->c, r->d); break;
   case R_MARK:
      switch (r->fn) {
      case MEMENTO_MARK_ROI_BEGIN: mt_simple(enc, MT_OP_ROI_BEGIN, 0, 0, 0, 0, 0); break;
      case MEMENTO_MARK_ROI_END: mt_simple(enc, MT_OP_ROI_END, 0, 0, 0, 0, 0); break;
      case MEMENTO_MARK_INVOCATION_BEGIN: mt_simple(enc, MT_OP_INV_BEGIN, 1, r->a, 0, 0, 0); break;
      default: mt_simple(enc, MT_OP_INV_END, 1, r->a, 0, 0, 0); break;
      }
      break;
   }
}

static void lock_buf(ThreadBuf *b)
{
   while (__atomic_exchange_n(&b->busy, 1, __ATOMIC_ACQUIRE))
      ;
}

static void unlock_buf(ThreadBuf *b)
{
   __atomic_store_n(&b->busy, 0, __ATOMIC_RELEASE);
}

/* Encodes a (locked) buffer's records. */
static void drain(ThreadBuf *b)
{
   pthread_mutex_lock(&enc_lock);
   if (active)
      for (uint32_t i = 0; i < b->n; i++)
         encode(b->tid, &b->recs[i]);
   pthread_mutex_unlock(&enc_lock);
   b->n = 0;
}

static ThreadBuf *thread_buf(void)
{
   if (my_buf)
      return my_buf;
   ThreadBuf *b = real_calloc(1, sizeof *b);
   if (!b)
      return NULL;
   b->tid = (uint32_t)syscall(SYS_gettid);
   pthread_mutex_lock(&enc_lock);
   if (nbufs < MAX_THREADS)
      bufs[nbufs++] = b;
   pthread_mutex_unlock(&enc_lock);
   my_buf = b;
   return b;
}

static void record(uint8_t kind, uint8_t fn, uint64_t a, uint64_t b, uint64_t c,
                   uint64_t d, uint64_t site)
{
   if (!active)
      return;
   if (kind == R_MARK && fn == MEMENTO_MARK_ROI_BEGIN)
      roi_inside = 1;
   if (roi_only && !roi_inside && kind != R_MARK)
      return;
   if (kind == R_MARK && fn == MEMENTO_MARK_ROI_END)
      roi_inside = 0;
   ThreadBuf *t = thread_buf();
   if (!t)
      return;
   lock_buf(t);
   Rec *r = &t->recs[t->n++];
   r->kind = kind; r->fn = fn; r->a = a; r->b = b; r->c = c; r->d = d; r->site = site;
   if (t->n == RECS || kind == R_MARK)
      drain(t);
   unlock_buf(t);
}

/* malloc may have moved the break with its internal sbrk: report it. */
static void check_brk(void)
{
   uint64_t now = (uint64_t)(uintptr_t)sbrk(0);
   if (now != last_brk) {
      if (last_brk != 0)
         record(R_BRK, 0, last_brk, now, 0, 0, 0);
      last_brk = now;
   }
}

EXPORT void memento_shim_marker(int kind, unsigned long long id)
{
   in_shim++;
   record(R_MARK, (uint8_t)kind, id, 0, 0, 0, 0);
   in_shim--;
}

/* ---- set-up and tear-down ---- */

static void after_fork_child(void)
{
   /* the child must not write into the parent's trace */
   active = 0;
   if (out_fd >= 0)
      close(out_fd);
   out_fd = -1;
}

__attribute__((constructor)) static void shim_init(void)
{
   resolve();
   const char *out = getenv("MEMENTO_SHIM_OUT");
   if (!out || !*out)
      return;
   in_shim++;
   char path[4096];
   const char *pct = strstr(out, "%p");
   if (pct)
      snprintf(path, sizeof path, "%.*s%d%s", (int)(pct - out), out, (int)getpid(), pct + 2);
   else
      snprintf(path, sizeof path, "%s", out);
   out_fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
   enc = real_malloc(sizeof *enc);
   if (out_fd >= 0 && enc) {
      const char *t = getenv("MEMENTO_SHIM_TIME_NS");
      mt_init(enc, write_fd, NULL, 0, (mt_u64)sysconf(_SC_PAGESIZE),
              t ? strtoull(t, NULL, 10) : 0, "memento-capture 0.1 (alloc-only shim)",
              getenv("MEMENTO_SHIM_WORKLOAD"), getenv("MEMENTO_SHIM_RUNTIME"),
              getenv("MEMENTO_SHIM_CMDLINE"));
      last_brk = (uint64_t)(uintptr_t)sbrk(0);
      const char *roi = getenv("MEMENTO_SHIM_ROI");
      roi_only = roi && *roi == '1';
      pthread_atfork(NULL, NULL, after_fork_child);
      active = 1;
   }
   in_shim--;
}

static void write_modules(void)
{
   FILE *maps = fopen("/proc/self/maps", "r");
   if (!maps)
      return;
   static mt_u8 meta[1 << 20];
   mt_u8 *p = meta;
   mt_u32 count = 0;
   uint32_t tids[MAX_THREADS];
   int n = nbufs;
   for (int i = 0; i < n; i++) {
      tids[i] = bufs[i]->tid;
      p = mt_meta_thread(p, tids[i], i == 0 ? "main" : "");
      count++;
   }
   char line[4096 + 256];
   while (fgets(line, sizeof line, maps) && p - meta < (long)sizeof meta - 8192) {
      unsigned long start, end, off;
      char perms[8], path[4096];
      path[0] = 0;
      if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %4095s", &start, &end, perms, &off, path) < 4)
         continue;
      if (perms[2] != 'x' || path[0] != '/')
         continue;
      p = mt_meta_module(p, start, end - start, off, path);
      count++;
   }
   fclose(maps);
   mt_metadata(enc, meta, (mt_u32)(p - meta), count);
}

__attribute__((destructor)) static void shim_fini(void)
{
   if (!active)
      return;
   in_shim++;
   for (int i = 0; i < nbufs; i++) {
      lock_buf(bufs[i]);
      drain(bufs[i]);
      unlock_buf(bufs[i]);
   }
   pthread_mutex_lock(&enc_lock);
   active = 0;
   write_modules();
   int failed = enc->failed;
   close(out_fd);
   out_fd = -1;
   pthread_mutex_unlock(&enc_lock);
   if (failed)
      fprintf(stderr, "memento shim: writing the trace failed (disk full?)\n");
   in_shim--;
}

/* ---- the wrappers ---- */

#define SITE ((uint64_t)(uintptr_t)__builtin_return_address(0))
#define GUARD_BEGIN int rec = active && !in_shim; in_shim++
#define GUARD_END in_shim--

EXPORT void *malloc(size_t n)
{
   if (!real_malloc) {
      resolve();
      if (!real_malloc)
         return boot_alloc(n);
   }
   GUARD_BEGIN;
   void *p = real_malloc(n);
   if (rec) {
      record(R_ALLOC, MT_FN_MALLOC, n, 0, (uintptr_t)p, 0, SITE);
      check_brk();
   }
   GUARD_END;
   return p;
}

EXPORT void *calloc(size_t n, size_t size)
{
   if (!real_calloc) {
      resolve();
      if (!real_calloc) {
         void *p = boot_alloc(n * size);
         if (p) memset(p, 0, n * size);
         return p;
      }
   }
   GUARD_BEGIN;
   void *p = real_calloc(n, size);
   if (rec) {
      record(R_ALLOC, MT_FN_CALLOC, n * size, 0, (uintptr_t)p, 0, SITE);
      check_brk();
   }
   GUARD_END;
   return p;
}

EXPORT void *realloc(void *old, size_t n)
{
   if (is_boot(old)) {
      void *p = malloc(n);
      if (p) memcpy(p, old, n);
      return p;
   }
   if (!real_realloc)
      resolve();
   GUARD_BEGIN;
   void *p = real_realloc(old, n);
   if (rec) {
      record(R_REALLOC, MT_FN_REALLOC, (uintptr_t)old, (uintptr_t)p, n, 0, SITE);
      check_brk();
   }
   GUARD_END;
   return p;
}

EXPORT void free(void *p)
{
   if (p == NULL || is_boot(p))
      return;
   if (!real_free)
      resolve();
   GUARD_BEGIN;
   real_free(p);
   if (rec) {
      record(R_FREE, MT_FN_FREE, (uintptr_t)p, 0, 0, 0, SITE);
      check_brk();
   }
   GUARD_END;
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
   resolve();
   GUARD_BEGIN;
   int r = real_posix_memalign(out, align, n);
   if (rec)
      record(R_ALLOC, MT_FN_POSIX_MEMALIGN, n, align, r == 0 ? (uintptr_t)*out : 0, 0, SITE);
   GUARD_END;
   return r;
}

#define ALIGNED(name, fn)                                                    \
   EXPORT void *name(size_t align, size_t n)                                 \
   {                                                                         \
      resolve();                                                             \
      GUARD_BEGIN;                                                           \
      void *p = real_##name(align, n);                                       \
      if (rec)                                                               \
         record(R_ALLOC, fn, n, align, (uintptr_t)p, 0, SITE);               \
      GUARD_END;                                                             \
      return p;                                                              \
   }
ALIGNED(aligned_alloc, MT_FN_ALIGNED_ALLOC)
ALIGNED(memalign, MT_FN_MEMALIGN)

#define PAGE_ALLOC(name, fn)                                                 \
   EXPORT void *name(size_t n)                                               \
   {                                                                         \
      resolve();                                                             \
      GUARD_BEGIN;                                                           \
      void *p = real_##name(n);                                              \
      if (rec)                                                               \
         record(R_ALLOC, fn, n, 0, (uintptr_t)p, 0, SITE);                   \
      GUARD_END;                                                             \
      return p;                                                              \
   }
PAGE_ALLOC(valloc, MT_FN_VALLOC)
PAGE_ALLOC(pvalloc, MT_FN_PVALLOC)

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
   resolve();
   void *p = real_mmap(addr, len, prot, flags, fd, off);
   if (p != MAP_FAILED && !in_shim) {
      in_shim++;
      record(R_MMAP, 0, (uintptr_t)p, len, (uint32_t)prot, (uint32_t)flags, 0);
      in_shim--;
   }
   return p;
}

EXPORT int munmap(void *addr, size_t len)
{
   resolve();
   int r = real_munmap(addr, len);
   if (r == 0 && !in_shim) {
      in_shim++;
      record(R_MUNMAP, 0, (uintptr_t)addr, len, 0, 0, 0);
      in_shim--;
   }
   return r;
}

EXPORT int madvise(void *addr, size_t len, int advice)
{
   resolve();
   int r = real_madvise(addr, len, advice);
   if (r == 0 && !in_shim) {
      in_shim++;
      record(R_MADVISE, 0, (uintptr_t)addr, len, (uint32_t)advice, 0, 0);
      in_shim--;
   }
   return r;
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
   resolve();
   void *p;
   if (flags & MREMAP_FIXED) {
      __builtin_va_list ap;
      __builtin_va_start(ap, flags);
      void *target = __builtin_va_arg(ap, void *);
      __builtin_va_end(ap);
      p = real_mremap(old, old_len, new_len, flags, target);
   } else {
      p = real_mremap(old, old_len, new_len, flags);
   }
   if (p != MAP_FAILED && !in_shim) {
      in_shim++;
      record(R_MREMAP, 0, (uintptr_t)old, old_len, (uintptr_t)p, new_len, 0);
      in_shim--;
   }
   return p;
}
