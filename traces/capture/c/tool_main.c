/* memento: a Valgrind tool that writes the Memento binary trace.
 *
 * Instrumentation does not call a helper per access (Lackey's cost): the
 * generated code of a superblock stores only the access addresses into a
 * record of an event buffer, and as it leaves (at its end or at a side
 * exit) the address of that exit's program: the events of everything that
 * ran, encoded at translation time as far as they can be (records.h). The
 * buffer is encoded to the trace when full, and before any event that must
 * be ordered after the accesses (client requests, syscalls, thread
 * switches, exit).
 *
 * Dependences (see "load tags" below) cost the generated code nothing:
 * each access's program names the load its address was computed from, in
 * terms known at translation time (a load of the record, or the
 * registers' tags at the superblock's start), each exit's program the
 * tags it leaves in the registers, and the encoder, numbering the loads
 * it writes and keeping each thread's register tags, writes the distance
 * as a dependence event. */

#include "pub_tool_basics.h"
#include "pub_tool_tooliface.h"
#include "pub_tool_libcassert.h"
#include "pub_tool_libcprint.h"
#include "pub_tool_libcbase.h"
#include "pub_tool_libcfile.h"
#include "pub_tool_libcproc.h"
#include "pub_tool_mallocfree.h"
#include "pub_tool_options.h"
#include "pub_tool_machine.h"
#include "pub_tool_threadstate.h"
#include "pub_tool_aspacemgr.h"
#include "pub_tool_debuginfo.h"
#include "pub_tool_vki.h"
#include "pub_tool_vkiscnums.h"
#include "pub_tool_clreq.h"
#include "libvex_guest_amd64.h"

/* A superblock record is encoded without a per-event room check: at most
   MAX_ITEMS events of at most 24 bytes each (an access of 22 and its
   dependence of 2), and 8-byte copies past them. */
#define MAX_ITEMS 4096
#define MT_SLACK (MAX_ITEMS * 24u + 64u)
#include "mtrace_enc.h"
#include "memento_requests.h"
#include "records.h"

/* ---------------- options ---------------- */

static const HChar *clo_out = NULL;
static Bool clo_roi = False;
static const HChar *clo_workload = "";
static const HChar *clo_runtime = "";
static const HChar *clo_cmdline = "";
static const HChar *clo_time_ns = "0";

static Bool process_cmd_line_option(const HChar *arg)
{
   if VG_STR_CLO(arg, "--out", clo_out) {}
   else if VG_BOOL_CLO(arg, "--roi", clo_roi) {}
   else if VG_STR_CLO(arg, "--workload", clo_workload) {}
   else if VG_STR_CLO(arg, "--runtime", clo_runtime) {}
   else if VG_STR_CLO(arg, "--cmdline", clo_cmdline) {}
   else if VG_STR_CLO(arg, "--time-ns", clo_time_ns) {}
   else return False;
   return True;
}

static void print_usage(void)
{
   VG_(printf)(
"    --out=FILE            trace file to write (required)\n"
"    --roi=yes|no          write only events inside ROI markers [no]\n"
"    --workload=NAME --runtime=NAME --cmdline=TEXT --time-ns=N  header fields\n");
}

static void print_debug_usage(void) {}

/* ---------------- output ---------------- */

static mt_enc enc;
static Int out_fd = -1;
static Bool dead = False;         /* forked child: writes nothing */
static Bool roi_inside = False;
static ThreadId cur_tid = 0;      /* thread running now */
static ThreadId enc_tid = 0;      /* thread the trace last named */
/* Valgrind's default limit is 500 threads (--max-threads); more are not named. */
#define MAX_TID 1024
static Bool tid_seen[MAX_TID];

static int write_fd(void *ctx, const void *buf, mt_u32 len)
{
   const HChar *p = buf;
   while (len > 0) {
      Int n = VG_(write)(out_fd, p, len);
      if (n <= 0)
         return 1;
      p += n;
      len -= n;
   }
   return 0;
}

static inline Bool writing(void)
{
   return !dead && (!clo_roi || roi_inside);
}

/* Names the running thread in the trace before its first event. */
static inline void sync_thread(void)
{
   if (enc_tid != cur_tid) {
      mt_thread(&enc, cur_tid);
      enc_tid = cur_tid;
      if (cur_tid < MAX_TID)
         tid_seen[cur_tid] = True;
   }
}

/* ---------------- superblock programs and the event buffer ---------------- */

enum { IT_INSTR, IT_LOAD, IT_STORE, IT_LOAD_G, IT_STORE_G };

/* A tag at translation time (records.h, tag references): the most recent
   of the load in slot s of the record (0: none), the load in the guarded
   slot g if it happened (0: none), or else the registers in mask m as
   they were at the superblock's start. */
typedef struct {
   UShort s, m, g;
} Tag;

typedef struct {
   Addr addr;     /* instructions: address */
   UInt size;     /* instructions: length; accesses: bytes */
   UInt kind;
   Tag ref;       /* accesses: the producer of the address */
   Bool has_ref;
} Item;

#define BUF_SLOTS (1u << 17)
static ULong *evbuf;
/* Next free slot. Generated code loads and stores it directly. */
static ULong *evptr;

/* Each thread's loads and register tags as the encoder has them. */
static RecThread *rec_threads[MAX_TID];

static RecThread *rec_thread(ThreadId tid)
{
   UInt t = tid % MAX_TID;
   if (rec_threads[t] == NULL) {
      rec_threads[t] = VG_(malloc)("memento.rec_thread", sizeof(RecThread));
      VG_(memset)(rec_threads[t], 0, sizeof(RecThread));
   }
   return rec_threads[t];
}

/* The fastest record loop the CPU has (chosen in post_clo_init). */
static void (*encode_records)(mt_enc *, const mt_u64 *, const mt_u64 *, RecThread *) =
   mt_records_plain;

/* Encodes everything in the event buffer or, outside the ROI, only keeps
   the register tags its records leave (records.h). */
static void flush_events(void)
{
   const ULong *r = evbuf, *stop = evptr;
   evptr = evbuf;
   if (r == stop)
      return;
   if (!writing()) {
      if (!dead)
         rec_skip(r, stop, rec_thread(cur_tid));
      return;
   }
   sync_thread();
   encode_records(&enc, r, stop, rec_thread(cur_tid));
}

static VG_REGPARM(0) void flush_helper(void)
{
   flush_events();
}

/* ---------------- instrumentation ---------------- */

static Item scratch[MAX_ITEMS];
/* the longest op per item is P_EXT with a full reference: 1 + 1 + 1 + 8 + 7
   bytes; then the register updates */
static UChar code_scratch[MAX_ITEMS * 18 + 1 + 1 + 16 * 8];

static Bool no_tag(Tag t)
{
   return t.s == 0 && t.m == 0 && t.g == 0;
}

/* A tag reference (records.h). */
static UChar *code_ref(UChar *c, Tag t)
{
   if (no_tag(t)) {
      *c++ = REF_NONE;
   } else if (t.g == 0 && t.s == 0 && (t.m & (t.m - 1)) == 0) {
      *c++ = REF_REG;
      *c++ = (UChar)__builtin_ctz(t.m);
   } else if (t.g == 0 && (t.s != 0 || t.m != 0)) {
      *c++ = t.s != 0 ? REF_SLOT : REF_REGS;
      UShort v = t.s != 0 ? t.s : t.m;
      *c++ = (UChar)v;
      *c++ = (UChar)(v >> 8);
   } else {
      *c++ = REF_ANY;
      UShort v[3] = { t.s, t.m, t.g };
      for (Int i = 0; i < 3; i++) {
         *c++ = (UChar)v[i];
         *c++ = (UChar)(v[i] >> 8);
      }
   }
   return c;
}

/* The op of an access item. */
static UChar *code_access(UChar *c, const Item *m)
{
   Bool store = m->kind == IT_STORE || m->kind == IT_STORE_G;
   UInt flags = (m->kind == IT_LOAD_G || m->kind == IT_STORE_G ? P_GUARDED : 0)
                | (m->has_ref ? P_REF : 0);
   UInt sz = m->size;
   if (sz == 1 || sz == 2 || sz == 4 || sz == 8) {
      UInt code = sz == 1 ? 0 : sz == 2 ? 1 : sz == 4 ? 2 : 3;
      *c++ = (UChar)(MT_OP_MEM | (store ? MT_OP_MEM_STORE : 0) | (code << 4) | flags);
   } else {
      *c++ = P_EXT;
      *c++ = (UChar)flags;
      *c++ = store ? MT_OP_STORE_EXT : MT_OP_LOAD_EXT;
      wr64(c, sz);
      c += 8;
   }
   if (m->has_ref)
      c = code_ref(c, m->ref);
   return c;
}

/* The register tags at an exit (translation time). */
#define N_GPR 16
typedef struct {
   Tag reg[N_GPR];
} RegTags;

static Bool reg_unchanged(const RegTags *rt, Int r)
{
   Tag t = rt->reg[r];
   return t.s == 0 && t.g == 0 && t.m == (1u << r);
}

/* The program of an exit after the first `done` items (`slots` addresses):
   for each run of contiguous instructions (at most 64) a block event, then
   the accesses of those instructions; then the register tags the exit
   leaves. */
static const Prog *compile(UInt done, UInt slots, const RegTags *rt)
{
   /* instrument() starts the items with an instruction */
   tl_assert(done > 0 && scratch[0].kind == IT_INSTR);
   UChar *c = code_scratch;
   UInt events = 0, instr = 0, i = 0;
   UChar first_op = 0, first_len[16];
   UInt first_len_n = 0;
   Addr first_start = 0, bend = 0;
   while (i < done) {
      const Item *it = &scratch[i];
      if (it->kind != IT_INSTR) {
         /* accesses of a 64th instruction, after its block */
         c = code_access(c, it);
         events++;
         i++;
         continue;
      }
      Addr start = it->addr;
      UInt len = it->size, cnt = 1, j = i + 1;
      while (j < done && cnt < 64) {
         const Item *n = &scratch[j];
         if (n->kind == IT_INSTR) {
            if (n->addr != start + len)
               break;
            len += n->size;
            cnt++;
         }
         j++;
      }
      UChar opcode = (UChar)(MT_OP_BLOCK_SHORT | (cnt - 1));
      if (i == 0) {
         first_op = opcode;
         first_start = start;
         first_len_n = mt_put(first_len, len) - first_len;
      } else {
         *c++ = P_BLOCK;
         UChar *n = c;
         UChar *e = n + 1;
         *e++ = opcode;
         e = mt_put_s(e, start - bend);
         e = mt_put(e, len);
         *n = (UChar)(e - n - 1);
         c = e;
      }
      bend = start + len;
      instr += cnt;
      events++;
      for (i++; i < j; i++)
         if (scratch[i].kind != IT_INSTR) {
            c = code_access(c, &scratch[i]);
            events++;
         }
   }
   *c++ = P_END;
   UInt upd = c - code_scratch;
   UChar *count = c++;
   *count = 0;
   for (Int r = 0; r < N_GPR; r++)
      if (!reg_unchanged(rt, r)) {
         *c++ = (UChar)r;
         c = code_ref(c, rt->reg[r]);
         (*count)++;
      }
   UInt n = c - code_scratch;
   Prog *g = VG_(malloc)("memento.prog", sizeof(Prog) + n + PROG_PAD);
   VG_(memset)(g, 0, sizeof(Prog) + n + PROG_PAD);
   g->slots = slots;
   g->events = events;
   g->instr = instr;
   g->op = first_op;
   /* an instruction is at most 15 bytes: a length varint of at most 2 */
   tl_assert(first_len_n <= 6);
   g->len_n = first_len_n;
   VG_(memcpy)(g->len, first_len, first_len_n);
   g->start = first_start;
   g->end = bend;
   g->upd = upd;
   VG_(memcpy)(g->code, code_scratch, n);
   return g;
}

static IRExpr *slot_addr(IRSB *sb, IRTemp base, UInt slot)
{
   IRTemp t = newIRTemp(sb->tyenv, Ity_I64);
   addStmtToIRSB(sb, IRStmt_WrTmp(t, IRExpr_Binop(Iop_Add64, IRExpr_RdTmp(base),
                                                  IRExpr_Const(IRConst_U64(8ull * slot)))));
   return IRExpr_RdTmp(t);
}

/* Stores an access address (or 0 when its guard is false) in a slot. */
static void put_addr(IRSB *sb, IRTemp base, UInt *slot, IRExpr *addr, IRExpr *guard)
{
   IRExpr *data = addr;
   if (guard) {
      IRTemp t = newIRTemp(sb->tyenv, Ity_I64);
      addStmtToIRSB(sb, IRStmt_WrTmp(t, IRExpr_ITE(guard, addr,
                                                   IRExpr_Const(IRConst_U64(0)))));
      data = IRExpr_RdTmp(t);
   }
   IRExpr *where = slot_addr(sb, base, 1 + *slot);
   addStmtToIRSB(sb, IRStmt_Store(Iend_LE, where, data));
   (*slot)++;
}

/* Before the superblock may leave: name this exit's program in the
   record and advance evptr past it. */
static void put_exit(IRSB *sb, IRTemp base, UInt items, UInt slots, const RegTags *rt)
{
   const Prog *g = compile(items, slots, rt);
   addStmtToIRSB(sb, IRStmt_Store(Iend_LE, IRExpr_RdTmp(base),
                                  IRExpr_Const(IRConst_U64((HWord)g))));
   IRExpr *next = slot_addr(sb, base, 1 + slots);
   addStmtToIRSB(sb, IRStmt_Store(Iend_LE, IRExpr_Const(IRConst_U64((HWord)&evptr)), next));
}

static void add_item(UInt *n, UInt kind, Addr addr, UInt size)
{
   tl_assert(*n < MAX_ITEMS);
   scratch[*n].kind = kind;
   scratch[*n].addr = addr;
   scratch[*n].size = size;
   scratch[*n].has_ref = False;
   (*n)++;
}

static Bool in_own_preload(Addr a)
{
   const HChar *obj;
   return VG_(get_objname)(VG_(current_DiEpoch)(), a, &obj)
          && VG_(strstr)(obj, "vgpreload_memento") != NULL;
}

/* How many address slots a statement needs (0 for most). */
static UInt slots_of(IRStmt *st)
{
   switch (st->tag) {
   case Ist_WrTmp: return st->Ist.WrTmp.data->tag == Iex_Load;
   case Ist_Store: case Ist_LoadG: case Ist_StoreG: case Ist_LLSC: return 1;
   case Ist_CAS: return 2;
   case Ist_Dirty: {
      IRDirty *d = st->Ist.Dirty.details;
      if (d->mFx == Ifx_None || d->mSize == 0) return 0;
      return d->mFx == Ifx_Modify ? 2 : 1;
   }
   default: return 0;
   }
}

/* ---------------- load tags (dependences) ----------------

   A value's tag is the most recent load it was computed from. Within a
   superblock every tag is known at translation time in terms of the
   record's own load slots (a later slot is a later load) and of the
   integer registers' tags at the superblock's start (older than any load
   of the superblock): a load's result has its own slot; an operation's
   result the most recent tag of its operands; a PUT to one of the 16
   integer registers sets the register's tag, a GET reads it. So the
   generated code computes nothing: an access's program names the
   producer of its address, each exit's program the tags it leaves in the
   registers, and the encoder, which numbers each thread's loads as it
   writes them and keeps each thread's register tags (records.h, a
   per-thread array indexed by guest offset / 8), turns them into load
   numbers and distances. Memory is not tracked: a value reloaded from
   memory has the tag of that reload. */

/* The integer registers RAX..R15, 8 bytes each, contiguous. */
#define GPR_LO ((Int)offsetof(VexGuestAMD64State, guest_RAX))
#define GPR_HI ((Int)offsetof(VexGuestAMD64State, guest_R15) + 8)

static const Tag NO_TAG = { 0, 0, 0 };

static Tag *tags_tmp;
static Int tags_cap;

static Bool is_int(IRType ty)
{
   return ty >= Ity_I1 && ty <= Ity_I128;
}

static Tag slot_tag(UInt slot)
{
   Tag t = { (UShort)slot, 0, 0 };
   return t;
}

/* The tag of an atom of the input (constants have none). */
static Tag tag_of(IRExpr *atom)
{
   if (atom == NULL || atom->tag != Iex_RdTmp || (Int)atom->Iex.RdTmp.tmp >= tags_cap)
      return NO_TAG;
   return tags_tmp[atom->Iex.RdTmp.tmp];
}

/* The more recent of two tags. A later slot is more recent than an
   earlier one and than any register; of two guarded slots only the later
   is kept. */
static Tag tag_max(Tag a, Tag b)
{
   Tag t;
   t.s = a.s > b.s ? a.s : b.s;
   t.g = a.g > b.g ? a.g : b.g;
   t.m = a.m | b.m;
   if (t.s > t.g)
      t.g = 0;
   if (t.s != 0 && t.g == 0)
      t.m = 0;
   return t;
}

/* The register a guest state access of `size` bytes at `off` falls in, or -1. */
static Int gpr_of(Int off, Int size)
{
   if (off < GPR_LO || off + size > GPR_HI)
      return -1;
   Int r = (off - GPR_LO) / 8;
   return (off + size - 1 - GPR_LO) / 8 == r ? r : -1;
}

/* The tag of a (flat) expression other than a load. Values that are not
   integers (floating point, vectors) carry none. */
static Tag expr_tag(const RegTags *rt, IRExpr *e, IRType ty)
{
   if (!is_int(ty))
      return NO_TAG;
   switch (e->tag) {
   case Iex_Get: {
      Int r = gpr_of(e->Iex.Get.offset, sizeofIRType(e->Iex.Get.ty));
      return r < 0 ? NO_TAG : rt->reg[r];
   }
   case Iex_RdTmp:
      return tag_of(e);
   case Iex_Unop:
      return tag_of(e->Iex.Unop.arg);
   case Iex_Binop:
      return tag_max(tag_of(e->Iex.Binop.arg1), tag_of(e->Iex.Binop.arg2));
   case Iex_Triop: {
      IRTriop *t = e->Iex.Triop.details;
      return tag_max(tag_max(tag_of(t->arg1), tag_of(t->arg2)), tag_of(t->arg3));
   }
   case Iex_Qop: {
      IRQop *q = e->Iex.Qop.details;
      return tag_max(tag_max(tag_of(q->arg1), tag_of(q->arg2)),
                     tag_max(tag_of(q->arg3), tag_of(q->arg4)));
   }
   case Iex_ITE:
      return tag_max(tag_of(e->Iex.ITE.cond),
                     tag_max(tag_of(e->Iex.ITE.iftrue), tag_of(e->Iex.ITE.iffalse)));
   case Iex_CCall: {
      Tag m = NO_TAG;
      for (Int i = 0; e->Iex.CCall.args[i]; i++)
         m = tag_max(m, tag_of(e->Iex.CCall.args[i]));
      return m;
   }
   default: /* Const, GetI (x87 registers) */
      return NO_TAG;
   }
}

/* A PUT of `data` to the guest state. A write of fewer than 8 bytes (AL,
   AH, AX) keeps the rest of the register: the older tag may still count. */
static void tags_put(RegTags *rt, IRTypeEnv *env, Int off, IRExpr *data)
{
   IRType ty = typeOfIRExpr(env, data);
   Int size = sizeofIRType(ty);
   Int r = gpr_of(off, size);
   if (r < 0)
      return;
   Tag t = is_int(ty) ? tag_of(data) : NO_TAG;
   rt->reg[r] = size == 8 ? t : tag_max(rt->reg[r], t);
}

/* A dirty helper's writes to the registers: they get `t` (its guard is
   taken to hold; no helper of the amd64 front end that writes integer
   registers has one). */
static void tags_dirty_writes(RegTags *rt, IRDirty *d, Tag t)
{
   for (Int i = 0; i < d->nFxState; i++) {
      if (d->fxState[i].fx == Ifx_Read)
         continue;
      for (Int j = 0; j <= d->fxState[i].nRepeats; j++) {
         Int lo = d->fxState[i].offset + j * d->fxState[i].repeatLen;
         Int hi = lo + d->fxState[i].size;
         for (Int r = 0; r < N_GPR; r++) {
            Int rlo = GPR_LO + 8 * r;
            if (hi > rlo && lo < rlo + 8)
               rt->reg[r] = t;
         }
      }
   }
}

/* Records an access item with the producer of its address, and its slot. */
static void access(IRSB *sb, UInt *n, IRTemp base, UInt *slot, UInt kind, UInt size,
                   IRExpr *addr, IRExpr *guard)
{
   Tag t = tag_of(addr);
   add_item(n, kind, 0, size);
   scratch[*n - 1].ref = t;
   scratch[*n - 1].has_ref = !no_tag(t);
   put_addr(sb, base, slot, addr, guard);
}

static IRSB *instrument(VgCallbackClosure *closure, IRSB *bb_in,
                        const VexGuestLayout *layout,
                        const VexGuestExtents *vge,
                        const VexArchInfo *archinfo_host,
                        IRType gWordTy, IRType hWordTy)
{
   Int i = 0;
   UInt max_slots = 0;
   for (Int k = 0; k < bb_in->stmts_used; k++)
      max_slots += slots_of(bb_in->stmts[k]);
   /* The wrappers' own code is not recorded, nor its effect on the
      register tags: the registers keep the tags the allocator left, as
      they would without the wrapper (records.h). */
   if (in_own_preload(vge->base[0]) || max_slots + 2 > BUF_SLOTS / 4)
      return bb_in;

   IRSB *sb = deepCopyIRSBExceptStmts(bb_in);
   for (; i < bb_in->stmts_used && bb_in->stmts[i]->tag != Ist_IMark; i++)
      addStmtToIRSB(sb, bb_in->stmts[i]);

   Int ntmp = bb_in->tyenv->types_used;
   if (ntmp > tags_cap) {
      if (tags_cap > 0)
         VG_(free)(tags_tmp);
      tags_cap = 2 * ntmp;
      tags_tmp = VG_(malloc)("memento.tags", tags_cap * sizeof(Tag));
   }
   for (Int k = 0; k < ntmp; k++)
      tags_tmp[k] = NO_TAG;
   RegTags rt;
   for (Int r = 0; r < N_GPR; r++) {
      rt.reg[r] = NO_TAG;
      rt.reg[r].m = (UShort)(1u << r);
   }

   /* prologue: flush when this record may not fit, then claim its slots */
   IRTemp t0 = newIRTemp(sb->tyenv, Ity_I64);
   addStmtToIRSB(sb, IRStmt_WrTmp(t0, IRExpr_Load(Iend_LE, Ity_I64,
                                   IRExpr_Const(IRConst_U64((HWord)&evptr)))));
   IRTemp full = newIRTemp(sb->tyenv, Ity_I1);
   ULong limit = (ULong)(HWord)(evbuf + BUF_SLOTS - 1 - max_slots);
   addStmtToIRSB(sb, IRStmt_WrTmp(full, IRExpr_Binop(Iop_CmpLT64U,
                                   IRExpr_Const(IRConst_U64(limit)), IRExpr_RdTmp(t0))));
   IRDirty *di = unsafeIRDirty_0_N(0, "memento_flush",
                                   VG_(fnptr_to_fnentry)(&flush_helper), mkIRExprVec_0());
   di->guard = IRExpr_RdTmp(full);
   di->mFx = Ifx_Modify;
   di->mAddr = IRExpr_Const(IRConst_U64((HWord)&evptr));
   di->mSize = 8;
   addStmtToIRSB(sb, IRStmt_Dirty(di));
   IRTemp base = newIRTemp(sb->tyenv, Ity_I64);
   addStmtToIRSB(sb, IRStmt_WrTmp(base, IRExpr_Load(Iend_LE, Ity_I64,
                                   IRExpr_Const(IRConst_U64((HWord)&evptr)))));

   UInt n = 0, slot = 0;
   IRTypeEnv *env = bb_in->tyenv;
   for (; i < bb_in->stmts_used; i++) {
      IRStmt *st = bb_in->stmts[i];
      switch (st->tag) {
      case Ist_IMark:
         add_item(&n, IT_INSTR, st->Ist.IMark.addr, st->Ist.IMark.len);
         break;
      case Ist_WrTmp: {
         IRTemp dst = st->Ist.WrTmp.tmp;
         IRExpr *data = st->Ist.WrTmp.data;
         if (data->tag == Iex_Load) {
            access(sb, &n, base, &slot, IT_LOAD, sizeofIRType(data->Iex.Load.ty),
                   data->Iex.Load.addr, NULL);
            tags_tmp[dst] = is_int(data->Iex.Load.ty) ? slot_tag(slot) : NO_TAG;
         } else {
            tags_tmp[dst] = expr_tag(&rt, data, typeOfIRTemp(env, dst));
         }
         break;
      }
      case Ist_Put:
         tags_put(&rt, env, st->Ist.Put.offset, st->Ist.Put.data);
         break;
      case Ist_Store:
         access(sb, &n, base, &slot, IT_STORE,
                sizeofIRType(typeOfIRExpr(env, st->Ist.Store.data)), st->Ist.Store.addr, NULL);
         break;
      case Ist_LoadG: {
         /* its result: the load where the guard holds, else the
            alternative (a false guard leaves no load in the trace) */
         IRLoadG *lg = st->Ist.LoadG.details;
         IRType wide, narrow;
         typeOfIRLoadGOp(lg->cvt, &wide, &narrow);
         access(sb, &n, base, &slot, IT_LOAD_G, sizeofIRType(narrow), lg->addr, lg->guard);
         Tag t = tag_of(lg->alt);
         t.g = (UShort)slot;
         if (t.s > t.g)
            t.g = 0;
         tags_tmp[lg->dst] = is_int(wide) ? t : NO_TAG;
         break;
      }
      case Ist_StoreG: {
         IRStoreG *sg = st->Ist.StoreG.details;
         access(sb, &n, base, &slot, IT_STORE_G,
                sizeofIRType(typeOfIRExpr(env, sg->data)), sg->addr, sg->guard);
         break;
      }
      case Ist_CAS: {
         /* a load then a store; the old value is the load's */
         IRCAS *cas = st->Ist.CAS.details;
         UInt size = sizeofIRType(typeOfIRExpr(env, cas->dataLo)) * (cas->dataHi ? 2 : 1);
         access(sb, &n, base, &slot, IT_LOAD, size, cas->addr, NULL);
         Tag t = slot_tag(slot);
         access(sb, &n, base, &slot, IT_STORE, size, cas->addr, NULL);
         tags_tmp[cas->oldLo] = t;
         if (cas->oldHi != IRTemp_INVALID)
            tags_tmp[cas->oldHi] = t;
         break;
      }
      case Ist_LLSC: {
         /* load-linked: a load; store-conditional: a store whose success
            flag has no tag */
         IRTemp res = st->Ist.LLSC.result;
         Bool load = st->Ist.LLSC.storedata == NULL;
         IRType ty = load ? typeOfIRTemp(env, res) : typeOfIRExpr(env, st->Ist.LLSC.storedata);
         access(sb, &n, base, &slot, load ? IT_LOAD : IT_STORE, sizeofIRType(ty),
                st->Ist.LLSC.addr, NULL);
         tags_tmp[res] = load && is_int(ty) ? slot_tag(slot) : NO_TAG;
         break;
      }
      case Ist_Dirty: {
         /* Its result and the registers it writes: the load it makes, if
            it reads memory, else its arguments' most recent tag. */
         IRDirty *d = st->Ist.Dirty.details;
         Bool mem = d->mSize > 0 && d->mFx != Ifx_None;
         Tag t = NO_TAG;
         if (mem && (d->mFx == Ifx_Read || d->mFx == Ifx_Modify)) {
            access(sb, &n, base, &slot, IT_LOAD, d->mSize, d->mAddr, NULL);
            t = slot_tag(slot);
         } else {
            for (Int k = 0; d->args[k]; k++)
               t = tag_max(t, tag_of(d->args[k]));
         }
         if (mem && (d->mFx == Ifx_Write || d->mFx == Ifx_Modify))
            access(sb, &n, base, &slot, IT_STORE, d->mSize, d->mAddr, NULL);
         if (d->tmp != IRTemp_INVALID)
            tags_tmp[d->tmp] = is_int(typeOfIRTemp(env, d->tmp)) ? t : NO_TAG;
         tags_dirty_writes(&rt, d, t);
         break;
      }
      case Ist_Exit:
         put_exit(sb, base, n, slot, &rt);
         break;
      default:
         break;
      }
      addStmtToIRSB(sb, st);
   }
   put_exit(sb, base, n, slot, &rt);

   return sb;
}

/* ---------------- allocator brackets ---------------- */

typedef struct {
   UWord fn, site, level, inner_level;
} Frame;

#define MAX_DEPTH 32
static Frame frames[MAX_TID][MAX_DEPTH];
static UInt depth[MAX_TID];

static Bool is_python_fn(UWord fn)
{
   return fn >= MT_FN_PYOBJ_MALLOC && fn <= MT_FN_PYMEM_FREE;
}

/* Pops the frame a LEAVE request closes and tells which level served it. */
static Bool pop_frame(ThreadId tid, Frame *out)
{
   if (depth[tid] == 0)
      return False;
   *out = frames[tid][--depth[tid]];
   if (out->level == 0)
      out->level = out->inner_level ? out->inner_level
                 : is_python_fn(out->fn) ? MT_LEVEL_PYMALLOC : MT_LEVEL_UNKNOWN;
   if (depth[tid] > 0 && frames[tid][depth[tid] - 1].inner_level == 0)
      frames[tid][depth[tid] - 1].inner_level = out->level;
   return True;
}

static Bool handle_client_request(ThreadId tid, UWord *arg, UWord *ret)
{
   if (!VG_IS_TOOL_USERREQ('M', 'E', arg[0]))
      return False;
   *ret = 0;
   flush_events();
   Bool w = writing();
   if (w)
      sync_thread();
   Frame f;
   if (tid >= MAX_TID)
      tid = 0; /* brackets of such threads share slot 0 */
   switch (arg[0]) {
   case MEMENTO_REQ_ENTER:
      if (depth[tid] < MAX_DEPTH) {
         Frame *nf = &frames[tid][depth[tid]];
         nf->fn = arg[1];
         nf->site = depth[tid] > 0 ? frames[tid][0].site : arg[2];
         nf->level = arg[3];
         nf->inner_level = 0;
      }
      depth[tid]++;
      if (w)
         mt_alloc_enter(&enc, (mt_u8)arg[1]);
      break;
   case MEMENTO_REQ_LEAVE_ALLOC:
      if (depth[tid] > MAX_DEPTH) { depth[tid]--; break; }
      if (!pop_frame(tid, &f)) break;
      if (w) {
         mt_alloc(&enc, f.fn, f.level, arg[1], arg[2], arg[3], f.site);
         mt_simple(&enc, MT_OP_ALLOC_EXIT, 0, 0, 0, 0, 0);
      }
      break;
   case MEMENTO_REQ_LEAVE_FREE:
      if (depth[tid] > MAX_DEPTH) { depth[tid]--; break; }
      if (!pop_frame(tid, &f)) break;
      if (w) {
         mt_free(&enc, f.fn, f.level, arg[1], f.site);
         mt_simple(&enc, MT_OP_ALLOC_EXIT, 0, 0, 0, 0, 0);
      }
      break;
   case MEMENTO_REQ_LEAVE_REALLOC:
      if (depth[tid] > MAX_DEPTH) { depth[tid]--; break; }
      if (!pop_frame(tid, &f)) break;
      if (w) {
         mt_realloc(&enc, f.fn, f.level, arg[1], arg[2], arg[3], f.site);
         mt_simple(&enc, MT_OP_ALLOC_EXIT, 0, 0, 0, 0, 0);
      }
      break;
   case MEMENTO_REQ_ROI_BEGIN:
      roi_inside = True;
      if (!dead) {
         sync_thread();
         mt_simple(&enc, MT_OP_ROI_BEGIN, 0, 0, 0, 0, 0);
      }
      break;
   case MEMENTO_REQ_ROI_END:
      if (!dead) {
         sync_thread();
         mt_simple(&enc, MT_OP_ROI_END, 0, 0, 0, 0, 0);
      }
      roi_inside = False;
      break;
   case MEMENTO_REQ_INVOCATION_BEGIN:
   case MEMENTO_REQ_INVOCATION_END:
      if (!dead) {
         sync_thread();
         mt_simple(&enc, arg[0] == MEMENTO_REQ_INVOCATION_BEGIN ? MT_OP_INV_BEGIN
                                                               : MT_OP_INV_END,
                   1, arg[1], 0, 0, 0);
      }
      break;
   default:
      return False;
   }
   return True;
}

/* ---------------- syscalls, threads, fork ---------------- */

static ULong last_brk = 0;

static void pre_syscall(ThreadId tid, UInt no, UWord *args, UInt nargs)
{
   flush_events();
}

static void post_syscall(ThreadId tid, UInt no, UWord *a, UInt nargs, SysRes res)
{
   if (sr_isError(res))
      return;
   ULong r = sr_Res(res);
   if (no == __NR_brk) {
      if (last_brk != 0 && r != last_brk && writing()) {
         sync_thread();
         mt_simple(&enc, MT_OP_BRK, 2, last_brk, r, 0, 0);
      }
      last_brk = r;
      return;
   }
   if (!writing())
      return;
   switch (no) {
   case __NR_mmap:
      sync_thread();
      mt_simple(&enc, MT_OP_MMAP, 4, r, a[1], a[2] & 0xffffffffu, a[3] & 0xffffffffu);
      break;
   case __NR_munmap:
      sync_thread();
      mt_simple(&enc, MT_OP_MUNMAP, 2, a[0], a[1], 0, 0);
      break;
   case __NR_madvise:
      sync_thread();
      mt_simple(&enc, MT_OP_MADVISE, 3, a[0], a[1], a[2] & 0xffffffffu, 0);
      break;
   case __NR_mremap:
      sync_thread();
      mt_simple(&enc, MT_OP_MREMAP, 4, a[0], a[1], r, a[2]);
      break;
   default:
      break;
   }
}

static void start_client_code(ThreadId tid, ULong blocks)
{
   if (tid != cur_tid) {
      flush_events();
      cur_tid = tid;
   }
}

/* The core wrote a register (a syscall's or client request's result, a
   signal frame): its value comes from no load the trace has. The records
   before it leave their tags first. */
static void post_reg_write(CorePart part, ThreadId tid, PtrdiffT off, SizeT size)
{
   if (evbuf == NULL)
      return;
   flush_events();
   RecThread *t = rec_thread(tid);
   for (Int r = 0; r < N_GPR; r++) {
      PtrdiffT lo = GPR_LO + 8 * r;
      if (off < lo + 8 && off + (PtrdiffT)size > lo)
         t->reg[r] = 0;
   }
}

/* A new thread (perhaps with the id of one that exited): its registers
   come from no load of its own stream. */
static void thread_created(ThreadId parent, ThreadId child)
{
   if (evbuf == NULL)
      return;
   flush_events();
   RecThread *t = rec_thread(child);
   for (Int r = 0; r < N_GPR; r++)
      t->reg[r] = 0;
}

static void fork_child(ThreadId tid)
{
   /* the child must not write into the parent's file */
   evptr = evbuf;
   dead = True;
   VG_(close)(out_fd);
   out_fd = -1;
}

/* ---------------- start and end ---------------- */

static void post_clo_init(void)
{
   if (clo_out == NULL) {
      VG_(fmsg)("memento: --out=FILE is required\n");
      VG_(exit)(1);
   }
   /* %p becomes the pid: each traced process of a tree writes its own file */
   clo_out = VG_(expand_file_name)("--out", clo_out);
   SysRes r = VG_(open)(clo_out, VKI_O_CREAT | VKI_O_WRONLY | VKI_O_TRUNC, 0644);
   if (sr_isError(r)) {
      VG_(fmsg)("memento: cannot create %s\n", clo_out);
      VG_(exit)(1);
   }
   out_fd = sr_Res(r);
   encode_records = mt_records_best();
   evbuf = VG_(malloc)("memento.evbuf", BUF_SLOTS * sizeof(ULong));
   evptr = evbuf;
   mt_init(&enc, write_fd, NULL, MT_FLAG_DEPENDENCES, VKI_PAGE_SIZE,
           VG_(strtoull10)(clo_time_ns, NULL), "memento-capture 0.1 (valgrind)",
           clo_workload, clo_runtime, clo_cmdline);
}

static mt_u8 meta[1 << 20];

static void write_metadata(void)
{
   mt_u8 *p = meta;
   UInt count = 0;
   for (UInt t = 0; t < MAX_TID; t++)
      if (tid_seen[t]) {
         p = mt_meta_thread(p, t, t == 1 ? "main" : "");
         count++;
      }
   Addr starts[4096];
   Int n = VG_(am_get_segment_starts)(SkFileC, starts, 4096);
   for (Int k = 0; k < n; k++) {
      NSegment const *seg = VG_(am_find_nsegment)(starts[k]);
      if (seg == NULL || !seg->hasX)
         continue;
      const HChar *name = VG_(am_get_filename)(seg);
      if (name == NULL || p - meta > (long)sizeof meta - 8192)
         continue;
      p = mt_meta_module(p, seg->start, seg->end - seg->start + 1, seg->offset, name);
      count++;
   }
   mt_metadata(&enc, meta, (mt_u32)(p - meta), count);
}

static void fini(Int exitcode)
{
   if (dead)
      return;
   flush_events();
   write_metadata();
   VG_(close)(out_fd);
   if (enc.failed) {
      VG_(umsg)("memento: error: writing %s failed (disk full?); trace removed\n", clo_out);
      VG_(unlink)(clo_out);
   }
}

static void pre_clo_init(void)
{
   VG_(details_name)("memento");
   VG_(details_version)("0.1");
   VG_(details_description)("Memento trace capture");
   VG_(details_copyright_author)("the Memento authors");
   VG_(details_bug_reports_to)("the Memento repository");
   VG_(details_avg_translation_sizeB)(400);

   VG_(basic_tool_funcs)(post_clo_init, instrument, fini);
   VG_(needs_command_line_options)(process_cmd_line_option, print_usage,
                                   print_debug_usage);
   VG_(needs_client_requests)(handle_client_request);
   VG_(needs_syscall_wrapper)(pre_syscall, post_syscall);
   VG_(track_start_client_code)(start_client_code);
   VG_(track_post_reg_write)(post_reg_write);
   VG_(track_pre_thread_ll_create)(thread_created);
   VG_(atfork)(NULL, NULL, fork_child);
}

VG_DETERMINE_INTERFACE_VERSION(pre_clo_init)
