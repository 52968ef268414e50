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
 * Dependences: the generated code also keeps, beside each value, which
 * load it was last computed from (its tag, see "load tags" below); each
 * access's program names the load its address came from, and the encoder,
 * numbering the loads it writes, writes the distance to it as a
 * dependence event. */

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

/* IT_TAG: a slot holding a tag base (records.h, P_TAG), not an event */
enum { IT_INSTR, IT_LOAD, IT_STORE, IT_LOAD_G, IT_STORE_G, IT_TAG };

typedef struct {
   Addr addr;     /* instructions: address */
   UInt size;     /* instructions: length; accesses: bytes */
   UInt kind;
   UInt ref;      /* accesses: dependence reference (records.h), 0 for none */
} Item;

#define BUF_SLOTS (1u << 17)
static ULong *evbuf;
/* Next free slot. Generated code loads and stores it directly. */
static ULong *evptr;
/* The position of a slot (records.h) is its address + slot_delta, which
   grows at each flush by what the buffer held: positions only increase.
   Generated code reads it at a superblock's start. */
static ULong slot_delta;

/* The encoder's numbering of each thread's loads (records.h), and its
   number of the load in each slot of the buffer. */
static RecThread *rec_threads[MAX_TID];
static UInt *loadno;

/* The fastest record loop the CPU has (chosen in post_clo_init). */
static void (*encode_records)(mt_enc *, const mt_u64 *, const mt_u64 *, RecDeps *) =
   mt_records_plain;

/* Encodes (or, outside the ROI, drops) everything in the event buffer. */
static void flush_events(void)
{
   const ULong *r = evbuf, *stop = evptr;
   ULong delta = slot_delta;
   evptr = evbuf;
   slot_delta += (ULong)((const char *)stop - (const char *)evbuf);
   if (r == stop || !writing())
      return;
   sync_thread();
   UInt t = cur_tid % MAX_TID;
   if (rec_threads[t] == NULL) {
      rec_threads[t] = VG_(malloc)("memento.rec_thread", sizeof(RecThread));
      VG_(memset)(rec_threads[t], 0, sizeof(RecThread));
   }
   RecDeps dp = { evbuf, delta, loadno, rec_threads[t] };
   encode_records(&enc, r, stop, &dp);
}

static VG_REGPARM(0) void flush_helper(void)
{
   flush_events();
}

/* ---------------- instrumentation ---------------- */

static Item scratch[MAX_ITEMS];
/* the longest op per item is P_BLOCK: 1 + 1 + 13 bytes */
static UChar code_scratch[MAX_ITEMS * 18 + 1];

/* The op of an access or tag base item. */
static UChar *code_item(UChar *c, const Item *m)
{
   if (m->kind == IT_TAG) {
      *c++ = P_TAG;
      return c;
   }
   Bool store = m->kind == IT_STORE || m->kind == IT_STORE_G;
   UInt flags = (m->kind == IT_LOAD_G || m->kind == IT_STORE_G ? P_GUARDED : 0)
                | (m->ref ? P_REF : 0);
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
   if (m->ref) {
      *c++ = (UChar)m->ref;
      *c++ = (UChar)(m->ref >> 8);
   }
   return c;
}

/* The program of an exit after the first `done` items (`slots` addresses):
   for each run of contiguous instructions (at most 64) a block event, then
   the accesses of those instructions. */
static const Prog *compile(UInt done, UInt slots)
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
         c = code_item(c, it);
         events += it->kind != IT_TAG;
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
            c = code_item(c, &scratch[i]);
            events += scratch[i].kind != IT_TAG;
         }
   }
   *c++ = P_END;
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
static void put_exit(IRSB *sb, IRTemp base, UInt items, UInt slots)
{
   const Prog *g = compile(items, slots);
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
   scratch[*n].ref = 0;
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

   A value's tag names the most recent load it was computed from, by the
   position of that load's slot in the event buffer (records.h: the slot's
   address + slot_delta; positions only increase, 0 is none). Tags go with
   the values: through IR temporaries (an operation's result gets the
   largest tag of its operands) and through the 16 integer registers,
   whose tags are kept, 8 bytes each, in Valgrind's first shadow guest
   state (the register's offset + total_sizeB, per thread, where memcheck
   keeps its V bits). Memory is not tracked: a value reloaded from memory
   has the tag of that reload.

   Most of it costs nothing at run time. Within a superblock a load's tag
   is static (its slot in the record), and a register's tag read at the
   superblock's start is older than all of them, so the larger of the two
   is known at translation time; only two run-time tags are compared by
   the generated code (a compare and a conditional move). An access does
   not compute its distance: its program names its producer (records.h),
   by its slot in the record or by a tag base (a run-time tag, stored once
   into the record), and the encoder, which numbers the loads it writes,
   turns that into the distance. So the numbers are those of the loads the
   trace has, by construction. */

/* The integer registers RAX..R15, 8 bytes each, contiguous. */
#define GPR_LO ((Int)offsetof(VexGuestAMD64State, guest_RAX))
#define GPR_HI ((Int)offsetof(VexGuestAMD64State, guest_R15) + 8)
#define GPR_RSP ((Int)offsetof(VexGuestAMD64State, guest_RSP))
#define N_GPR 16

#define N_NUMS 256

/* A tag at translation time: none (dyn NULL, c 0); a load of this
   superblock, the one in slot c of the record (dyn NULL, c > 0); or a
   run-time value (dyn, an I64 atom), `old` when it is known to be older
   than the superblock's loads (read from the registers). */
typedef struct {
   IRExpr *dyn;
   UInt c;
   Bool old;
} Tag;

static const Tag NO_TAG = { NULL, 0, False };

typedef struct {
   IRSB *sb;
   Int shadow;          /* offset of shadow guest state 1 (total_sizeB) */
   Bool record;         /* False: tags only (loads not recorded, not counted) */
   Tag *tmp;            /* tag of each of the input's temporaries */
   Bool *needed;        /* whether that tag is used */
   Int ntmp;
   Tag reg[N_GPR];      /* tag of each register here */
   UInt known;          /* reg[r] is valid */
   UInt dirty;          /* reg[r] is not yet in the shadow state */
   IRExpr *base;        /* the record's address (evptr at the start) */
   IRExpr *delta;       /* slot_delta at the start */
   IRExpr *pos0;        /* base + delta, once computed */
   /* run-time tags already stored as tag bases: atom and reference */
   IRTemp based[REC_MAX_TAGS];
   UInt nbased;
   /* the position of slot c, once computed, for c < N_NUMS */
   IRExpr *num[N_NUMS];
} Tags;

static Tags tags;
static Tag *tags_tmp;
static Bool *tags_needed;
static Int tags_cap;

static IRExpr *mk64(ULong v)
{
   return IRExpr_Const(IRConst_U64(v));
}

static IRExpr *assign(IRSB *sb, IRType ty, IRExpr *e)
{
   IRTemp t = newIRTemp(sb->tyenv, ty);
   addStmtToIRSB(sb, IRStmt_WrTmp(t, e));
   return IRExpr_RdTmp(t);
}

static Bool same_tag(Tag a, Tag b)
{
   if (a.dyn == NULL || b.dyn == NULL)
      return a.dyn == b.dyn && a.c == b.c;
   return a.dyn == b.dyn || (a.dyn->tag == Iex_RdTmp && b.dyn->tag == Iex_RdTmp
                             && a.dyn->Iex.RdTmp.tmp == b.dyn->Iex.RdTmp.tmp);
}

static Bool is_int(IRType ty)
{
   return ty >= Ity_I1 && ty <= Ity_I128;
}

/* The position of slot c of the record (slot c is at base + 8 c). */
static IRExpr *position(Tags *g, UInt c)
{
   if (c < N_NUMS && g->num[c] != NULL)
      return g->num[c];
   if (g->pos0 == NULL)
      g->pos0 = assign(g->sb, Ity_I64, IRExpr_Binop(Iop_Add64, g->base, g->delta));
   IRExpr *v = assign(g->sb, Ity_I64, IRExpr_Binop(Iop_Add64, g->pos0, mk64(8ull * c)));
   if (c < N_NUMS)
      g->num[c] = v;
   return v;
}

/* The tag as a run-time value (NULL for none). */
static IRExpr *tag_value(Tags *g, Tag t)
{
   if (t.dyn != NULL || t.c == 0)
      return t.dyn;
   return position(g, t.c);
}

static Tag dyn_tag(IRExpr *e, Bool old)
{
   Tag t = { e, 0, old };
   return t;
}

/* The tag of an atom of the input (constants have none). */
static Tag tag_of(Tags *g, IRExpr *atom)
{
   if (atom == NULL || atom->tag != Iex_RdTmp || (Int)atom->Iex.RdTmp.tmp >= g->ntmp)
      return NO_TAG;
   return g->tmp[atom->Iex.RdTmp.tmp];
}

/* The more recent of two tags. */
static Tag tag_max(Tags *g, Tag a, Tag b)
{
   if (a.dyn == NULL && a.c == 0)
      return b;
   if ((b.dyn == NULL && b.c == 0) || same_tag(a, b))
      return a;
   if (a.dyn == NULL && b.dyn == NULL)
      return a.c > b.c ? a : b;
   if (a.dyn == NULL && b.old)
      return a;
   if (b.dyn == NULL && a.old)
      return b;
   IRExpr *x = tag_value(g, a), *y = tag_value(g, b);
   IRExpr *lt = assign(g->sb, Ity_I1, IRExpr_Binop(Iop_CmpLT64U, x, y));
   return dyn_tag(assign(g->sb, Ity_I64, IRExpr_ITE(lt, y, x)), a.old && b.old);
}

/* The register a guest state access of `size` bytes at `off` falls in, or -1. */
static Int gpr_of(Int off, Int size)
{
   if (off < GPR_LO || off + size > GPR_HI)
      return -1;
   Int r = (off - GPR_LO) / 8;
   return (off + size - 1 - GPR_LO) / 8 == r ? r : -1;
}

static Tag reg_tag(Tags *g, Int r)
{
   if (!(g->known >> r & 1)) {
      g->reg[r] = dyn_tag(assign(g->sb, Ity_I64,
                                 IRExpr_Get(g->shadow + GPR_LO + 8 * r, Ity_I64)), True);
      g->known |= 1u << r;
   }
   return g->reg[r];
}

static void set_reg(Tags *g, Int r, Tag t)
{
   if ((g->known >> r & 1) && same_tag(g->reg[r], t))
      return;
   g->reg[r] = t;
   g->known |= 1u << r;
   g->dirty |= 1u << r;
}

/* The tag of the load just given a slot (slot numbers count from 1). */
static Tag load_tag(UInt slot)
{
   Tag t = { NULL, slot, False };
   return t;
}

/* Before the superblock may leave: the register tags into the shadow
   state (a side exit's writes are right whether or not it is taken: they
   hold the values at that point). */
static void tags_exit(Tags *g)
{
   for (Int r = 0; r < N_GPR; r++)
      if (g->dirty >> r & 1) {
         IRExpr *v = tag_value(g, g->reg[r]);
         addStmtToIRSB(g->sb, IRStmt_Put(g->shadow + GPR_LO + 8 * r, v ? v : mk64(0)));
      }
   g->dirty = 0;
}

/* The tag of a (flat) expression other than a load. Values that are not
   integers (floating point, vectors) carry none. */
static Tag expr_tag(Tags *g, IRExpr *e, IRType ty)
{
   if (!is_int(ty))
      return NO_TAG;
   switch (e->tag) {
   case Iex_Get: {
      Int r = gpr_of(e->Iex.Get.offset, sizeofIRType(e->Iex.Get.ty));
      return r < 0 ? NO_TAG : reg_tag(g, r);
   }
   case Iex_RdTmp:
      return tag_of(g, e);
   case Iex_Unop:
      return tag_of(g, e->Iex.Unop.arg);
   case Iex_Binop:
      return tag_max(g, tag_of(g, e->Iex.Binop.arg1), tag_of(g, e->Iex.Binop.arg2));
   case Iex_Triop: {
      IRTriop *t = e->Iex.Triop.details;
      return tag_max(g, tag_max(g, tag_of(g, t->arg1), tag_of(g, t->arg2)),
                     tag_of(g, t->arg3));
   }
   case Iex_Qop: {
      IRQop *q = e->Iex.Qop.details;
      return tag_max(g, tag_max(g, tag_of(g, q->arg1), tag_of(g, q->arg2)),
                     tag_max(g, tag_of(g, q->arg3), tag_of(g, q->arg4)));
   }
   case Iex_ITE:
      return tag_max(g, tag_of(g, e->Iex.ITE.cond),
                     tag_max(g, tag_of(g, e->Iex.ITE.iftrue), tag_of(g, e->Iex.ITE.iffalse)));
   case Iex_CCall: {
      Tag m = NO_TAG;
      for (Int i = 0; e->Iex.CCall.args[i]; i++)
         m = tag_max(g, m, tag_of(g, e->Iex.CCall.args[i]));
      return m;
   }
   default: /* Const, GetI (x87 registers) */
      return NO_TAG;
   }
}

/* A PUT of `data` to the guest state. A write of fewer than 8 bytes (AL,
   AH, AX) keeps the rest of the register: the older tag may still count.
   The wrappers' code (tags only) keeps the stack pointer's tag: it aligns
   the stack around the real call and puts back the stack pointer from a
   register the allocator saved and restored, which would otherwise pass
   the tag of the allocator's restoring load to every later stack access
   of the program. */
static void tags_put(Tags *g, Int off, IRExpr *data)
{
   IRType ty = typeOfIRExpr(g->sb->tyenv, data);
   Int size = sizeofIRType(ty);
   Int r = gpr_of(off, size);
   if (r < 0 || (!g->record && off == GPR_RSP))
      return;
   Tag t = is_int(ty) ? tag_of(g, data) : NO_TAG;
   set_reg(g, r, size == 8 ? t : tag_max(g, reg_tag(g, r), t));
}

/* A dirty helper's writes to the registers: they get `t` where the
   helper runs (its guard holds), else keep theirs. */
static void tags_dirty_writes(Tags *g, IRDirty *d, Tag t)
{
   Bool always = d->guard->tag == Iex_Const && d->guard->Iex.Const.con->Ico.U1;
   for (Int i = 0; i < d->nFxState; i++) {
      if (d->fxState[i].fx == Ifx_Read)
         continue;
      for (Int j = 0; j <= d->fxState[i].nRepeats; j++) {
         Int lo = d->fxState[i].offset + j * d->fxState[i].repeatLen;
         Int hi = lo + d->fxState[i].size;
         for (Int r = 0; r < N_GPR; r++) {
            Int rlo = GPR_LO + 8 * r;
            if (hi <= rlo || lo >= rlo + 8)
               continue;
            Tag old = reg_tag(g, r), n = t;
            if (!always && !same_tag(old, t)) {
               IRExpr *x = tag_value(g, t), *y = tag_value(g, old);
               n = dyn_tag(assign(g->sb, Ity_I64, IRExpr_ITE(d->guard, x ? x : mk64(0),
                                                            y ? y : mk64(0))),
                           (t.dyn != NULL || t.c == 0) && t.old && old.old);
            }
            set_reg(g, r, n);
         }
      }
   }
}

/* Which temporaries' tags are used: by an access's address, a register
   write, or another used tag. One pass backwards over the superblock. */
static void find_needed(Tags *g, IRSB *bb)
{
#define NEED(a) do { IRExpr *a_ = (a); \
      if (a_ && a_->tag == Iex_RdTmp) g->needed[a_->Iex.RdTmp.tmp] = True; } while (0)
   for (Int i = bb->stmts_used - 1; i >= 0; i--) {
      IRStmt *st = bb->stmts[i];
      switch (st->tag) {
      case Ist_WrTmp: {
         IRExpr *e = st->Ist.WrTmp.data;
         if (e->tag == Iex_Load) {
            NEED(e->Iex.Load.addr);
            break;
         }
         if (!g->needed[st->Ist.WrTmp.tmp])
            break;
         switch (e->tag) {
         case Iex_RdTmp: NEED(e); break;
         case Iex_Unop: NEED(e->Iex.Unop.arg); break;
         case Iex_Binop: NEED(e->Iex.Binop.arg1); NEED(e->Iex.Binop.arg2); break;
         case Iex_Triop: NEED(e->Iex.Triop.details->arg1); NEED(e->Iex.Triop.details->arg2);
                         NEED(e->Iex.Triop.details->arg3); break;
         case Iex_Qop: NEED(e->Iex.Qop.details->arg1); NEED(e->Iex.Qop.details->arg2);
                       NEED(e->Iex.Qop.details->arg3); NEED(e->Iex.Qop.details->arg4); break;
         case Iex_ITE: NEED(e->Iex.ITE.cond); NEED(e->Iex.ITE.iftrue);
                       NEED(e->Iex.ITE.iffalse); break;
         case Iex_CCall:
            for (Int k = 0; e->Iex.CCall.args[k]; k++)
               NEED(e->Iex.CCall.args[k]);
            break;
         default: break;
         }
         break;
      }
      case Ist_Put:
         if (gpr_of(st->Ist.Put.offset,
                    sizeofIRType(typeOfIRExpr(bb->tyenv, st->Ist.Put.data))) >= 0)
            NEED(st->Ist.Put.data);
         break;
      case Ist_Store: NEED(st->Ist.Store.addr); break;
      case Ist_StoreG: NEED(st->Ist.StoreG.details->addr); break;
      case Ist_LoadG:
         NEED(st->Ist.LoadG.details->addr);
         if (g->needed[st->Ist.LoadG.details->dst])
            NEED(st->Ist.LoadG.details->alt);
         break;
      case Ist_CAS: NEED(st->Ist.CAS.details->addr); break;
      case Ist_LLSC: NEED(st->Ist.LLSC.addr); break;
      case Ist_Dirty: {
         IRDirty *d = st->Ist.Dirty.details;
         if (d->mSize > 0 && d->mFx != Ifx_None)
            NEED(d->mAddr);
         for (Int k = 0; d->args[k]; k++)
            NEED(d->args[k]);
         break;
      }
      default:
         break;
      }
   }
#undef NEED
}

/* The dependence reference of an access at `addr` (records.h), storing
   the tag base of a run-time tag first if the record has not got it. */
static UInt access_ref(Tags *g, UInt *n, IRTemp base, UInt *slot, IRExpr *addr)
{
   Tag t = tag_of(g, addr);
   if (!g->record || (t.dyn == NULL && t.c == 0))
      return 0;
   if (t.dyn == NULL)
      return t.c < REC_REF_TAG ? t.c : 0;
   if (t.dyn->tag != Iex_RdTmp)
      return 0;
   IRTemp tt = t.dyn->Iex.RdTmp.tmp;
   for (UInt i = 0; i < g->nbased; i++)
      if (g->based[i] == tt)
         return REC_REF_TAG | i;
   if (g->nbased >= REC_MAX_TAGS)
      return 0;
   g->based[g->nbased] = tt;
   add_item(n, IT_TAG, 0, 0);
   put_addr(g->sb, base, slot, t.dyn, NULL);
   return REC_REF_TAG | g->nbased++;
}

/* Records an access item with its dependence reference and address. */
static void access(Tags *g, UInt *n, IRTemp base, UInt *slot, UInt kind, UInt size,
                   IRExpr *addr, IRExpr *guard)
{
   UInt ref = access_ref(g, n, base, slot, addr);
   add_item(n, kind, 0, size);
   scratch[*n - 1].ref = ref;
   put_addr(g->sb, base, slot, addr, guard);
}

static IRSB *instrument(VgCallbackClosure *closure, IRSB *bb_in,
                        const VexGuestLayout *layout,
                        const VexGuestExtents *vge,
                        const VexArchInfo *archinfo_host,
                        IRType gWordTy, IRType hWordTy)
{
   Int i = 0;
   UInt accesses = 0;
   for (Int k = 0; k < bb_in->stmts_used; k++)
      accesses += slots_of(bb_in->stmts[k]);
   /* each access may need a tag base too */
   UInt max_slots = 2 * accesses;
   /* The wrappers' own code is not recorded, but keeps the register tags
      right (its loads give none). */
   Bool record = !in_own_preload(vge->base[0]) && max_slots + 2 <= BUF_SLOTS / 4;

   IRSB *sb = deepCopyIRSBExceptStmts(bb_in);
   for (; i < bb_in->stmts_used && bb_in->stmts[i]->tag != Ist_IMark; i++)
      addStmtToIRSB(sb, bb_in->stmts[i]);

   Tags *g = &tags;
   g->sb = sb;
   g->shadow = layout->total_sizeB;
   g->record = record;
   g->ntmp = bb_in->tyenv->types_used;
   if (g->ntmp > tags_cap) {
      if (tags_cap > 0) {
         VG_(free)(tags_tmp);
         VG_(free)(tags_needed);
      }
      tags_cap = 2 * g->ntmp;
      tags_tmp = VG_(malloc)("memento.tags", tags_cap * sizeof(Tag));
      tags_needed = VG_(malloc)("memento.tags", tags_cap * sizeof(Bool));
   }
   g->tmp = tags_tmp;
   g->needed = tags_needed;
   for (Int k = 0; k < g->ntmp; k++) {
      g->tmp[k] = NO_TAG;
      g->needed[k] = False;
   }
   g->known = g->dirty = 0;
   g->base = g->delta = g->pos0 = NULL;
   g->nbased = 0;
   for (Int k = 0; k < N_NUMS; k++)
      g->num[k] = NULL;
   find_needed(g, bb_in);

   IRTemp base = IRTemp_INVALID;
   if (record) {
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
      base = newIRTemp(sb->tyenv, Ity_I64);
      addStmtToIRSB(sb, IRStmt_WrTmp(base, IRExpr_Load(Iend_LE, Ity_I64,
                                      IRExpr_Const(IRConst_U64((HWord)&evptr)))));
      g->base = IRExpr_RdTmp(base);
      if (accesses > 0)
         g->delta = assign(sb, Ity_I64, IRExpr_Load(Iend_LE, Ity_I64,
                                                    mk64((HWord)&slot_delta)));
   }

   UInt n = 0, slot = 0;
   IRTypeEnv *env = bb_in->tyenv;
   for (; i < bb_in->stmts_used; i++) {
      IRStmt *st = bb_in->stmts[i];
      switch (st->tag) {
      case Ist_IMark:
         if (record)
            add_item(&n, IT_INSTR, st->Ist.IMark.addr, st->Ist.IMark.len);
         break;
      case Ist_WrTmp: {
         IRTemp dst = st->Ist.WrTmp.tmp;
         IRExpr *data = st->Ist.WrTmp.data;
         if (data->tag != Iex_Load) {
            if (g->needed[dst])
               g->tmp[dst] = expr_tag(g, data, typeOfIRTemp(env, dst));
         } else if (record) {
            access(g, &n, base, &slot, IT_LOAD, sizeofIRType(data->Iex.Load.ty),
                   data->Iex.Load.addr, NULL);
            if (is_int(data->Iex.Load.ty))
               g->tmp[dst] = load_tag(slot);
         }
         break;
      }
      case Ist_Put:
         tags_put(g, st->Ist.Put.offset, st->Ist.Put.data);
         break;
      case Ist_Store:
         if (record)
            access(g, &n, base, &slot, IT_STORE,
                   sizeofIRType(typeOfIRExpr(env, st->Ist.Store.data)),
                   st->Ist.Store.addr, NULL);
         break;
      case Ist_LoadG: {
         /* its result: the load's tag where the guard holds, else the
            alternative's (a false guard leaves no load in the trace) */
         IRLoadG *lg = st->Ist.LoadG.details;
         Tag alt = tag_of(g, lg->alt);
         if (!record) {
            g->tmp[lg->dst] = alt;
            break;
         }
         IRType wide, narrow;
         typeOfIRLoadGOp(lg->cvt, &wide, &narrow);
         access(g, &n, base, &slot, IT_LOAD_G, sizeofIRType(narrow), lg->addr, lg->guard);
         if (is_int(wide)) {
            IRExpr *a = tag_value(g, alt);
            g->tmp[lg->dst] = dyn_tag(assign(sb, Ity_I64,
                                             IRExpr_ITE(lg->guard, position(g, slot),
                                                        a ? a : mk64(0))),
                                      False);
         }
         break;
      }
      case Ist_StoreG: {
         IRStoreG *sg = st->Ist.StoreG.details;
         if (record)
            access(g, &n, base, &slot, IT_STORE_G,
                   sizeofIRType(typeOfIRExpr(env, sg->data)), sg->addr, sg->guard);
         break;
      }
      case Ist_CAS: {
         /* a load then a store; the old value is the load's */
         IRCAS *cas = st->Ist.CAS.details;
         Tag t = NO_TAG;
         if (record) {
            UInt size = sizeofIRType(typeOfIRExpr(env, cas->dataLo)) * (cas->dataHi ? 2 : 1);
            access(g, &n, base, &slot, IT_LOAD, size, cas->addr, NULL);
            t = load_tag(slot);
            access(g, &n, base, &slot, IT_STORE, size, cas->addr, NULL);
         }
         g->tmp[cas->oldLo] = t;
         if (cas->oldHi != IRTemp_INVALID)
            g->tmp[cas->oldHi] = t;
         break;
      }
      case Ist_LLSC: {
         /* load-linked: a load; store-conditional: a store whose success
            flag has no tag */
         IRTemp res = st->Ist.LLSC.result;
         Bool load = st->Ist.LLSC.storedata == NULL;
         g->tmp[res] = NO_TAG;
         if (!record)
            break;
         IRType ty = load ? typeOfIRTemp(env, res) : typeOfIRExpr(env, st->Ist.LLSC.storedata);
         access(g, &n, base, &slot, load ? IT_LOAD : IT_STORE, sizeofIRType(ty),
                st->Ist.LLSC.addr, NULL);
         if (load && is_int(ty))
            g->tmp[res] = load_tag(slot);
         break;
      }
      case Ist_Dirty: {
         /* Its result and the registers it writes: the tag of the load it
            makes, if it reads memory, else its arguments' tag. */
         IRDirty *d = st->Ist.Dirty.details;
         Bool mem = d->mSize > 0 && d->mFx != Ifx_None;
         Bool reads = mem && (d->mFx == Ifx_Read || d->mFx == Ifx_Modify);
         Bool writes = mem && (d->mFx == Ifx_Write || d->mFx == Ifx_Modify);
         Tag t = NO_TAG;
         if (!reads)
            for (Int k = 0; d->args[k]; k++)
               t = tag_max(g, t, tag_of(g, d->args[k]));
         if (record && reads) {
            access(g, &n, base, &slot, IT_LOAD, d->mSize, d->mAddr, NULL);
            t = load_tag(slot);
         }
         if (record && writes)
            access(g, &n, base, &slot, IT_STORE, d->mSize, d->mAddr, NULL);
         if (d->tmp != IRTemp_INVALID)
            g->tmp[d->tmp] = is_int(typeOfIRTemp(env, d->tmp)) ? t : NO_TAG;
         tags_dirty_writes(g, d, t);
         break;
      }
      case Ist_Exit:
         tags_exit(g);
         if (record)
            put_exit(sb, base, n, slot);
         break;
      default:
         break;
      }
      addStmtToIRSB(sb, st);
   }
   tags_exit(g);
   if (record)
      put_exit(sb, base, n, slot);

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

/* The core wrote a register (a syscall's result, a client request's,
   a signal frame's stack pointer and arguments): its value comes from no
   load this tool saw. */
static void post_reg_write(CorePart part, ThreadId tid, PtrdiffT off, SizeT size)
{
   static const UChar zero[8];
   for (Int r = 0; r < N_GPR; r++) {
      PtrdiffT lo = GPR_LO + 8 * r;
      if (off < lo + 8 && off + (PtrdiffT)size > lo)
         VG_(set_shadow_regs_area)(tid, 1, lo, 8, zero);
   }
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
   loadno = VG_(malloc)("memento.loadno", BUF_SLOTS * sizeof(UInt));
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
   VG_(atfork)(NULL, NULL, fork_child);
}

VG_DETERMINE_INTERFACE_VERSION(pre_clo_init)
