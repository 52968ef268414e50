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
   mt_u32 upd;       /* offset in code of the register updates (after P_END) */
   mt_u8 code[0];    /* the rest, as ops, then the register updates */
} Prog;

/* Ops. A byte >= 0x80 is a 1-, 2-, 4- or 8-byte access: its trace opcode
   without base and form, bit 0 set when guarded (a 0 address means the
   guard was false: no event), bit 1 set when a dependence reference
   (below) follows. */
enum {
   P_END = 0x00,
   P_BLOCK = 0x01,  /* u8 n, n <= 13 bytes: a whole block event (its start delta is static) */
   P_EXT = 0x02     /* u8 flags (as bits 0, 1 above), u8 opcode, u64 size, [ref]:
                       an access of another size */
};
#define P_GUARDED 1
#define P_REF 2

/* Dependences. The encoder numbers each thread's loads as it writes them
   (RecThread.loads) and keeps, per thread, the tag of each of the 16
   integer registers: the number of the load its value was last computed
   from (0: none). Within a superblock every tag is known at translation
   time in terms of the record's own load slots and the registers' tags
   at its start, so the program only names them (a tag reference):
   - REF_NONE: no load;
   - REF_SLOT, u16 s: the load in slot s of the record (r[s]);
   - REF_REG, u8 r: the tag of register r at the record's start;
   - REF_REGS, u16 m: the most recent of the tags of the registers in mask
     m at the record's start;
   - REF_ANY, u16 s, u16 m, u16 g: the most recent of the loads in slot s
     (0: none) and in the guarded slot g (0: none; nothing if its guard was
     false), or if neither, of the registers in m.
   An access with P_REF is followed by the reference of its address's
   producer; the encoder writes the distance to it as a dependence event
   when it is 1..MT_MAX_DEP. After P_END, the register updates of the
   exit: u8 n, then n times u8 register and the reference of its new tag
   (all computed from the tags at the record's start). */
enum { REF_NONE = 0, REF_SLOT = 1, REF_REG = 2, REF_REGS = 3, REF_ANY = 4 };

/* A thread's loads and register tags, as far as the encoder has seen its
   records. */
typedef struct {
   mt_u64 loads;              /* loads written so far */
   mt_u64 reg[16];            /* load number of each register's tag */
} RecThread;

/* The number of each load slot of the record being encoded (by slot
   index; 0 for a guarded load that did not happen), the most a record can
   have. */
#define REC_MAX_SLOTS 32768u
static mt_u64 rec_num[REC_MAX_SLOTS];

static inline __attribute__((always_inline)) mt_u32 rd16(const mt_u8 *p)
{
   return p[0] | (mt_u32)p[1] << 8;
}

/* The most recent tag among the registers in mask m. */
static inline mt_u64 regs_tag(const RecThread *t, mt_u32 m)
{
   mt_u64 v = 0;
   while (m) {
      mt_u64 x = t->reg[__builtin_ctz(m)];
      v = x > v ? x : v;
      m &= m - 1;
   }
   return v;
}

/* The load number a tag reference at *cp names (moving *cp past it);
   `num` the numbers of the record's load slots, NULL when none of them is
   in the trace (a record outside the ROI). */
static inline __attribute__((always_inline))
mt_u64 ref_tag(const mt_u8 **cp, const mt_u64 *num, const RecThread *t)
{
   const mt_u8 *c = *cp;
   mt_u64 v = 0;
   switch (c[0]) {
   case REF_SLOT:
      v = num ? num[rd16(c + 1)] : 0;
      *cp = c + 3;
      break;
   case REF_REG:
      v = t->reg[c[1]];
      *cp = c + 2;
      break;
   case REF_REGS:
      v = regs_tag(t, rd16(c + 1));
      *cp = c + 3;
      break;
   case REF_ANY: {
      mt_u32 s = rd16(c + 1), g = rd16(c + 5);
      if (num) {
         mt_u64 a = s ? num[s] : 0, b = g ? num[g] : 0;
         v = a > b ? a : b;
      }
      if (v == 0 && s == 0)
         v = regs_tag(t, rd16(c + 3));
      *cp = c + 7;
      break;
   }
   default:
      *cp = c + 1;
      break;
   }
   return v;
}

/* At a record's exit: its register updates at u (after P_END). */
static inline __attribute__((always_inline))
void rec_updates(const mt_u8 *u, const mt_u64 *num, RecThread *t)
{
   mt_u32 n = *u++;
   mt_u8 r[16];
   mt_u64 v[16];
   for (mt_u32 i = 0; i < n; i++) {
      r[i] = *u++;
      v[i] = ref_tag(&u, num, t);
   }
   for (mt_u32 i = 0; i < n; i++)
      t->reg[r[i]] = v[i];
}

/* The dependence event of an access whose producer is load number `num`
   (0: none), `loads` loads of the thread before it, at p; `*events`
   counts it. */
static inline __attribute__((always_inline))
mt_u8 *put_dep_on(mt_u8 *p, mt_u64 num, mt_u64 loads, mt_u32 *events)
{
   mt_u64 d = loads + 1 - num;
   mt_u32 near = num != 0 && d - 1 < MT_MAX_DEP;
   *events += near;
   return mt_put_dep(p, near ? (mt_u32)d : 0);
}

/* Applies the register updates of the records in [r, stop) without
   encoding them: records outside the ROI, whose loads the trace has not. */
static void rec_skip(const mt_u64 *r, const mt_u64 *stop, RecThread *t)
{
   while (r < stop) {
      const Prog *g = (const Prog *)(unsigned long)r[0];
      rec_updates(g->code + g->upd, NULL, t);
      r += 1 + g->slots;
   }
}

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

/* ---- the same choice on four lanes at once (AVX2, AVX-512) ----
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

/* Lane-wise minimum; keys are below 2^63, so signed compares do. */
static inline __attribute__((always_inline, target("avx2"))) v4u vmin_avx2(v4u x, v4u y)
{
   v4u lt = (v4u)((v4i)x < (v4i)y);
   return (x & lt) | (y & ~lt);
}

static inline __attribute__((always_inline, target("avx512f,avx512vl,avx2")))
v4u vmin_avx512(v4u x, v4u y)
{
   return (v4u)__builtin_ia32_pminsq256_mask((v4i)x, (v4i)y, (v4i)x, (unsigned char)0xff);
}

#define VEC_TARGET "avx2"
#define VEC_MIN vmin_avx2
#define VEC_PUT put_access_avx2
#define REC_FN mt_records_avx2
#include "records_vec.h"

#define VEC_TARGET "avx512f,avx512vl,avx2"
#define VEC_MIN vmin_avx512
#define VEC_PUT put_access_avx512
#define REC_FN mt_records_avx512
#include "records_vec.h"

#undef REC_LOAD
#undef REC_SAVE

/* Which record loop the CPU and the kernel allow (CPUID, XGETBV). */
static void (*mt_records_best(void))(mt_enc *, const mt_u64 *, const mt_u64 *, RecThread *)
{
   mt_u32 a, b, c, d;
   __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0));
   if (a < 7)
      return mt_records_plain;
   __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
   if (!(c & (1u << 27)) || !(c & (1u << 28))) /* OSXSAVE, AVX */
      return mt_records_plain;
   mt_u32 xcr0, hi;
   __asm__("xgetbv" : "=a"(xcr0), "=d"(hi) : "c"(0));
   __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
   /* AVX-512 F and VL, and the opmask and upper ZMM state saved */
   if ((b & (1u << 16)) && (b & (1u << 31)) && (xcr0 & 0xE6) == 0xE6)
      return mt_records_avx512;
   /* AVX2, and the YMM state saved */
   if ((b & (1u << 5)) && (xcr0 & 6) == 6)
      return mt_records_avx2;
   return mt_records_plain;
}

#endif
