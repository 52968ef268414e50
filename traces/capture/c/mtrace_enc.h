/* The Memento trace encoder (traces/FORMAT.md, version 2) in freestanding C.
 *
 * Shared by the Valgrind tool (no libc) and the LD_PRELOAD shim (libc), so it
 * calls nothing but the write callback it is given. One encoder writes one
 * file: header, event chunks of about 64 KiB, metadata chunks. */
#ifndef MTRACE_ENC_H
#define MTRACE_ENC_H

/* Each user needs only some of these helpers. */
#pragma GCC diagnostic ignored "-Wunused-function"

typedef unsigned char mt_u8;
typedef unsigned int mt_u32;
typedef unsigned long long mt_u64;
typedef long long mt_i64;

#define MT_CHUNK_BYTES (64u * 1024u)
/* Largest single event (realloc: 3 bytes + 4 varints of 10) with slack. */
#define MT_MAX_EVENT 64u
/* Room past MT_CHUNK_BYTES: a writer that checks once for several events
   (the Valgrind tool, per superblock) defines a larger one. */
#ifndef MT_SLACK
#define MT_SLACK (2 * MT_MAX_EVENT)
#endif

enum {
   MT_OP_GAP = 0x01, MT_OP_BLOCK = 0x02, MT_OP_LOAD_EXT = 0x03,
   MT_OP_STORE_EXT = 0x04, MT_OP_ALLOC = 0x05, MT_OP_FREE = 0x06,
   MT_OP_REALLOC = 0x07, MT_OP_ALLOC_ENTER = 0x08, MT_OP_ALLOC_EXIT = 0x09,
   MT_OP_MMAP = 0x0a, MT_OP_MUNMAP = 0x0b, MT_OP_BRK = 0x0c,
   MT_OP_MADVISE = 0x0d, MT_OP_MREMAP = 0x0e, MT_OP_THREAD = 0x0f,
   MT_OP_ROI_BEGIN = 0x10, MT_OP_ROI_END = 0x11,
   MT_OP_INV_BEGIN = 0x12, MT_OP_INV_END = 0x13, MT_OP_DEP = 0x14,
   MT_OP_BLOCK_SHORT = 0x40, MT_OP_MEM = 0x80, MT_OP_MEM_STORE = 0x40
};

/* Header flag bit 0: the producer records load dependences. */
#define MT_FLAG_DEPENDENCES 1u
/* The farthest producer a dependence event names (loads back). */
#define MT_MAX_DEP 255u

#include "mtrace_ids.h"

/* Writes all of buf or returns non-zero. */
typedef int (*mt_write_fn)(void *ctx, const void *buf, mt_u32 len);

typedef struct {
   mt_write_fn write;
   void *ctx;
   int failed;                 /* a write failed: the file is unusable */
   mt_u8 payload[MT_CHUNK_BYTES + MT_SLACK];
   mt_u32 len;                 /* payload bytes of the open chunk */
   mt_u32 count;               /* events in the open chunk */
   mt_u32 chunk_tid;           /* thread current when the chunk opened */
   mt_u32 tid;                 /* thread current now */
   mt_u64 instr_before;        /* instructions before the open chunk */
   mt_u64 instr;               /* instructions written so far */
   mt_u64 events;              /* events written so far */
   mt_u64 bytes;               /* file bytes written so far */
   /* decoder bases (FORMAT.md), reset at each chunk */
   mt_u64 mem[4], last_use[4], clock, block_end, heap, site;
} mt_enc;

/* CRC-32 (IEEE), slicing by 8: the whole trace passes through it. */
static mt_u32 mt_crc_table[8][256];

#if defined(__x86_64__)
static void mt_crc_clmul_init(void);
#endif

static void mt_crc_init(void)
{
   for (mt_u32 n = 0; n < 256; n++) {
      mt_u32 c = n;
      for (int k = 0; k < 8; k++)
         c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      mt_crc_table[0][n] = c;
   }
   for (mt_u32 n = 0; n < 256; n++)
      for (int t = 1; t < 8; t++)
         mt_crc_table[t][n] = (mt_crc_table[t - 1][n] >> 8)
                              ^ mt_crc_table[0][mt_crc_table[t - 1][n] & 0xFF];
#if defined(__x86_64__)
   mt_crc_clmul_init();
#endif
}

/* Continues a CRC register (no final inversion) over n bytes. */
static mt_u32 mt_crc_table_run(mt_u32 c, const mt_u8 *p, mt_u32 n)
{
   while (n >= 8) {
      mt_u32 lo = c ^ ((mt_u32)p[0] | (mt_u32)p[1] << 8 | (mt_u32)p[2] << 16
                       | (mt_u32)p[3] << 24);
      mt_u32 hi = (mt_u32)p[4] | (mt_u32)p[5] << 8 | (mt_u32)p[6] << 16
                  | (mt_u32)p[7] << 24;
      c = mt_crc_table[7][lo & 0xFF] ^ mt_crc_table[6][(lo >> 8) & 0xFF]
          ^ mt_crc_table[5][(lo >> 16) & 0xFF] ^ mt_crc_table[4][lo >> 24]
          ^ mt_crc_table[3][hi & 0xFF] ^ mt_crc_table[2][(hi >> 8) & 0xFF]
          ^ mt_crc_table[1][(hi >> 16) & 0xFF] ^ mt_crc_table[0][hi >> 24];
      p += 8;
      n -= 8;
   }
   while (n--)
      c = mt_crc_table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
   return c;
}


#if defined(__x86_64__)
/* With PCLMULQDQ: 16-byte blocks are folded forward (carry-less multiplied
   by x^k mod P) into four running 128-bit values, which keeps the residue
   of the message mod P; the last 16 bytes so obtained then go through the
   table. A 64-bit lane q of a block stands for sum q_t x^(63-t) (the
   reflected bit order), and the product of two such lanes comes out
   multiplied by x, hence the exponents one below the distances. */
typedef long long mt_v2 __attribute__((vector_size(16)));
static mt_v2 mt_fold64, mt_fold16;   /* by 512 and by 128 bits */
static int mt_have_clmul;

/* x^n mod P, P = 0x104C11DB7, as a reflected 64-bit lane. */
static long long mt_xpow_lane(int n)
{
   mt_u64 r = 1;
   for (int i = 0; i < n; i++) {
      r <<= 1;
      if (r & 0x100000000ull)
         r ^= 0x104C11DB7ull;
   }
   mt_u64 lane = 0;
   for (int d = 0; d < 32; d++)
      if (r >> d & 1)
         lane |= 1ull << (63 - d);
   return (long long)lane;
}

static void mt_crc_clmul_init(void)
{
   mt_u32 a, b, c, d;
   __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
   mt_have_clmul = (c >> 1) & 1;
   mt_fold64 = (mt_v2){ mt_xpow_lane(512 + 63), mt_xpow_lane(511) };
   mt_fold16 = (mt_v2){ mt_xpow_lane(128 + 63), mt_xpow_lane(127) };
}

static inline __attribute__((always_inline, target("pclmul,sse2")))
mt_v2 mt_fold(mt_v2 x, mt_v2 k, mt_v2 next)
{
   return __builtin_ia32_pclmulqdq128(x, k, 0x00) ^ __builtin_ia32_pclmulqdq128(x, k, 0x11)
          ^ next;
}

static inline mt_v2 mt_load16(const mt_u8 *p)
{
   mt_v2 v;
   __builtin_memcpy(&v, p, 16);
   return v;
}

static __attribute__((target("pclmul,sse2"))) mt_u32 mt_crc32_clmul(const mt_u8 *p, mt_u32 n)
{
   mt_v2 x0 = mt_load16(p), x1 = mt_load16(p + 16);
   mt_v2 x2 = mt_load16(p + 32), x3 = mt_load16(p + 48);
   x0 ^= (mt_v2){ 0xFFFFFFFFll, 0 }; /* the initial register */
   p += 64;
   n -= 64;
   for (; n >= 64; p += 64, n -= 64) {
      x0 = mt_fold(x0, mt_fold64, mt_load16(p));
      x1 = mt_fold(x1, mt_fold64, mt_load16(p + 16));
      x2 = mt_fold(x2, mt_fold64, mt_load16(p + 32));
      x3 = mt_fold(x3, mt_fold64, mt_load16(p + 48));
   }
   mt_v2 x = mt_fold(mt_fold(mt_fold(x0, mt_fold16, x1), mt_fold16, x2), mt_fold16, x3);
   for (; n >= 16; p += 16, n -= 16)
      x = mt_fold(x, mt_fold16, mt_load16(p));
   mt_u8 last[16];
   __builtin_memcpy(last, &x, 16);
   return mt_crc_table_run(mt_crc_table_run(0, last, 16), p, n) ^ 0xFFFFFFFFu;
}
#endif

static mt_u32 mt_crc32(const mt_u8 *p, mt_u32 n)
{
#if defined(__x86_64__)
   if (mt_have_clmul && n >= 64)
      return mt_crc32_clmul(p, n);
#endif
   return mt_crc_table_run(0xFFFFFFFFu, p, n) ^ 0xFFFFFFFFu;
}

static inline mt_u8 *mt_put(mt_u8 *p, mt_u64 v)
{
   while (v >= 0x80) {
      *p++ = (mt_u8)(v | 0x80);
      v >>= 7;
   }
   *p++ = (mt_u8)v;
   return p;
}

static inline mt_u64 mt_zigzag(mt_u64 d)
{
   return (d << 1) ^ (mt_u64)((mt_i64)d >> 63);
}

static inline mt_u8 *mt_put_s(mt_u8 *p, mt_u64 delta)
{
   return mt_put(p, mt_zigzag(delta));
}

static void mt_le32(mt_u8 *p, mt_u32 v)
{
   for (int i = 0; i < 4; i++)
      p[i] = (mt_u8)(v >> (8 * i));
}

static void mt_le64(mt_u8 *p, mt_u64 v)
{
   for (int i = 0; i < 8; i++)
      p[i] = (mt_u8)(v >> (8 * i));
}

static void mt_raw(mt_enc *e, const void *buf, mt_u32 len)
{
   if (e->failed || len == 0)
      return;
   if (e->write(e->ctx, buf, len) != 0)
      e->failed = 1;
   else
      e->bytes += len;
}

static void mt_reset_bases(mt_enc *e)
{
   for (int i = 0; i < 4; i++)
      e->mem[i] = e->last_use[i] = 0;
   e->clock = e->block_end = e->heap = e->site = 0;
}

static void mt_write_chunk(mt_enc *e, mt_u8 kind, const mt_u8 *payload,
                           mt_u32 len, mt_u32 count)
{
   mt_u8 h[32];
   h[0] = 'M'; h[1] = 'C'; h[2] = 'H'; h[3] = 'K';
   h[4] = kind; h[5] = h[6] = h[7] = 0;
   mt_le32(h + 8, len);
   mt_le32(h + 12, count);
   mt_le32(h + 16, e->chunk_tid);
   mt_le64(h + 20, e->instr_before);
   mt_le32(h + 28, mt_crc32(payload, len));
   mt_raw(e, h, 32);
   mt_raw(e, payload, len);
}

/* Closes the open event chunk, if it holds anything. */
static void mt_flush(mt_enc *e)
{
   if (e->count > 0)
      mt_write_chunk(e, 0, e->payload, e->len, e->count);
   e->len = e->count = 0;
   e->chunk_tid = e->tid;
   e->instr_before = e->instr;
   mt_reset_bases(e);
}

/* Room for one more event; call before writing it at e->payload + e->len. */
static inline mt_u8 *mt_begin(mt_enc *e)
{
   if (e->len >= MT_CHUNK_BYTES)
      mt_flush(e);
   return e->payload + e->len;
}

static inline void mt_end(mt_enc *e, mt_u8 *p)
{
   e->len = (mt_u32)(p - e->payload);
   e->count++;
   e->events++;
}

static mt_u8 *mt_put_str(mt_u8 *p, const char *s, mt_u32 n)
{
   p = mt_put(p, n);
   for (mt_u32 i = 0; i < n; i++)
      *p++ = (mt_u8)s[i];
   return p;
}

static mt_u32 mt_strlen(const char *s)
{
   mt_u32 n = 0;
   while (s && s[n])
      n++;
   return n;
}

/* Starts a file: writes the header (version 2, `flags` such as
   MT_FLAG_DEPENDENCES). Strings longer than 4 KiB are cut. */
static void mt_init(mt_enc *e, mt_write_fn write, void *ctx, unsigned flags,
                    mt_u64 page_size, mt_u64 time_ns, const char *producer,
                    const char *workload, const char *runtime, const char *cmdline)
{
   mt_crc_init();
   e->write = write;
   e->ctx = ctx;
   e->failed = 0;
   e->len = e->count = e->chunk_tid = e->tid = 0;
   e->instr_before = e->instr = e->events = e->bytes = 0;
   mt_reset_bases(e);
   /* the header body is built in the (still empty) payload buffer */
   mt_u8 *p = e->payload;
   p = mt_put(p, page_size);
   p = mt_put(p, time_ns);
   const char *fields[4] = { producer, workload, runtime, cmdline };
   for (int i = 0; i < 4; i++) {
      mt_u32 n = mt_strlen(fields[i]);
      p = mt_put_str(p, fields[i], n > 4096 ? 4096 : n);
   }
   mt_u32 body = (mt_u32)(p - e->payload);
   mt_u8 pre[16] = { 0x89, 'M', 'T', 'R', '\r', '\n', 0x1a, '\n', 2, 0,
                     (mt_u8)flags, (mt_u8)(flags >> 8) };
   mt_le32(pre + 12, body);
   mt_u8 crc[4];
   mt_le32(crc, mt_crc32(e->payload, body));
   mt_raw(e, pre, 16);
   mt_raw(e, e->payload, body);
   mt_raw(e, crc, 4);
}

static inline __attribute__((always_inline)) void mt_block(mt_enc *e, mt_u64 addr, mt_u32 len, mt_u32 count)
{
   mt_u8 *p = mt_begin(e);
   if (count <= 64) {
      *p++ = (mt_u8)(MT_OP_BLOCK_SHORT | (count - 1));
   } else {
      *p++ = MT_OP_BLOCK;
      p = mt_put(p, count);
   }
   p = mt_put_s(p, addr - e->block_end);
   p = mt_put(p, len);
   e->block_end = addr + len;
   e->instr += count;
   mt_end(e, p);
}

/* The dependence event of distance d (1..MT_MAX_DEP) at p, or nothing for
   d == 0; returns the end. Writes two bytes either way (room is the
   caller's), so that callers need no branch. */
static inline __attribute__((always_inline)) mt_u8 *mt_put_dep(mt_u8 *p, mt_u32 d)
{
   p[0] = (mt_u8)(d <= 3 ? MT_OP_DEP + d : MT_OP_DEP);
   p[1] = (mt_u8)d;
   return p + (d != 0) + (d > 3);
}

/* A dependence event: the next load or store of this thread computed its
   address from the load `distance` loads back (1..MT_MAX_DEP). */
static void mt_dep(mt_enc *e, mt_u32 distance)
{
   if (distance == 0 || distance > MT_MAX_DEP)
      return;
   mt_end(e, mt_put_dep(mt_begin(e), distance));
}

/* A load or store; the base choice follows traces/src/codec.rs. */
static inline __attribute__((always_inline)) void mt_mem(mt_enc *e, int store, mt_u64 addr, mt_u32 size)
{
   mt_u8 *p = mt_begin(e);
   mt_u64 sz = size;
   int best = 0, form = -1;
   mt_u64 best_cost = ~0ull;
   for (int b = 0; b < 4; b++) {
      mt_u64 d = addr - e->mem[b];
      if (d == 0) { best = b; form = 1; break; }
      if (d == sz) { best = b; form = 2; break; }
      if (d == (mt_u64)0 - sz) { best = b; form = 3; break; }
      mt_u64 cost = mt_zigzag(d);
      if (cost < best_cost) { best = b; best_cost = cost; }
   }
   if (form < 0) {
      form = 0;
      if (best_cost >= (1ull << 13)) {
         best = 0;
         for (int b = 1; b < 4; b++)
            if (e->last_use[b] < e->last_use[best])
               best = b;
      }
   }
   int code = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : size == 8 ? 3 : -1;
   mt_u64 delta = addr - e->mem[best];
   if (code >= 0) {
      *p++ = (mt_u8)(MT_OP_MEM | (store ? MT_OP_MEM_STORE : 0) | (code << 4)
                     | (best << 2) | form);
      if (form == 0)
         p = mt_put_s(p, delta);
   } else {
      *p++ = store ? MT_OP_STORE_EXT : MT_OP_LOAD_EXT;
      *p++ = (mt_u8)best;
      p = mt_put(p, size);
      p = mt_put_s(p, delta);
   }
   e->mem[best] = addr;
   e->last_use[best] = ++e->clock;
   mt_end(e, p);
}

static void mt_alloc(mt_enc *e, mt_u8 fn, mt_u8 level, mt_u64 size,
                     mt_u64 align, mt_u64 addr, mt_u64 site)
{
   mt_u8 *p = mt_begin(e);
   *p++ = MT_OP_ALLOC; *p++ = fn; *p++ = level;
   p = mt_put(p, size);
   p = mt_put(p, align);
   p = mt_put_s(p, addr - e->heap);
   p = mt_put_s(p, site - e->site);
   if (addr) e->heap = addr;
   e->site = site;
   mt_end(e, p);
}

static void mt_free(mt_enc *e, mt_u8 fn, mt_u8 level, mt_u64 addr, mt_u64 site)
{
   mt_u8 *p = mt_begin(e);
   *p++ = MT_OP_FREE; *p++ = fn; *p++ = level;
   p = mt_put_s(p, addr - e->heap);
   p = mt_put_s(p, site - e->site);
   if (addr) e->heap = addr;
   e->site = site;
   mt_end(e, p);
}

static void mt_realloc(mt_enc *e, mt_u8 fn, mt_u8 level, mt_u64 old,
                       mt_u64 new_, mt_u64 size, mt_u64 site)
{
   mt_u8 *p = mt_begin(e);
   *p++ = MT_OP_REALLOC; *p++ = fn; *p++ = level;
   p = mt_put_s(p, old - e->heap);
   p = mt_put_s(p, new_ - old);
   p = mt_put(p, size);
   p = mt_put_s(p, site - e->site);
   e->heap = new_ ? new_ : old;
   e->site = site;
   mt_end(e, p);
}

/* Events with only an opcode and up to four varint operands. */
static void mt_simple(mt_enc *e, mt_u8 op, int n, mt_u64 a, mt_u64 b,
                      mt_u64 c, mt_u64 d)
{
   mt_u8 *p = mt_begin(e);
   mt_u64 v[4] = { a, b, c, d };
   *p++ = op;
   for (int i = 0; i < n; i++)
      p = mt_put(p, v[i]);
   mt_end(e, p);
}

static void mt_alloc_enter(mt_enc *e, mt_u8 fn)
{
   mt_u8 *p = mt_begin(e);
   *p++ = MT_OP_ALLOC_ENTER;
   *p++ = fn;
   mt_end(e, p);
}

/* The events that follow belong to `tid`. */
static void mt_thread(mt_enc *e, mt_u32 tid)
{
   e->tid = tid;
   if (e->count == 0)
      e->chunk_tid = tid;
   mt_simple(e, MT_OP_THREAD, 1, tid, 0, 0, 0);
}

/* Metadata entries are built by the caller into `buf` with these helpers,
 * then written as one chunk by mt_metadata. */
static mt_u8 *mt_meta_thread(mt_u8 *p, mt_u32 tid, const char *name)
{
   *p++ = 1;
   p = mt_put(p, tid);
   return mt_put_str(p, name, mt_strlen(name));
}

static mt_u8 *mt_meta_module(mt_u8 *p, mt_u64 start, mt_u64 len, mt_u64 off,
                             const char *path)
{
   *p++ = 2;
   p = mt_put(p, start);
   p = mt_put(p, len);
   p = mt_put(p, off);
   p = mt_put_str(p, path, mt_strlen(path));
   return mt_put(p, 0); /* no build id */
}

static void mt_metadata(mt_enc *e, const mt_u8 *buf, mt_u32 len, mt_u32 count)
{
   mt_flush(e);
   if (count > 0)
      mt_write_chunk(e, 1, buf, len, count);
}

#endif
