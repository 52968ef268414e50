/* The vector base choice of records.h and its record loop, for one
   instruction set: VEC_TARGET, VEC_MIN, VEC_PUT, REC_FN. */

static inline __attribute__((always_inline, target(VEC_TARGET)))
mt_u8 *VEC_PUT(mt_u8 *p, VBases *s, mt_u8 op, mt_u8 ext_op, mt_u64 a, mt_u64 sz)
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
   /* the minimum in every lane */
   v4u mn = VEC_MIN(key, __builtin_shuffle(key, (v4u){ 1, 0, 3, 2 }));
   mn = VEC_MIN(mn, __builtin_shuffle(mn, (v4u){ 2, 3, 0, 1 }));
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

#define REC_ATTR __attribute__((target(VEC_TARGET)))
#define REC_STATE VBases
#define REC_PUT VEC_PUT
#include "records_loop.h"

#undef VEC_TARGET
#undef VEC_MIN
#undef VEC_PUT
