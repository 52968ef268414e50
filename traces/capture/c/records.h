/* Encoding the event buffer's records (see tool_main.c) into the trace.
 *
 * A record is [program, address...], written by a superblock's generated
 * code as it leaves; the program holds all of its events that are known
 * at translation time. Freestanding (no Valgrind headers), after
 * mtrace_enc.h, so that it can be timed outside Valgrind too. */
#ifndef RECORDS_H
#define RECORDS_H

/* What a record of one superblock exit encodes to: the events of the
   instructions and accesses it ran, with all that is known at translation
   time (block events after the first, access sizes and kinds) already
   decided, so that encoding a record costs only each access's base choice
   and the first block's start delta. */
typedef struct {
   mt_u32 slots;     /* addresses in the record */
   mt_u32 events;    /* events, less any guarded access whose guard was false */
   mt_u32 instr;     /* instructions */
   mt_u8 op;         /* the first block: its opcode, */
   mt_u8 len_n;      /* the size of its length varint, */
   mt_u8 len[6];     /* that varint (and room to copy 8 bytes), */
   mt_u64 start;     /* and its start */
   mt_u64 end;       /* block_end after the record */
   mt_u8 code[0];    /* the rest, as ops */
} Prog;

/* Ops. A byte >= 0x80 is a 1-, 2-, 4- or 8-byte access: its trace opcode
   without base and form, bit 0 set when guarded (a 0 address means the
   guard was false: no event). */
enum {
   P_END = 0x00,
   P_BLOCK = 0x01,  /* u8 n, n <= 13 bytes: a whole block event (its start delta is static) */
   P_EXT = 0x02     /* u8 guarded, u8 opcode, u64 size: an access of another size */
};
/* P_BLOCK events are copied 16 bytes at a time: programs are padded. */
#define PROG_PAD 16

static inline mt_u64 rd64(const mt_u8 *p)
{
   mt_u64 v;
   __builtin_memcpy(&v, p, 8);
   return v;
}

static inline void wr64(mt_u8 *p, mt_u64 v)
{
   __builtin_memcpy(p, &v, 8);
}

/* The varint of v; the bytes past it up to p + 10 may be overwritten. */
static inline __attribute__((always_inline)) mt_u8 *put_varint(mt_u8 *p, mt_u64 v)
{
   if (v < 0x80) {
      *p = (mt_u8)v;
      return p + 1;
   }
   return mt_put(p, v);
}

/* Writes an access once its base `best` and `form` are chosen. */
static inline __attribute__((always_inline))
mt_u8 *put_access_event(mt_u8 *p, mt_u8 op, mt_u8 ext_op, mt_u64 sz, mt_u32 best,
                        mt_u32 form, mt_u64 delta)
{
   if (__builtin_expect(op != 0, 1)) {
      *p++ = (mt_u8)(op | (best << 2) | form);
      if (form == 0)
         p = put_varint(p, mt_zigzag(delta));
   } else {
      *p++ = ext_op;
      *p++ = (mt_u8)best;
      p = mt_put(p, sz);
      p = mt_put_s(p, delta);
   }
   return p;
}

/* ---- the base choice, in plain C ---- */

typedef struct {
   mt_u64 mem[4], lu[4], clock;
} Bases;

/* One access at `a` of `sz` bytes, the base chosen as mt_mem does
   (traces/src/codec.rs's choice: a zero-byte form, else the nearest base,
   else the least recently used). `op` is the short opcode without base
   and form, or 0 for the extended form `ext_op`. */
static inline __attribute__((always_inline))
mt_u8 *put_access(mt_u8 *p, Bases *s, mt_u8 op, mt_u8 ext_op, mt_u64 a, mt_u64 sz)
{
   int best = 0, form = -1;
   for (int b = 0; b < 4; b++) {
      mt_u64 d = a - s->mem[b];
      if (d == 0) { best = b; form = 1; break; }
      if (d == sz) { best = b; form = 2; break; }
      if (d == (mt_u64)0 - sz) { best = b; form = 3; break; }
   }
   if (form < 0) {
      mt_u64 best_cost = ~0ull;
      form = 0;
      for (int b = 0; b < 4; b++) {
         mt_u64 cost = mt_zigzag(a - s->mem[b]);
         if (cost < best_cost) { best = b; best_cost = cost; }
      }
      if (best_cost >= (1ull << 13)) {
         best = 0;
         for (int b = 1; b < 4; b++)
            if (s->lu[b] < s->lu[best])
               best = b;
      }
   }
   p = put_access_event(p, op, ext_op, sz, best, form, a - s->mem[best]);
   s->mem[best] = a;
   s->lu[best] = ++s->clock;
   return p;
}

#define REC_LOAD(e, s) do { \
      for (int b_ = 0; b_ < 4; b_++) { (s).mem[b_] = (e)->mem[b_]; (s).lu[b_] = (e)->last_use[b_]; } \
      (s).clock = (e)->clock; } while (0)
#define REC_SAVE(e, s) do { \
      for (int b_ = 0; b_ < 4; b_++) { (e)->mem[b_] = (s).mem[b_]; (e)->last_use[b_] = (s).lu[b_]; } \
      (e)->clock = (s).clock; } while (0)
#define REC_FN mt_records_plain
#define REC_ATTR
#define REC_STATE Bases
#define REC_PUT put_access
#include "records_loop.h"

/* ---- the same choice on four lanes at once (AVX2) ----
   The choice of one access waits on that of the one before (the bases it
   moved), so its latency is what counts: one key per base, the smallest
   wins, replaces the three rules and their unpredictable branches. The key
   is the base number for a zero-byte form, (zigzag delta + 1) * 4 + base
   below 2^13, else (last use + 2^45) * 4 + base; the base number in the
   low bits breaks ties towards the first base, as the rules do. */

typedef mt_u64 v4u __attribute__((vector_size(32)));
typedef long long v4i __attribute__((vector_size(32)));

typedef struct {
   v4u mem;     /* the bases */
   v4u lru;     /* their keys when least recently used */
   v4u next;    /* the key of a base used now */
} VBases;

#define LRU_BIAS (1ull << 45)

static inline __attribute__((always_inline, target("avx2")))
mt_u8 *put_access_v(mt_u8 *p, VBases *s, mt_u8 op, mt_u8 ext_op, mt_u64 a, mt_u64 sz)
{
   const v4u lane = { 0, 1, 2, 3 };
   v4u va = { a, a, a, a }, vs = { sz, sz, sz, sz };
   v4u d = va - s->mem;
   v4u hit = (v4u)((d == 0) | (d == vs) | (d == -vs));
   v4u z = (d << 1) ^ (v4u)((v4i)d >> 63);
   v4u small = (v4u)((z >> 13) == 0);
   v4u near = ((z + 1) << 2) | lane;
   v4u key = (s->lru & ~small) | (near & small);
   key = (key & ~hit) | (lane & hit);
   /* the minimum in every lane: keys are below 2^63, signed compares do */
   v4u sw = __builtin_shuffle(key, (v4u){ 1, 0, 3, 2 });
   v4u lt = (v4u)((v4i)key < (v4i)sw);
   v4u mn = (key & lt) | (sw & ~lt);
   sw = __builtin_shuffle(mn, (v4u){ 2, 3, 0, 1 });
   lt = (v4u)((v4i)mn < (v4i)sw);
   mn = (mn & lt) | (sw & ~lt);
   v4u chosen = (v4u)(key == mn);
   s->mem = (s->mem & ~chosen) | (va & chosen);
   s->lru = (s->lru & ~chosen) | (s->next & chosen);
   s->next += 4;
   mt_u64 k = mn[0];
   mt_u32 best = (mt_u32)k & 3;
   mt_u64 delta = d[best];
   mt_u32 form = k >= 4 ? 0 : delta == 0 ? 1 : delta == sz ? 2 : 3;
   return put_access_event(p, op, ext_op, sz, best, form, delta);
}

#undef REC_LOAD
#undef REC_SAVE
#define REC_LOAD(e, s) do { \
      for (int b_ = 0; b_ < 4; b_++) { \
         (s).mem[b_] = (e)->mem[b_]; \
         (s).lru[b_] = ((e)->last_use[b_] + LRU_BIAS) << 2 | b_; \
         (s).next[b_] = ((e)->clock + 1 + LRU_BIAS) << 2 | b_; \
      } } while (0)
#define REC_SAVE(e, s) do { \
      for (int b_ = 0; b_ < 4; b_++) { \
         (e)->mem[b_] = (s).mem[b_]; \
         (e)->last_use[b_] = ((s).lru[b_] >> 2) - LRU_BIAS; \
      } \
      (e)->clock = ((s).next[0] >> 2) - LRU_BIAS - 1; } while (0)
#define REC_FN mt_records_avx2
#define REC_ATTR __attribute__((target("avx2")))
#define REC_STATE VBases
#define REC_PUT put_access_v
#include "records_loop.h"
#undef REC_LOAD
#undef REC_SAVE

/* Whether the CPU and the kernel give us AVX2 (CPUID, XGETBV). */
static int mt_have_avx2(void)
{
   mt_u32 a, b, c, d;
   __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0));
   if (a < 7)
      return 0;
   __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
   if (!(c & (1u << 27)) || !(c & (1u << 28))) /* OSXSAVE, AVX */
      return 0;
   mt_u32 lo, hi;
   __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
   if ((lo & 6) != 6) /* XMM and YMM state enabled */
      return 0;
   __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
   return (b >> 5) & 1;
}

#endif
