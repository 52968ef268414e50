//! The Memento extension on the machine: the hardware object allocator
//! and page allocator of `memento-isa` as functional state, their timing,
//! and the bypass rules. The hooks here are thin: `serve.rs` decides what
//! each allocator call becomes, `pages.rs` handles the region's pages.
//!
//! Every outermost allocator bracket is held until it closes (`held.rs`),
//! since only its allocation event says whether the extension serves it.
//! Objects of at most 512 B are then served by the extension, whatever
//! level served them in the trace; their bracket's work is dropped and
//! obj-alloc or obj-free put in its place (or replayed, when the switch of
//! that operation is off). Larger requests, frees of objects the extension
//! does not own, and everything the trace did before it began replay as
//! the software ran them.

use memento_isa::{Effects, HardwareObjectAllocator, HardwarePageAllocator};
use memento_trace::{AllocFn, Event};

use super::held::Held;
use super::placement::Placement as Objects;
use super::stats::{ExtensionStats, FallbackStats, HitMiss, MementoStats, RemovedWork, Switches};
use super::{pages, serve};
use crate::allocator::AllocatorModel;
use crate::config::{param_error, Config, ConfigError, MementoConfig, Placement};
use crate::geometry::Geometry;
use crate::machine::Machine;
use crate::stats::Stats;

/// The extension's state in one address space.
#[derive(Clone, Debug)]
pub(super) struct Space {
    /// Arenas, lists, HOTs and AACs.
    pub hoa: HardwareObjectAllocator,
    /// The pool and the Memento page table.
    pub hpa: HardwarePageAllocator,
    /// The objects the extension serves, by traced address.
    pub objects: Objects,
    /// The region is known to the kernel model (`page_alloc` off).
    pub kernel_mapped: bool,
    /// Pages refilled into the pool whose zeroing is not counted yet.
    pub unzeroed: u64,
}

/// The Memento model.
#[derive(Clone, Debug)]
pub struct Memento {
    pub(super) cfg: MementoConfig,
    /// MRS..MRE.
    pub(super) region: (u64, u64),
    pub(super) spaces: Vec<Space>,
    pub(super) held: Vec<Held>,
    /// Reused by every call of the functional models.
    pub(super) fx: Effects,
    pub(super) removed: RemovedWork,
    pub(super) replayed_brackets: u64,
    pub(super) oversized_brackets: u64,
    pub(super) stats: MementoStats,
    /// Pool frames zeroed so far (where their zeroing writes go).
    pub(super) frames_zeroed: u64,
}

impl AllocatorModel for Memento {
    const ACTIVE: bool = true;

    fn new(config: &Config) -> Result<Memento, ConfigError> {
        let cfg = config.memento.clone().ok_or_else(|| ConfigError {
            source_name: config.name.clone(),
            field: "memento".into(),
            message: "the Memento model needs a [memento] section (see `memento config show \
                      micro23-memento`)"
                .into(),
        })?;
        let error = |(field, message)| ConfigError {
            source_name: config.name.clone(),
            field,
            message,
        };
        let spaces = (0..config.cores as usize)
            .map(|space| {
                let params = cfg
                    .params(config, Geometry::page_table_base(space) | (1 << 46))
                    .map_err(error)?;
                let isa = |e| error(param_error(&e));
                Ok(Space {
                    hoa: HardwareObjectAllocator::new(&params).map_err(isa)?,
                    hpa: HardwarePageAllocator::new(&params).map_err(isa)?,
                    objects: Objects::new(cfg.placement == Placement::Memento, config.line_size),
                    kernel_mapped: false,
                    unzeroed: 0,
                })
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;
        let region = spaces
            .first()
            .map(|s| (s.hoa.region().base(), s.hoa.region().end()))
            .unwrap_or((0, 0));
        Ok(Memento {
            stats: MementoStats {
                placement: match cfg.placement {
                    Placement::Memento => "memento",
                    Placement::Trace => "trace",
                }
                .into(),
                switches: Switches {
                    object_alloc: cfg.object_alloc,
                    object_free: cfg.object_free,
                    page_alloc: cfg.page_alloc,
                    bypass_alloc: cfg.bypass_alloc,
                    bypass_free: cfg.bypass_free,
                },
                ..MementoStats::default()
            },
            cfg,
            region,
            spaces,
            held: vec![Held::default(); config.cores as usize],
            fx: Effects::new(),
            removed: RemovedWork::default(),
            replayed_brackets: 0,
            oversized_brackets: 0,
            frames_zeroed: 0,
        })
    }

    fn on_enter(m: &mut Machine<Self>, core: usize, _func: AllocFn) -> bool {
        m.model.held[core].begin();
        true
    }

    fn on_held(m: &mut Machine<Self>, core: usize, event: Event, depth: u32) {
        if !m.model.held[core].push(event, depth) {
            serve::release(m, core);
        }
    }

    fn on_exit(m: &mut Machine<Self>, core: usize) {
        serve::close(m, core);
    }

    fn on_alloc(m: &mut Machine<Self>, core: usize, alloc: &memento_trace::Alloc) {
        let work = serve::Work::after(m, core);
        serve::alloc(m, core, alloc, work);
    }

    fn on_free(m: &mut Machine<Self>, core: usize, free: &memento_trace::Free) {
        let work = serve::Work::after(m, core);
        serve::free(m, core, free, work);
    }

    fn on_realloc(m: &mut Machine<Self>, core: usize, realloc: &memento_trace::Realloc) {
        let work = serve::Work::after(m, core);
        serve::realloc(m, core, realloc, work);
    }

    #[inline(always)]
    fn redirect(&mut self, space: usize, addr: u64) -> u64 {
        self.spaces[space].objects.redirect(addr)
    }

    #[inline(always)]
    fn on_walk(m: &mut Machine<Self>, core: usize, vaddr: u64, start: u64) -> Option<u64> {
        let (base, end) = m.model.region;
        if vaddr < base || vaddr >= end {
            return None;
        }
        pages::walk(m, core, vaddr, start)
    }

    fn on_thread_switch(m: &mut Machine<Self>, core: usize) {
        serve::flush(m, core);
    }

    fn on_finish(m: &mut Machine<Self>) {
        for core in 0..m.model.held.len() {
            if !m.model.held[core].events.is_empty() {
                serve::release(m, core);
            }
        }
        m.model.stats.bypass = m.memory().bypass;
    }

    fn resident_pages(&self) -> u64 {
        if self.cfg.page_alloc {
            // The root table page counts once the region is in use (the OS
            // can set it up at the first fill).
            self.spaces
                .iter()
                .filter(|s| s.hpa.data_pages() > 0 || s.hpa.table_pages() > 1)
                .map(|s| s.hpa.table_pages())
                .sum()
        } else {
            0
        }
    }

    fn reset_stats(&mut self) {
        self.removed = RemovedWork::default();
        self.replayed_brackets = 0;
        self.oversized_brackets = 0;
        self.stats = MementoStats {
            placement: std::mem::take(&mut self.stats.placement),
            switches: self.stats.switches,
            ..MementoStats::default()
        };
        for space in &mut self.spaces {
            space.hoa.reset_stats();
            space.hpa.reset_stats();
        }
    }

    fn report(&self, stats: &mut Stats) {
        let mut s = self.stats.clone();
        let hit_miss = |h: memento_isa::HitMiss| HitMiss {
            hits: h.hits,
            misses: h.misses,
        };
        for space in &self.spaces {
            let h = space.hoa.stats();
            s.hot_alloc.merge(hit_miss(h.alloc_hot));
            s.hot_free.merge(hit_miss(h.free_hot));
            s.aac_alloc.merge(hit_miss(h.alloc_aac));
            s.aac_free.merge(hit_miss(h.free_aac));
            s.list_ops += h.list_ops;
            s.arenas_created += h.arenas_created;
            s.arenas_released += h.arenas_released;
            s.fallbacks.merge(&FallbackStats {
                total: 0,
                too_large: h.fallbacks.too_large,
                zero_size: h.fallbacks.zero_size,
                span_exhausted: h.fallbacks.span_exhausted,
                pool_empty: h.fallbacks.pool_empty,
            });
            let p = space.hpa.stats();
            s.pages.pages_taken += p.pages_taken;
            s.pages.pages_released += p.pages_released;
            s.pages.table_pages_zeroed += p.table_pages_zeroed;
            s.peak_live_objects += space.objects.peak() as u64;
        }
        stats.extension = Some(ExtensionStats {
            allocator: "memento".into(),
            removed: self.removed.clone(),
            replayed_brackets: self.replayed_brackets,
            oversized_brackets: self.oversized_brackets,
            memento: Some(s),
        });
    }
}
