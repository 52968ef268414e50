//! One CSV row per event, for spreadsheets and pandas.
//!
//! Columns: `event` (index), `thread`, `kind`, `address`, `size`,
//! `count`, `new_address`, `site`, `function`, `level`, `value`. Addresses
//! are hex; a cell is empty when the kind has no such field. `address` is
//! the start (old address for realloc and mremap, old break for brk),
//! `size` is bytes or length, `value` holds prot/flags, advice, thread id
//! or invocation id.

use std::io::{self, Write};

use crate::event::Event;
use crate::sink::EventSink;

/// The header row.
pub const CSV_HEADER: &str =
    "event,thread,kind,address,size,count,new_address,site,function,level,value";

/// Writes events as CSV rows.
pub struct CsvExporter<W: Write> {
    out: W,
    index: u64,
    thread: u32,
}

impl<W: Write> CsvExporter<W> {
    /// Writes the header row to `out`.
    pub fn new(mut out: W) -> io::Result<Self> {
        writeln!(out, "{CSV_HEADER}")?;
        Ok(CsvExporter {
            out,
            index: 0,
            thread: 0,
        })
    }

    /// Flushes and returns the sink.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[derive(Default)]
struct Row {
    address: Option<u64>,
    size: Option<u64>,
    count: Option<u64>,
    new_address: Option<u64>,
    site: Option<u64>,
    function: Option<&'static str>,
    level: Option<&'static str>,
    value: Option<String>,
}

fn hex(value: Option<u64>) -> String {
    value.map(|v| format!("{v:#x}")).unwrap_or_default()
}

fn dec(value: Option<u64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn row(event: &Event) -> Row {
    match *event {
        Event::Block { addr, len, count } => Row {
            address: Some(addr),
            size: Some(len.into()),
            count: Some(count.into()),
            ..Row::default()
        },
        Event::Gap { count } => Row {
            count: Some(count),
            ..Row::default()
        },
        Event::Load { addr, size } | Event::Store { addr, size } => Row {
            address: Some(addr),
            size: Some(size.into()),
            ..Row::default()
        },
        Event::Alloc(a) => Row {
            address: Some(a.addr),
            size: Some(a.size),
            site: Some(a.site),
            function: Some(a.func.name()),
            level: Some(a.level.name()),
            value: (a.align != 0).then(|| format!("align={}", a.align)),
            ..Row::default()
        },
        Event::Free(f) => Row {
            address: Some(f.addr),
            site: Some(f.site),
            function: Some(f.func.name()),
            level: Some(f.level.name()),
            ..Row::default()
        },
        Event::Realloc(r) => Row {
            address: Some(r.old_addr),
            size: Some(r.size),
            new_address: Some(r.new_addr),
            site: Some(r.site),
            function: Some(r.func.name()),
            level: Some(r.level.name()),
            ..Row::default()
        },
        Event::AllocEnter { func } => Row {
            function: Some(func.name()),
            ..Row::default()
        },
        Event::Mmap {
            addr,
            len,
            prot,
            flags,
        } => Row {
            address: Some(addr),
            size: Some(len),
            value: Some(format!("prot={prot:#x} flags={flags:#x}")),
            ..Row::default()
        },
        Event::Munmap { addr, len } => Row {
            address: Some(addr),
            size: Some(len),
            ..Row::default()
        },
        Event::Brk { old, new } => Row {
            address: Some(old),
            new_address: Some(new),
            ..Row::default()
        },
        Event::Madvise { addr, len, advice } => Row {
            address: Some(addr),
            size: Some(len),
            value: Some(advice.to_string()),
            ..Row::default()
        },
        Event::Mremap {
            old_addr,
            old_len,
            new_addr,
            new_len,
        } => Row {
            address: Some(old_addr),
            size: Some(old_len),
            new_address: Some(new_addr),
            value: Some(format!("new_len={new_len}")),
            ..Row::default()
        },
        Event::Thread { tid } => Row {
            value: Some(tid.to_string()),
            ..Row::default()
        },
        Event::InvocationBegin { id } | Event::InvocationEnd { id } => Row {
            value: Some(id.to_string()),
            ..Row::default()
        },
        Event::Dep { distance } => Row {
            count: Some(distance.into()),
            ..Row::default()
        },
        Event::AllocExit | Event::RoiBegin | Event::RoiEnd => Row::default(),
    }
}

impl<W: Write> EventSink for CsvExporter<W> {
    fn push(&mut self, event: &Event) -> io::Result<()> {
        if let Event::Thread { tid } = *event {
            self.thread = tid;
        }
        let r = row(event);
        writeln!(
            self.out,
            "{},{},{},{},{},{},{},{},{},{},{}",
            self.index,
            self.thread,
            event.kind().name(),
            hex(r.address),
            dec(r.size),
            dec(r.count),
            hex(r.new_address),
            hex(r.site),
            r.function.unwrap_or_default(),
            r.level.unwrap_or_default(),
            r.value.unwrap_or_default(),
        )?;
        self.index += 1;
        Ok(())
    }
}
