/* The record loop of records.h, instantiated for each way of choosing
   bases: REC_FN, REC_ATTR, REC_STATE, REC_LOAD, REC_SAVE, REC_PUT. */

/* Encodes the records in [r, stop) into `e`'s open chunk, closing chunks
   as they fill (a record is never split: MT_SLACK), with the dependences
   of their accesses, for thread t (records.h). */
static REC_ATTR void REC_FN(mt_enc *e, const mt_u64 *r, const mt_u64 *stop, RecThread *t)
{
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
      mt_u32 events = g->events;
      for (;;) {
         mt_u8 op = *c++;
         if (op >= 0x80) {
            mt_u64 x = *a++;
            if (__builtin_expect((op & P_GUARDED) && x == 0, 0)) {
               events--;
               if (op & P_REF)
                  ref_tag(&c, rec_num, t);
               rec_num[a - 1 - rec] = 0;
               continue;
            }
            if (op & P_REF)
               p = put_dep_on(p, ref_tag(&c, rec_num, t), loads, &events);
            if (!(op & MT_OP_MEM_STORE))
               rec_num[a - 1 - rec] = ++loads;
            op &= 0xF0;
            p = REC_PUT(p, &s, op, 0, x, 1u << ((op >> 4) & 3));
         } else if (op == P_BLOCK) {
            mt_u32 n = c[0];
            wr64(p, rd64(c + 1));
            wr64(p + 8, rd64(c + 9));
            p += n;
            c += 1 + n;
         } else if (op == P_EXT) {
            mt_u64 x = *a++;
            mt_u8 flags = c[0], ext = c[1];
            mt_u64 size = rd64(c + 2);
            c += 10;
            if ((flags & P_GUARDED) && x == 0) {
               events--;
               if (flags & P_REF)
                  ref_tag(&c, rec_num, t);
               rec_num[a - 1 - rec] = 0;
            } else {
               if (flags & P_REF)
                  p = put_dep_on(p, ref_tag(&c, rec_num, t), loads, &events);
               if (ext == MT_OP_LOAD_EXT)
                  rec_num[a - 1 - rec] = ++loads;
               p = REC_PUT(p, &s, 0, ext, x, size);
            }
         } else {
            rec_updates(c, rec_num, t);
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
