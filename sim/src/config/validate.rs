//! Checks of a parsed configuration. Each failure names its field so that a
//! user can find it in the file.

use super::{AllocatorKind, CacheConfig, Config, MementoConfig, TlbLevelConfig};

pub(super) type Check = Result<(), (String, String)>;

pub(super) fn fail(field: &str, message: impl Into<String>) -> Check {
    Err((field.to_string(), message.into()))
}

pub(super) fn power_of_two(field: &str, value: u64) -> Check {
    if value == 0 || !value.is_power_of_two() {
        return fail(field, format!("{value} is not a power of two"));
    }
    Ok(())
}

fn positive(field: &str, value: u64) -> Check {
    if value == 0 {
        return fail(field, "must be at least 1");
    }
    Ok(())
}

pub(super) fn check(c: &Config) -> Check {
    positive("cores", c.cores.into())?;
    c.branch.check()?;
    if c.cores > 256 {
        fail(
            "cores",
            format!("{} cores; at most 256 are supported", c.cores),
        )?;
    }
    positive("frequency_mhz", c.frequency_mhz.into())?;
    power_of_two("line_size", c.line_size.into())?;
    if c.line_size < 16 {
        fail("line_size", "must be at least 16 bytes")?;
    }
    power_of_two("page_size", c.page_size.into())?;
    if c.page_size < c.line_size {
        fail("page_size", "must be at least one line")?;
    }

    let k = &c.core;
    positive("core.width", k.width.into())?;
    if !(k.base_cpi.is_finite() && k.base_cpi * f64::from(k.width) >= 1.0 - 1e-9) {
        fail(
            "core.base_cpi",
            format!(
                "{} is below 1/width = {}",
                k.base_cpi,
                1.0 / f64::from(k.width)
            ),
        )?;
    }
    if k.base_cpi > 1000.0 {
        fail("core.base_cpi", "must be at most 1000")?;
    }
    positive("core.rob", k.rob.into())?;
    positive("core.load_queue", k.load_queue.into())?;
    positive("core.store_queue", k.store_queue.into())?;
    positive("core.store_buffer", k.store_buffer.into())?;

    cache("l1i", &c.l1i)?;
    cache("l1d", &c.l1d)?;
    cache("l2", &c.l2)?;
    cache("llc", &c.llc)?;
    for (name, level) in [("l1i", &c.l1i), ("l1d", &c.l1d), ("l2", &c.l2)] {
        if level.inclusive {
            fail(
                &format!("{name}.inclusive"),
                "only the llc can be inclusive",
            )?;
        }
    }

    tlb("tlb.dtlb", &c.tlb.dtlb)?;
    tlb("tlb.stlb", &c.tlb.stlb)?;
    if !(1..=5).contains(&c.tlb.walk_levels) {
        fail("tlb.walk_levels", "must be between 1 and 5")?;
    }
    if c.tlb.walk_cache > 1024 {
        fail("tlb.walk_cache", "at most 1024 entries are supported")?;
    }
    if c.tlb.page_walkers > 64 {
        fail("tlb.page_walkers", "at most 64 (0: no limit)")?;
    }
    if c.tlb.first_touch_cycles > 1_000_000 {
        fail(
            "tlb.first_touch_cycles",
            "at most 1000000 cycles (a fault costs a few thousand)",
        )?;
    }

    let standard = c.dram.load_standard(c.source_dir.as_deref())?;
    c.dram.check(&standard, c.line_size)?;
    if let Some(m) = &c.memento {
        memento(c, m)?;
    }
    Ok(())
}

/// The most lines one cache or TLB level may have: 2^24 (a 1 GiB cache of
/// 64-byte lines), far above any real one. The model keeps state per line,
/// so a bigger one would ask for more memory than a machine has and abort
/// instead of failing with a message.
pub(super) const MAX_ENTRIES: u64 = 1 << 24;

/// Sets x ways within [`MAX_ENTRIES`].
fn bounded(name: &str, sets: u64, ways: u64) -> Check {
    if sets.saturating_mul(ways) > MAX_ENTRIES {
        return fail(
            &format!("{name}.sets"),
            format!("{sets} sets x {ways} ways is more than the 2^24 entries a level may have"),
        );
    }
    Ok(())
}

fn cache(name: &str, c: &CacheConfig) -> Check {
    power_of_two(&format!("{name}.sets"), c.sets.into())?;
    positive(&format!("{name}.ways"), c.ways.into())?;
    if c.ways > 64 {
        fail(&format!("{name}.ways"), "at most 64 ways are supported")?;
    }
    bounded(name, c.sets.into(), c.ways.into())?;
    if let Err(message) = c.replacement.supports(c.ways) {
        fail(&format!("{name}.replacement"), message)?;
    }
    positive(&format!("{name}.latency"), c.latency.into())?;
    positive(&format!("{name}.mshrs"), c.mshrs.into())?;
    positive(&format!("{name}.prefetch_degree"), c.prefetch_degree.into())?;
    if c.prefetch_degree > 16 {
        fail(&format!("{name}.prefetch_degree"), "must be at most 16")?;
    }
    Ok(())
}

fn tlb(name: &str, t: &TlbLevelConfig) -> Check {
    power_of_two(&format!("{name}.sets"), t.sets.into())?;
    positive(&format!("{name}.ways"), t.ways.into())?;
    if t.ways > 64 {
        fail(&format!("{name}.ways"), "at most 64 ways are supported")?;
    }
    bounded(name, t.sets.into(), t.ways.into())?;
    positive(&format!("{name}.latency"), t.latency.into())
}

fn memento(c: &Config, m: &MementoConfig) -> Check {
    if m.allocator == AllocatorKind::Memento && c.cores as usize > memento_isa::LANES {
        fail(
            "cores",
            format!(
                "{} cores, but the Memento region has {} lanes, one per core",
                c.cores,
                memento_isa::LANES
            ),
        )?;
    }
    if m.size_classes.len() != m.arena_bytes.len() {
        fail(
            "memento.arena_bytes",
            format!(
                "{} lengths for {} size classes: give one per class",
                m.arena_bytes.len(),
                m.size_classes.len()
            ),
        )?;
    }
    if m.refill_threshold > m.pool_pages {
        fail(
            "memento.refill_threshold",
            format!(
                "{} is above memento.pool_pages ({}): the pool would refill forever",
                m.refill_threshold, m.pool_pages
            ),
        )?;
    }
    if m.page_alloc {
        positive("memento.pool_pages", m.pool_pages)?;
    }
    // The architectural parameters, as memento-isa checks them (table
    // pages at any page-aligned base: the machine picks its own).
    m.params(c, 0).map(|_| ())
}
