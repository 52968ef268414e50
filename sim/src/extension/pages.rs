//! The Memento region's pages. With `page_alloc` on, a TLB miss in the
//! region walks the Memento page table and the walker backs a missing
//! page from the pool (no kernel entry); pages of a released arena go back
//! to the pool; the OS refills the pool below a threshold, and an empty
//! pool makes a page fault in which the OS refills it. With `page_alloc`
//! off, the region is anonymous memory of the kernel model: its pages
//! fault and are zeroed on first touch, and released arenas are given
//! back with `madvise(MADV_DONTNEED)`.

use memento_isa::{Effects, Touch};

use super::memento::Memento;
use crate::cause::Cause;
use crate::geometry::Geometry;
use crate::machine::Machine;

/// Bits of the frame number of pool pages' zeroing writes.
const FRAME_BITS: u32 = 20;

/// A TLB miss on `core` at `vaddr` in the region, its walk starting at
/// `start`: the cycle the translation is known, or `None` for the kernel.
pub(super) fn walk(m: &mut Machine<Memento>, core: usize, vaddr: u64, start: u64) -> Option<u64> {
    let space = m.space_of(core);
    if !m.model.cfg.page_alloc {
        if !m.model.spaces[space].kernel_mapped {
            let (base, end) = m.model.region;
            m.map_anonymous(space, base, end - base);
            m.model.spaces[space].kernel_mapped = true;
        }
        return None;
    }
    let levels = m.config().tlb.walk_levels;
    let mut entries = [0u64; 8];
    let mut n = 0;
    for level in 0..levels.min(8) {
        match m.model.spaces[space].hpa.table_entry_address(level, vaddr) {
            Some(e) => {
                entries[n] = e;
                n += 1;
            }
            None => break,
        }
    }
    let mut t = m.walk_entries(core, &entries[..n], start);
    let mut fx = std::mem::take(&mut m.model.fx);
    fx.clear();
    let mut touch = m.model.spaces[space].hpa.touch(vaddr, &mut fx);
    if touch == Ok(Touch::PoolEmpty) {
        empty_pool_fault(m, core);
        touch = m.model.spaces[space].hpa.touch(vaddr, &mut fx);
        t = t.max(m.now(core));
    }
    if touch == Ok(Touch::Filled) {
        t += u64::from(m.model.cfg.walker_fill_cycles);
        m.model.stats.pages.walker_fills += 1;
        taken(m, core, &fx);
    }
    m.model.fx = fx;
    Some(t)
}

/// The pool was empty: the hardware raises a page fault, in which the OS
/// refills the pool.
pub(super) fn empty_pool_fault(m: &mut Machine<Memento>, core: usize) {
    m.model.stats.pages.empty_pool_faults += 1;
    let fault = u64::from(m.config().kernel.page_fault_cycles);
    let cost = refill(m, core);
    m.kernel_work(core, fault + cost);
}

/// The OS tops the pool of `core`'s address space up to `pool_pages`;
/// returns the cycles it took.
fn refill(m: &mut Machine<Memento>, core: usize) -> u64 {
    let space = m.space_of(core);
    let cfg = &m.model.cfg;
    let s = &mut m.model.spaces[space];
    let pages = cfg.pool_pages.saturating_sub(s.hpa.pool_len()).max(1);
    s.hpa.refill(pages);
    s.unzeroed += pages;
    let cost = u64::from(cfg.refill_cycles) + pages * u64::from(cfg.refill_page_cycles);
    let s = &mut m.model.stats.pages;
    s.refills += 1;
    s.pages_refilled += pages;
    s.refill_cycles += cost;
    cost
}

/// After the functional models took pages (`fx`): table pages are zeroed
/// by the hardware through the caches, data pages' zeroing by the OS
/// reaches DRAM, and the pool is refilled when it runs low.
pub(super) fn taken(m: &mut Machine<Memento>, core: usize, fx: &Effects) {
    if fx.pages_taken.is_empty() && fx.table_pages_zeroed.is_empty() {
        return;
    }
    let g = m.geometry();
    let now = m.now(core);
    for &table in &fx.table_pages_zeroed {
        m.zero_page(core, g.line(table), now);
        m.model.stats.pages.table_lines_zeroed += g.lines_per_page();
    }
    let space = m.space_of(core);
    if m.model.cfg.page_alloc && m.model.cfg.zero_pool_pages {
        // The OS zeroed each page it put in the pool during the run (the
        // first pool was ready before it); the writes are counted as each
        // page is taken, to a frame of its own so that nothing reads them
        // back.
        let base = Geometry::page_table_base(space) | (1 << 45);
        for _ in &fx.pages_taken {
            let s = &mut m.model.spaces[space];
            if s.unzeroed == 0 {
                break;
            }
            s.unzeroed -= 1;
            let frame = m.model.frames_zeroed % (1 << FRAME_BITS);
            m.model.frames_zeroed += 1;
            let first = g.line(base + (frame << g.page_shift()));
            m.write_lines_to_dram(first..first + g.lines_per_page(), Cause::PageZeroing, now);
        }
    }
    if m.model.cfg.page_alloc && m.model.spaces[space].hpa.pool_len() < m.model.cfg.refill_threshold
    {
        let cost = refill(m, core);
        if m.model.cfg.refill_on_critical_path {
            m.kernel_work(core, cost);
        }
    }
    m.note_resident();
}

/// After the functional models released pages (`fx`): their translations
/// go; with `page_alloc` off the OS gives them back with `madvise`.
pub(super) fn released(m: &mut Machine<Memento>, core: usize, fx: &Effects) {
    if fx.pages_released.is_empty() {
        return;
    }
    let space = m.space_of(core);
    if m.model.cfg.page_alloc {
        for &page in &fx.pages_released {
            m.shoot_down(space, page);
        }
        m.note_resident();
    } else if let (Some(&first), Some(&last)) =
        (fx.pages_released.first(), fx.pages_released.last())
    {
        let page = 1u64 << m.geometry().page_shift();
        m.madvise_free(core, first, last + page - first);
    }
}
