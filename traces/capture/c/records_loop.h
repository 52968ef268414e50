/* The record loop of records.h, instantiated for each way of choosing
   bases: REC_FN, REC_ATTR, REC_STATE, REC_LOAD, REC_SAVE, REC_PUT. */

/* Encodes the records in [r, stop) into `e`'s open chunk, closing chunks
   as they fill (a record is never split: MT_SLACK), with the dependences
   of their accesses (dp, records.h). */
static REC_ATTR void REC_FN(mt_enc *e, const mt_u64 *r, const mt_u64 *stop, RecDeps *dp)
{
   RecThread *t = dp->t;
   mt_u64 loads = t->loads;
   REC_STATE s;
   REC_LOAD(e, s);
   mt_u64 bend = e->block_end;
   mt_u8 *p = e->payload + e->len;
   while (r < stop) {
      if (p - e->payload >= MT_CHUNK_BYTES) {
         REC_SAVE(e, s);
         e->len = (mt_u32)(p - e->payload);
         mt_flush(e);
         REC_LOAD(e, s);
         bend = e->block_end;
         p = e->payload + e->len;
      }
      const Prog *g = (const Prog *)(unsigned long)r[0];
      const mt_u64 *rec = r;
      const mt_u64 *a = r + 1;
      r = a + g->slots;
      *p = g->op;
      p = put_varint(p + 1, mt_zigzag(g->start - bend));
      wr64(p, rd64(g->len));
      p += g->len_n;
      bend = g->end;
      const mt_u8 *c = g->code;
      mt_u32 events = g->events, tags = 0;
      for (;;) {
         mt_u8 op = *c++;
         if (op >= 0x80) {
            mt_u64 x = *a++;
            if (__builtin_expect((op & P_GUARDED) && x == 0, 0)) {
               events--;
               c += op & P_REF;
               continue;
            }
            if (op & P_REF) {
               p = put_dep_on(p, REC_NUM(c[0] | (mt_u32)c[1] << 8), loads, &events);
               c += 2;
            }
            if (!(op & MT_OP_MEM_STORE))
               REC_LOAD_AT(a - 1);
            op &= 0xF0;
            p = REC_PUT(p, &s, op, 0, x, 1u << ((op >> 4) & 3));
         } else if (op == P_BLOCK) {
            mt_u32 n = c[0];
            wr64(p, rd64(c + 1));
            wr64(p + 8, rd64(c + 9));
            p += n;
            c += 1 + n;
         } else if (op == P_TAG) {
            t->loads = loads;
            rec_tags[tags++] = rec_find(dp, *a, a);
            a++;
         } else if (op == P_EXT) {
            mt_u64 x = *a++;
            mt_u8 flags = c[0];
            if ((flags & P_GUARDED) && x == 0) {
               events--;
            } else {
               if (flags & P_REF)
                  p = put_dep_on(p, REC_NUM(c[10] | (mt_u32)c[11] << 8), loads, &events);
               if (c[1] == MT_OP_LOAD_EXT)
                  REC_LOAD_AT(a - 1);
               p = REC_PUT(p, &s, 0, c[1], x, rd64(c + 2));
            }
            c += flags & P_REF ? 12 : 10;
         } else {
            break;
         }
      }
      e->count += events;
      e->events += events;
      e->instr += g->instr;
   }
   REC_SAVE(e, s);
   e->block_end = bend;
   e->len = (mt_u32)(p - e->payload);
   t->loads = loads;
}

#undef REC_FN
#undef REC_ATTR
#undef REC_STATE
#undef REC_PUT
