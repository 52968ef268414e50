//! Allocation call sites of a trace: which code asks for memory, how often,
//! how much, and which allocator level served it.

use std::collections::HashMap;

use memento_trace::{AllocFn, AllocLevel, Event, TraceError, TraceFile};

use crate::symbols::{Location, Symbolizer};
use crate::table::{bytes, thousands, Align, Table};

/// The allocations made from one call site.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Site {
    /// The return address into the caller (0 when unknown).
    pub site: u64,
    /// Allocations (alloc and realloc events) made here.
    pub count: u64,
    /// Bytes they asked for.
    pub bytes: u64,
    /// Frees made here.
    pub frees: u64,
    /// Allocations by the level that served them.
    pub levels: Vec<(String, u64)>,
    /// The entry points called here, by name.
    pub functions: Vec<String>,
    /// Where the site is, when the module map and files tell.
    pub location: Option<Location>,
}

/// A site being counted: its totals, allocations per level, functions seen.
type Tally = (Site, HashMap<AllocLevel, u64>, Vec<AllocFn>);

/// Counts call sites over a trace's events. Only outermost allocator calls
/// count: the `malloc` inside `PyObject_Malloc` belongs to the same request.
#[derive(Default)]
pub struct SiteCounter {
    depth: u32,
    sites: HashMap<u64, Tally>,
}

impl SiteCounter {
    /// A counter with nothing seen.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next event of the trace.
    pub fn push(&mut self, event: &Event) {
        let outermost = self.depth <= 1;
        let (site, func, level, size, is_free) = match *event {
            Event::AllocEnter { .. } => {
                self.depth += 1;
                return;
            }
            Event::AllocExit => {
                self.depth = self.depth.saturating_sub(1);
                return;
            }
            Event::Alloc(a) => (a.site, a.func, a.level, a.size, false),
            Event::Realloc(r) => (r.site, r.func, r.level, r.size, false),
            Event::Free(f) => (f.site, f.func, f.level, 0, true),
            _ => return,
        };
        if !outermost {
            return;
        }
        let entry = self.sites.entry(site).or_insert_with(|| {
            (
                Site {
                    site,
                    ..Site::default()
                },
                HashMap::new(),
                Vec::new(),
            )
        });
        if is_free {
            entry.0.frees += 1;
        } else {
            entry.0.count += 1;
            entry.0.bytes += size;
            *entry.1.entry(level).or_default() += 1;
        }
        if !entry.2.contains(&func) {
            entry.2.push(func);
        }
    }

    /// The `top` sites by allocation count (then bytes), symbolised.
    pub fn finish(self, top: usize, symbolizer: &mut Symbolizer) -> Vec<Site> {
        let mut sites: Vec<Site> = self
            .sites
            .into_values()
            .filter(|(s, _, _)| s.count > 0)
            .map(|(mut s, levels, funcs)| {
                let mut levels: Vec<(AllocLevel, u64)> = levels.into_iter().collect();
                levels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                s.levels = levels
                    .into_iter()
                    .map(|(l, n)| (l.name().into(), n))
                    .collect();
                s.functions = funcs.into_iter().map(|f| f.name().into()).collect();
                s
            })
            .collect();
        keep_top(
            &mut sites,
            top,
            symbolizer,
            |s| (s.count, s.bytes, s.site),
            |s| &mut s.location,
        );
        sites
    }
}

/// Keeps the `top` of `sites` by `rank` (its first two parts highest
/// first, then its third, the site's address, lowest first) and
/// symbolises the site of each one kept (none for address 0).
pub(crate) fn keep_top<T>(
    sites: &mut Vec<T>,
    top: usize,
    symbolizer: &mut Symbolizer,
    rank: impl Fn(&T) -> (u64, u64, u64),
    location: impl Fn(&mut T) -> &mut Option<Location>,
) {
    sites.sort_by(|a, b| {
        let (a, b) = (rank(a), rank(b));
        (b.0, b.1, a.2).cmp(&(a.0, a.1, b.2))
    });
    sites.truncate(top);
    for s in sites.iter_mut() {
        let site = rank(s).2;
        if site != 0 {
            *location(s) = Some(symbolizer.lookup_return_address(site));
        }
    }
}

/// Feeds every event of `trace` to `push`, by the reader's fast internal
/// iteration (the events end at the first error); the error, if any.
pub fn each_event(trace: &TraceFile, mut push: impl FnMut(&Event)) -> Result<(), TraceError> {
    let mut failure = None;
    trace.events().for_each(|event| match event {
        Ok(event) => push(&event),
        Err(error) => failure = Some(error),
    });
    failure.map_or(Ok(()), Err)
}

/// The sites as a text table.
pub fn render_text(sites: &[Site]) -> String {
    let mut table = Table::new(&[
        ("allocs", Align::Right),
        ("bytes", Align::Right),
        ("frees", Align::Right),
        ("levels", Align::Left),
        ("functions", Align::Left),
        ("site", Align::Left),
    ]);
    for s in sites {
        let levels: Vec<String> = s.levels.iter().map(|(l, n)| format!("{l} {n}")).collect();
        table.row(vec![
            thousands(s.count),
            bytes(s.bytes),
            thousands(s.frees),
            levels.join(", "),
            s.functions.join(", "),
            match &s.location {
                Some(l) => l.to_string(),
                None => "unknown".into(),
            },
        ]);
    }
    table.render()
}

/// The sites as pretty JSON.
pub fn render_json(sites: &[Site]) -> String {
    serde_json::to_string_pretty(sites).expect("plain data serialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use memento_trace::{Alloc, Free};

    fn alloc(func: AllocFn, level: AllocLevel, size: u64, site: u64) -> Event {
        Event::Alloc(Alloc {
            func,
            level,
            size,
            align: 0,
            addr: 0x1000 + size,
            site,
        })
    }

    #[test]
    fn nested_calls_count_once_at_the_outermost_site() {
        let mut counter = SiteCounter::new();
        let events = [
            Event::AllocEnter {
                func: AllocFn::PyObjectMalloc,
            },
            Event::AllocEnter {
                func: AllocFn::Malloc,
            },
            alloc(AllocFn::Malloc, AllocLevel::Libc, 1000, 0xa),
            Event::AllocExit,
            alloc(AllocFn::PyObjectMalloc, AllocLevel::Libc, 1000, 0xa),
            Event::AllocExit,
            Event::AllocEnter {
                func: AllocFn::PyObjectMalloc,
            },
            alloc(AllocFn::PyObjectMalloc, AllocLevel::Pymalloc, 32, 0xa),
            Event::AllocExit,
            Event::AllocEnter {
                func: AllocFn::PyObjectFree,
            },
            Event::Free(Free {
                func: AllocFn::PyObjectFree,
                level: AllocLevel::Pymalloc,
                addr: 0x1020,
                site: 0xa,
            }),
            Event::AllocExit,
        ];
        for e in &events {
            counter.push(e);
        }
        let sites = counter.finish(10, &mut Symbolizer::new(&[]));
        assert_eq!(sites.len(), 1);
        let s = &sites[0];
        assert_eq!((s.count, s.bytes, s.frees), (2, 1032, 1));
        assert_eq!(
            s.levels,
            [("libc".to_string(), 1), ("pymalloc".to_string(), 1)]
        );
        assert_eq!(s.functions, ["PyObject_Malloc", "PyObject_Free"]);
    }

    #[test]
    fn sites_rank_by_count_then_bytes_and_keep_the_top() {
        let mut counter = SiteCounter::new();
        // unbracketed events, as the alloc-only shim writes them
        for (size, site) in [(8, 1), (8, 1), (100, 2), (100, 2), (5000, 3)] {
            counter.push(&alloc(AllocFn::Malloc, AllocLevel::Libc, size, site));
        }
        let sites = counter.finish(2, &mut Symbolizer::new(&[]));
        let order: Vec<(u64, u64)> = sites.iter().map(|s| (s.site, s.count)).collect();
        assert_eq!(order, [(2, 2), (1, 2)]);
        assert!(sites[0].location.as_ref().unwrap().function.is_none());
    }
}
