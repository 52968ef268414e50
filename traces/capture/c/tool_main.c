/* memento: a Valgrind tool that writes the Memento binary trace.
 *
 * Instrumentation does not call a helper per access (Lackey's cost): the
 * generated code of a superblock stores only the access addresses into a
 * record of an event buffer, and as it leaves (at its end or at a side
 * exit) the address of that exit's program: the events of everything that
 * ran, encoded at translation time as far as they can be (records.h). The
 * buffer is encoded to the trace when full, and before any event that must
 * be ordered after the accesses (client requests, syscalls, thread
 * switches, exit). */

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

/* A superblock record is encoded without a per-event room check: at most
   MAX_ITEMS events of at most 22 bytes each, and 8-byte copies past them. */
#define MAX_ITEMS 4096
#define MT_SLACK (MAX_ITEMS * 22u + 64u)
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

typedef struct {
   Addr addr;     /* instructions: address */
   UInt size;     /* instructions: length; accesses: bytes */
   UInt kind;
} Item;

#define BUF_SLOTS (1u << 17)
static ULong *evbuf;
/* Next free slot. Generated code loads and stores it directly. */
static ULong *evptr;

/* The fastest record loop the CPU has (chosen in post_clo_init). */
static void (*encode_records)(mt_enc *, const mt_u64 *, const mt_u64 *) = mt_records_plain;

/* Encodes (or, outside the ROI, drops) everything in the event buffer. */
static void flush_events(void)
{
   const ULong *r = evbuf, *stop = evptr;
   evptr = evbuf;
   if (r == stop || !writing())
      return;
   sync_thread();
   encode_records(&enc, r, stop);
}

static VG_REGPARM(0) void flush_helper(void)
{
   flush_events();
}

/* ---------------- instrumentation ---------------- */

static Item scratch[MAX_ITEMS];
/* the longest op per item is P_BLOCK: 1 + 1 + 13 bytes */
static UChar code_scratch[MAX_ITEMS * 18 + 1];

static UChar *code_access(UChar *c, const Item *m)
{
   Bool store = m->kind == IT_STORE || m->kind == IT_STORE_G;
   Bool guarded = m->kind == IT_LOAD_G || m->kind == IT_STORE_G;
   UInt sz = m->size;
   if (sz == 1 || sz == 2 || sz == 4 || sz == 8) {
      UInt code = sz == 1 ? 0 : sz == 2 ? 1 : sz == 4 ? 2 : 3;
      *c++ = (UChar)(MT_OP_MEM | (store ? MT_OP_MEM_STORE : 0) | (code << 4) | guarded);
   } else {
      *c++ = P_EXT;
      *c++ = guarded;
      *c++ = store ? MT_OP_STORE_EXT : MT_OP_LOAD_EXT;
      wr64(c, sz);
      c += 8;
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
   if (in_own_preload(vge->base[0]) || max_slots + 2 > BUF_SLOTS / 4)
      return bb_in;

   IRSB *sb = deepCopyIRSBExceptStmts(bb_in);
   for (; i < bb_in->stmts_used && bb_in->stmts[i]->tag != Ist_IMark; i++)
      addStmtToIRSB(sb, bb_in->stmts[i]);

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
      case Ist_WrTmp:
         if (st->Ist.WrTmp.data->tag == Iex_Load) {
            IRExpr *ld = st->Ist.WrTmp.data;
            add_item(&n, IT_LOAD, 0, sizeofIRType(ld->Iex.Load.ty));
            put_addr(sb, base, &slot, ld->Iex.Load.addr, NULL);
         }
         break;
      case Ist_Store: {
         IRType ty = typeOfIRExpr(env, st->Ist.Store.data);
         add_item(&n, IT_STORE, 0, sizeofIRType(ty));
         put_addr(sb, base, &slot, st->Ist.Store.addr, NULL);
         break;
      }
      case Ist_LoadG: {
         IRLoadG *lg = st->Ist.LoadG.details;
         IRType wide, narrow;
         typeOfIRLoadGOp(lg->cvt, &wide, &narrow);
         add_item(&n, IT_LOAD_G, 0, sizeofIRType(narrow));
         put_addr(sb, base, &slot, lg->addr, lg->guard);
         break;
      }
      case Ist_StoreG: {
         IRStoreG *sg = st->Ist.StoreG.details;
         add_item(&n, IT_STORE_G, 0, sizeofIRType(typeOfIRExpr(env, sg->data)));
         put_addr(sb, base, &slot, sg->addr, sg->guard);
         break;
      }
      case Ist_CAS: {
         IRCAS *cas = st->Ist.CAS.details;
         UInt size = sizeofIRType(typeOfIRExpr(env, cas->dataLo)) * (cas->dataHi ? 2 : 1);
         add_item(&n, IT_LOAD, 0, size);
         put_addr(sb, base, &slot, cas->addr, NULL);
         add_item(&n, IT_STORE, 0, size);
         put_addr(sb, base, &slot, cas->addr, NULL);
         break;
      }
      case Ist_LLSC: {
         IRType ty = st->Ist.LLSC.storedata
                        ? typeOfIRExpr(env, st->Ist.LLSC.storedata)
                        : typeOfIRTemp(env, st->Ist.LLSC.result);
         add_item(&n, st->Ist.LLSC.storedata ? IT_STORE : IT_LOAD, 0, sizeofIRType(ty));
         put_addr(sb, base, &slot, st->Ist.LLSC.addr, NULL);
         break;
      }
      case Ist_Dirty: {
         IRDirty *d = st->Ist.Dirty.details;
         if (d->mSize == 0)
            break;
         if (d->mFx == Ifx_Read || d->mFx == Ifx_Modify) {
            add_item(&n, IT_LOAD, 0, d->mSize);
            put_addr(sb, base, &slot, d->mAddr, NULL);
         }
         if (d->mFx == Ifx_Write || d->mFx == Ifx_Modify) {
            add_item(&n, IT_STORE, 0, d->mSize);
            put_addr(sb, base, &slot, d->mAddr, NULL);
         }
         break;
      }
      case Ist_Exit:
         put_exit(sb, base, n, slot);
         break;
      default:
         break;
      }
      addStmtToIRSB(sb, st);
   }
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
   mt_init(&enc, write_fd, NULL, 0, VKI_PAGE_SIZE,
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
   VG_(atfork)(NULL, NULL, fork_child);
}

VG_DETERMINE_INTERFACE_VERSION(pre_clo_init)
