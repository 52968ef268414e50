//! What each allocator call becomes under the extension: obj-alloc or
//! obj-free in place of the software's work, the software's work replayed,
//! or both functional only (when that work already ran); and the bypass
//! rules on the lines involved.

use memento_isa::{Effects, Fallback, LineSpan, Lookup};
use memento_trace::{Alloc, AllocFn, Event, Free, Realloc};

use super::memento::Memento;
use super::pages;
use super::placement::Object;
use crate::config::Placement;
use crate::machine::Machine;

/// Largest request the extension serves.
const MAX_OBJECT: u64 = memento_isa::MAX_OBJECT as u64;
/// Bytes one load or store of a copy or clear moves (a 256-bit vector).
const CHUNK: u64 = 32;

/// The software's work for one call.
pub(super) enum Work {
    /// The held events of its bracket, not replayed yet.
    Held(Vec<(Event, u32)>),
    /// Already replayed (the bracket was too long to hold): only the
    /// functional models change.
    Replayed,
    /// The call had no bracket: nothing to remove.
    Bare,
}

impl Work {
    /// The work of a call seen as it replays: [`Work::Replayed`] for the
    /// one closing a released bracket, else [`Work::Bare`].
    pub(super) fn after(m: &mut Machine<Memento>, core: usize) -> Work {
        if std::mem::take(&mut m.model.held[core].released) {
            Work::Replayed
        } else {
            Work::Bare
        }
    }

    /// Whether the extension's own operation runs: its switch is on and
    /// the software's work did not already run.
    fn replaced(&self, switch: bool) -> bool {
        switch && !matches!(self, Work::Replayed)
    }
}

/// The held bracket on `core` closed: serve its call.
pub(super) fn close(m: &mut Machine<Memento>, core: usize) {
    let held = &mut m.model.held[core];
    let events = std::mem::take(&mut held.events);
    let work = Work::Held(events);
    match held.outermost.take() {
        Some(Event::Alloc(a)) => alloc(m, core, &a, work),
        Some(Event::Free(f)) => free(m, core, &f, work),
        Some(Event::Realloc(r)) => realloc(m, core, &r, work),
        _ => software(m, core, work),
    }
}

/// The bracket on `core` is too long to hold: what it held replays now,
/// the rest as it comes.
pub(super) fn release(m: &mut Machine<Memento>, core: usize) {
    m.release_held(core);
    m.model.oversized_brackets += 1;
    let held = &mut m.model.held[core];
    let events = std::mem::take(&mut held.events);
    let outermost = held.outermost.take();
    m.replay_events(core, events.iter().map(|&(e, _)| e));
    give_back(m, core, events);
    match outermost {
        // Its allocation event was already held: the call is served now.
        Some(Event::Alloc(a)) => alloc(m, core, &a, Work::Replayed),
        Some(Event::Free(f)) => free(m, core, &f, Work::Replayed),
        Some(Event::Realloc(r)) => realloc(m, core, &r, Work::Replayed),
        _ => m.model.held[core].released = true,
    }
}

/// The software serves the call: its held work replays.
fn software(m: &mut Machine<Memento>, core: usize, work: Work) {
    if let Work::Held(events) = work {
        m.model.replayed_brackets += 1;
        m.replay_events(core, events.iter().map(|&(e, _)| e));
        give_back(m, core, events);
    }
}

/// The extension replaces the call: its held work is dropped, counted as
/// removed (system calls in it are made unnecessary; markers still replay).
fn replace(m: &mut Machine<Memento>, core: usize, work: Work) {
    let Work::Held(events) = work else { return };
    m.model.removed.brackets += 1;
    for &(event, depth) in &events {
        if m.model.removed.remove(&event) {
            m.count_dropped(core, &event, depth);
        } else if matches!(
            event,
            Event::Mmap { .. }
                | Event::Munmap { .. }
                | Event::Brk { .. }
                | Event::Madvise { .. }
                | Event::Mremap { .. }
        ) {
            m.model.removed.kernel_events += 1;
        } else {
            m.replay_events(core, [event]);
        }
    }
    give_back(m, core, events);
}

/// The software's work for a call the extension serves: dropped when the
/// extension's operation replaces it (`switch` on), else replayed. Returns
/// whether the extension's operation is to be timed (it replaces work that
/// has not already run).
fn dispose(m: &mut Machine<Memento>, core: usize, work: Work, switch: bool) -> bool {
    let timed = work.replaced(switch);
    if switch {
        replace(m, core, work);
    } else {
        software(m, core, work);
    }
    timed
}

/// Returns a held vector to its core, so its capacity is reused.
fn give_back(m: &mut Machine<Memento>, core: usize, mut events: Vec<(Event, u32)>) {
    let held = &mut m.model.held[core];
    if held.events.capacity() < events.capacity() {
        events.clear();
        held.events = events;
    }
}

/// Whether `func` returns zeroed memory.
fn zeroes(func: AllocFn) -> bool {
    matches!(
        func,
        AllocFn::Calloc | AllocFn::PyObjectCalloc | AllocFn::PyMemCalloc
    )
}

/// obj-alloc in the functional model for `size` bytes on `core`: the new
/// object's address, with its effects in `fx`, or `None` when the
/// extension does not serve it. An empty pool faults, is refilled by the
/// OS, and the allocation retried.
fn obj_alloc(m: &mut Machine<Memento>, core: usize, size: u64, fx: &mut Effects) -> Option<u64> {
    let space = m.space_of(core);
    for _ in 0..2 {
        let s = &mut m.model.spaces[space];
        let addr = s.hoa.alloc(core, size, &mut s.hpa, fx).unwrap_or(0);
        if addr != 0 {
            pages::taken(m, core, fx);
            return Some(addr);
        }
        if fx.fallback != Some(Fallback::PoolEmpty) || !m.model.cfg.page_alloc {
            return None;
        }
        pages::empty_pool_fault(m, core);
    }
    None
}

/// The cycles of a lookup in the HOT, then the AAC on a miss.
fn lookup_cycles(m: &Machine<Memento>, fx: &Effects) -> u64 {
    let c = &m.model.cfg;
    let mut cycles = u64::from(c.hot_cycles);
    if matches!(fx.hot, Some(Lookup::Miss { .. })) && fx.aac.is_some() {
        cycles += u64::from(c.aac_cycles);
    }
    cycles
}

/// An allocation of the trace (the outermost call's).
pub(super) fn alloc(m: &mut Machine<Memento>, core: usize, a: &Alloc, work: Work) {
    if a.addr == 0 || a.size > MAX_OBJECT {
        m.model.stats.fallbacks.too_large += u64::from(a.size > MAX_OBJECT);
        m.model.stats.fallbacks.zero_size += u64::from(a.addr == 0 && a.size <= MAX_OBJECT);
        return software(m, core, work);
    }
    let mut fx = std::mem::take(&mut m.model.fx);
    let Some(new) = obj_alloc(m, core, a.size, &mut fx) else {
        m.model.fx = fx;
        return software(m, core, work);
    };
    let timed = dispose(m, core, work, m.model.cfg.object_alloc);
    let place = own(
        m,
        core,
        a.addr,
        Object {
            addr: new,
            size: a.size,
        },
    );
    if timed {
        alloc_timing(m, core, &fx);
        if zeroes(a.func) {
            m.model.stats.calloc_bytes += a.size;
            stores(m, core, place, a.size);
        }
    }
    if m.model.cfg.bypass_alloc {
        install(m, core, a.addr, a.size, fx.lines_to_install);
    }
    m.model.fx = fx;
}

/// Records the object traced at `traced` as the extension's; returns the
/// address its accesses go to. A live object the trace reused the address
/// of (its free was not traced) is taken back first.
fn own(m: &mut Machine<Memento>, core: usize, traced: u64, object: Object) -> u64 {
    let space = m.space_of(core);
    let s = &mut m.model.spaces[space];
    if let Some(old) = s.objects.insert(traced, object) {
        let mut fx = Effects::new();
        if s.hoa.free(core, old.addr, &mut s.hpa, &mut fx).is_err() {
            m.model.stats.rejected_frees += 1;
        }
        pages::released(m, core, &fx);
    }
    match m.model.cfg.placement {
        Placement::Memento => object.addr,
        Placement::Trace => traced,
    }
}

/// obj-alloc's instruction: its lookup and header traffic.
fn alloc_timing(m: &mut Machine<Memento>, core: usize, fx: &Effects) {
    let lookup = lookup_cycles(m, fx) + u64::from(m.model.cfg.obj_alloc_cycles);
    let cycles = m.unit_instruction(core, lookup, &fx.header_reads, &fx.header_writes);
    m.model.stats.obj_allocs += 1;
    m.model.stats.obj_alloc_cycles += cycles;
    m.model.stats.header_reads += fx.header_reads.len() as u64;
    m.model.stats.header_writes += fx.header_writes.len() as u64;
}

/// obj-free's instruction: its lookup and header traffic.
fn free_timing(m: &mut Machine<Memento>, core: usize, fx: &Effects) {
    let lookup = lookup_cycles(m, fx) + u64::from(m.model.cfg.obj_free_cycles);
    let cycles = m.unit_instruction(core, lookup, &fx.header_reads, &fx.header_writes);
    m.model.stats.obj_frees += 1;
    m.model.stats.obj_free_cycles += cycles;
    m.model.stats.header_reads += fx.header_reads.len() as u64;
    m.model.stats.header_writes += fx.header_writes.len() as u64;
}

/// Stores covering `size` bytes at `addr` (a clear), one instruction each.
fn stores(m: &mut Machine<Memento>, core: usize, addr: u64, size: u64) {
    copy(m, core, None, addr, size);
}

/// Loads of `from` (if any) and stores to `to`, `size` bytes in chunks,
/// one instruction per access.
fn copy(m: &mut Machine<Memento>, core: usize, from: Option<u64>, to: u64, size: u64) {
    let mut done = 0;
    while done < size {
        let n = CHUNK.min(size - done) as u32;
        if let Some(from) = from {
            m.unit_dispatch(core, 1);
            m.unit_access(core, from + done, n, false);
        }
        m.unit_dispatch(core, 1);
        m.unit_access(core, to + done, n, true);
        done += u64::from(n);
    }
}

/// bypass_alloc: the lines of the new object no other live object shares
/// go into the cache without a DRAM read: those the functional model names
/// where it placed the object, or the whole lines inside the traced object.
fn install(m: &mut Machine<Memento>, core: usize, traced: u64, size: u64, lines: Option<LineSpan>) {
    match m.model.cfg.placement {
        Placement::Memento => {
            if let Some(span) = lines {
                m.install_bytes(core, span.start, span.end - span.start);
            }
        }
        Placement::Trace => {
            m.install_bytes(core, traced, size);
        }
    }
}

/// bypass_free: dead lines leave the caches without a writeback.
fn drop_dead(m: &mut Machine<Memento>, core: usize, traced: u64, size: u64, fx: &Effects) {
    let space = m.space_of(core);
    match m.model.cfg.placement {
        Placement::Memento => {
            for span in &fx.lines_to_drop {
                m.drop_bytes(space, span.start, span.end - span.start);
            }
        }
        Placement::Trace => {
            m.drop_bytes(space, traced, size);
        }
    }
}

/// A free of the trace (the outermost call's).
pub(super) fn free(m: &mut Machine<Memento>, core: usize, f: &Free, work: Work) {
    let space = m.space_of(core);
    let Some(object) = m.model.spaces[space].objects.remove(f.addr) else {
        return software(m, core, work);
    };
    let mut fx = std::mem::take(&mut m.model.fx);
    let s = &mut m.model.spaces[space];
    if s.hoa.free(core, object.addr, &mut s.hpa, &mut fx).is_err() {
        m.model.stats.rejected_frees += 1;
        m.model.fx = fx;
        return software(m, core, work);
    }
    let timed = dispose(m, core, work, m.model.cfg.object_free);
    if timed {
        free_timing(m, core, &fx);
    }
    if m.model.cfg.bypass_free {
        drop_dead(m, core, f.addr, object.size, &fx);
    }
    pages::released(m, core, &fx);
    m.model.fx = fx;
}

/// Where the accesses of the object traced at `traced` and placed at
/// `addr` go.
fn placed(m: &Machine<Memento>, traced: u64, addr: u64) -> u64 {
    match m.model.cfg.placement {
        Placement::Memento => addr,
        Placement::Trace => traced,
    }
}

/// A resize of the trace (the outermost call's).
pub(super) fn realloc(m: &mut Machine<Memento>, core: usize, r: &Realloc, work: Work) {
    let as_alloc = Alloc {
        func: r.func,
        level: r.level,
        size: r.size,
        align: 0,
        addr: r.new_addr,
        site: r.site,
    };
    if r.old_addr == 0 {
        return alloc(m, core, &as_alloc, work);
    }
    let space = m.space_of(core);
    let Some(old) = m.model.spaces[space].objects.get(r.old_addr).copied() else {
        // A block of the software's: it stays the software's.
        return software(m, core, work);
    };
    let as_free = Free {
        func: r.func,
        level: r.level,
        addr: r.old_addr,
        site: r.site,
    };
    if r.new_addr == 0 {
        // realloc(p, 0) frees; a failed resize leaves the block as it was.
        return if r.size == 0 {
            free(m, core, &as_free, work)
        } else {
            software(m, core, work)
        };
    }
    let mut fx = std::mem::take(&mut m.model.fx);
    let new = if r.size <= MAX_OBJECT {
        obj_alloc(m, core, r.size, &mut fx)
    } else {
        None
    };
    let Some(new) = new else {
        // The large side is the software's: it allocates, copies (reading
        // the old object where the extension put it) and frees; the
        // extension takes the old object back without an obj-free.
        m.model.fx = fx;
        software(m, core, work);
        return free(m, core, &as_free, Work::Replayed);
    };
    let both = m.model.cfg.object_alloc && m.model.cfg.object_free;
    let timed = dispose(m, core, work, both);
    let from = placed(m, r.old_addr, old.addr);
    m.model.spaces[space].objects.remove(r.old_addr);
    let to = own(
        m,
        core,
        r.new_addr,
        Object {
            addr: new,
            size: r.size,
        },
    );
    if timed {
        alloc_timing(m, core, &fx);
        let bytes = old.size.min(r.size);
        m.model.stats.realloc_bytes += bytes;
        copy(m, core, Some(from), to, bytes);
    }
    if m.model.cfg.bypass_alloc {
        install(m, core, r.new_addr, r.size, fx.lines_to_install);
    }
    let s = &mut m.model.spaces[space];
    if s.hoa.free(core, old.addr, &mut s.hpa, &mut fx).is_err() {
        m.model.stats.rejected_frees += 1;
    } else {
        if timed {
            free_timing(m, core, &fx);
        }
        if m.model.cfg.bypass_free {
            drop_dead(m, core, r.old_addr, old.size, &fx);
        }
        pages::released(m, core, &fx);
    }
    m.model.fx = fx;
}

/// A context switch on `core`: the HOT is flushed, its dirty headers
/// written back.
pub(super) fn flush(m: &mut Machine<Memento>, core: usize) {
    let space = m.space_of(core);
    let mut fx = std::mem::take(&mut m.model.fx);
    if m.model.spaces[space].hoa.flush(core, &mut fx).is_ok() {
        m.model.stats.header_writes += fx.header_writes.len() as u64;
        m.background_writes(core, &fx.header_writes);
    }
    m.model.fx = fx;
}
