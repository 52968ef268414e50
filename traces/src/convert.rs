//! Conversion between Memento traces and other tools' formats: one
//! importer (or the Memento reader) streaming into one writer or exporter.

use std::io::{self, BufWriter};
use std::path::Path;

use crate::atomic::AtomicFile;
use crate::error::{ErrorKind, TraceError};
use crate::export::{CsvExporter, DramExporter, DramStyle};
use crate::format::Header;
use crate::import::{self, ImportOptions, ImportSummary};
use crate::reader::TraceFile;
use crate::sink::EventSink;
use crate::writer::TraceWriter;

/// Formats `convert` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// A Memento trace.
    Mtrace,
    /// Valgrind Lackey `--trace-mem=yes` text.
    Lackey,
    /// ChampSim `input_instr` records (raw, xz or gzip).
    Champsim,
    /// Dinero `din` text.
    Din,
}

/// Formats `convert` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// A Memento trace.
    Mtrace,
    /// DRAMsim3 request text.
    Dramsim3,
    /// Ramulator DRAM-trace text.
    Ramulator,
    /// One CSV row per event.
    Csv,
}

impl InputFormat {
    /// Parses a `--from` value.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "mtrace" => InputFormat::Mtrace,
            "lackey" => InputFormat::Lackey,
            "champsim" => InputFormat::Champsim,
            "din" => InputFormat::Din,
            _ => return None,
        })
    }

    /// The name `--from` takes.
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Mtrace => "mtrace",
            InputFormat::Lackey => "lackey",
            InputFormat::Champsim => "champsim",
            InputFormat::Din => "din",
        }
    }
}

impl OutputFormat {
    /// Parses a `--to` value.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "mtrace" => OutputFormat::Mtrace,
            "dramsim3" => OutputFormat::Dramsim3,
            "ramulator" => OutputFormat::Ramulator,
            "csv" => OutputFormat::Csv,
            _ => return None,
        })
    }

    /// The name `--to` takes.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Mtrace => "mtrace",
            OutputFormat::Dramsim3 => "dramsim3",
            OutputFormat::Ramulator => "ramulator",
            OutputFormat::Csv => "csv",
        }
    }
}

/// How to convert.
#[derive(Clone, Debug, Default)]
pub struct ConvertOptions {
    /// Importer options.
    pub import: ImportOptions,
    /// Workload name for the header of a new Memento trace (default: the
    /// input's file stem).
    pub workload: Option<String>,
    /// Skip damaged chunks of a Memento input instead of stopping.
    pub keep_going: bool,
}

/// What a conversion did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ConvertSummary {
    /// Events read from the input.
    pub events: u64,
    /// What the importer saw (zero for Memento input).
    pub import: ImportSummary,
    /// Damaged chunks skipped (with `keep_going`), with their messages.
    pub skipped_errors: Vec<String>,
}

enum Output {
    Trace(Box<TraceWriter<BufWriter<AtomicFile>>>),
    Dram(DramExporter<BufWriter<AtomicFile>>),
    Csv(CsvExporter<BufWriter<AtomicFile>>),
}

struct Counting<'a> {
    inner: &'a mut dyn EventSink,
    events: u64,
}

impl EventSink for Counting<'_> {
    fn push(&mut self, event: &crate::Event) -> io::Result<()> {
        self.events += 1;
        self.inner.push(event)
    }
}

impl EventSink for Output {
    fn push(&mut self, event: &crate::Event) -> io::Result<()> {
        match self {
            Output::Trace(w) => w.push(event),
            Output::Dram(w) => w.push(event),
            Output::Csv(w) => w.push(event),
        }
    }
}

impl Output {
    fn finish(self) -> io::Result<AtomicFile> {
        let sink = match self {
            Output::Trace(w) => w.finish()?.0,
            Output::Dram(w) => w.finish()?,
            Output::Csv(w) => w.finish()?,
        };
        sink.into_inner().map_err(|e| e.into_error())
    }
}

/// Header of a trace made by importing `input`.
fn import_header(input: &Path, from: InputFormat, options: &ConvertOptions) -> Header {
    let stem = match input.file_stem() {
        Some(stem) if input.as_os_str() != "-" => stem.to_string_lossy().into_owned(),
        _ => "stdin".into(),
    };
    Header {
        producer: format!("memento trace convert {}", env!("CARGO_PKG_VERSION")),
        workload: options.workload.clone().unwrap_or(stem),
        runtime: format!("import:{}", from.name()),
        command_line: String::new(),
        // The imported formats come from x86-64 Linux, whose pages are 4 KiB.
        page_size: 4096,
        capture_time_ns: 0,
        // Only ChampSim's records name registers.
        dependences: from == InputFormat::Champsim,
        ..Header::default()
    }
}

/// Converts `input` (`-` for standard input) from `from` to `to`, writing
/// `output` atomically: on any error no output file is left.
pub fn convert(
    input: &Path,
    from: InputFormat,
    output: &Path,
    to: OutputFormat,
    options: &ConvertOptions,
) -> Result<ConvertSummary, TraceError> {
    let mut summary = ConvertSummary::default();
    let trace = match from {
        InputFormat::Mtrace => Some(TraceFile::open(input)?.keep_going(options.keep_going)),
        _ => None,
    };
    let header = match &trace {
        Some(trace) => trace.header().clone(),
        None => import_header(input, from, options),
    };
    let out_error = |e: io::Error| TraceError::file(output, ErrorKind::Io(e));
    let file = AtomicFile::create(output)?;
    let buffered = BufWriter::with_capacity(1 << 20, file);
    let mut sink = match to {
        OutputFormat::Mtrace => Output::Trace(Box::new(
            TraceWriter::new(buffered, &header).map_err(out_error)?,
        )),
        OutputFormat::Dramsim3 => Output::Dram(DramExporter::new(buffered, DramStyle::Dramsim3)),
        OutputFormat::Ramulator => Output::Dram(DramExporter::new(buffered, DramStyle::Ramulator)),
        OutputFormat::Csv => Output::Csv(CsvExporter::new(buffered).map_err(out_error)?),
    };
    let mut counting = Counting {
        inner: &mut sink,
        events: 0,
    };
    let mut branches = Vec::new();
    match (&trace, from) {
        (Some(trace), _) => {
            for event in trace.events() {
                match event {
                    Ok(event) => counting.push(&event).map_err(out_error)?,
                    Err(error) if options.keep_going => {
                        summary.skipped_errors.push(error.to_string())
                    }
                    Err(error) => return Err(error),
                }
            }
        }
        (None, InputFormat::Lackey) => {
            summary.import =
                import::lackey::import(import::open_input(input)?, input, &mut counting)?;
        }
        (None, InputFormat::Champsim) => {
            let (import, found) = import::champsim::import(
                import::open_input(input)?,
                input,
                options.import,
                &mut counting,
            )?;
            summary.import = import;
            branches = found;
        }
        (None, InputFormat::Din) => {
            summary.import = import::din::import(
                import::open_input(input)?,
                input,
                options.import,
                &mut counting,
            )?;
        }
        (None, InputFormat::Mtrace) => unreachable!("Memento input is opened above"),
    }
    summary.events = counting.events;
    if let (Some(trace), Output::Trace(writer)) = (&trace, &mut sink) {
        let metadata = trace.metadata()?;
        metadata
            .threads
            .into_iter()
            .for_each(|t| writer.add_thread(t));
        metadata
            .modules
            .into_iter()
            .for_each(|m| writer.add_module(m));
        branches = metadata.branches;
    }
    if let Output::Trace(writer) = &mut sink {
        branches.into_iter().for_each(|b| writer.add_branch(b));
    }
    sink.finish().map_err(out_error)?.commit()?;
    Ok(summary)
}
