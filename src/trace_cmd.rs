//! `memento trace ...`: info, convert and sites.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use memento_analysis::sites::{self, SiteCounter};
use memento_analysis::symbols::Symbolizer;
use memento_analysis::trace_info::{self, TraceInfo};
use memento_trace::convert::{self, ConvertOptions, InputFormat, OutputFormat};
use memento_trace::format::{ChunkKind, MAGIC};
use memento_trace::import::ImportOptions;
use memento_trace::{Summarizer, TraceFile};

use crate::UserError;

/// Trace subcommands.
#[derive(Subcommand)]
pub enum TraceCommand {
    /// Print a trace's header, event counts by kind, allocation size
    /// histogram and footprint.
    Info(InfoArgs),
    /// Convert between Memento traces and other tools' formats.
    Convert(ConvertArgs),
    /// The top allocation call sites by count and bytes, symbolised.
    Sites(SitesArgs),
}

/// Arguments of `trace sites`.
#[derive(Args)]
pub struct SitesArgs {
    /// A Memento trace with allocation events (from `memento capture`).
    file: PathBuf,
    /// How many sites to list.
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Arguments of `trace info`.
#[derive(Args)]
pub struct InfoArgs {
    /// Memento trace files (.mtrace).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Report damaged chunks and go on with the rest instead of stopping.
    #[arg(long)]
    keep_going: bool,
}

/// Arguments of `trace convert`.
#[derive(Args)]
pub struct ConvertArgs {
    /// Input file, or `-` for standard input (e.g. Lackey piped in).
    input: PathBuf,
    /// Output file; written atomically (nothing is left on error).
    output: PathBuf,
    /// Input format: mtrace, lackey, champsim, din [default: mtrace when
    /// the input starts with the Memento magic].
    #[arg(long, value_name = "FORMAT")]
    from: Option<String>,
    /// Output format: mtrace, dramsim3, ramulator, csv [default: from the
    /// output's extension, .mtrace or .csv].
    #[arg(long, value_name = "FORMAT")]
    to: Option<String>,
    /// Bytes per data access for inputs that record no sizes (ChampSim,
    /// Dinero lines without a size).
    #[arg(long, default_value_t = 8, value_name = "BYTES")]
    access_size: u32,
    /// Workload name for the header of a new trace [default: input's stem].
    #[arg(long)]
    workload: Option<String>,
    /// Skip damaged chunks of a Memento input instead of stopping.
    #[arg(long)]
    keep_going: bool,
}

/// Runs a trace subcommand.
pub fn run(command: TraceCommand) -> Result<(), UserError> {
    match command {
        TraceCommand::Info(args) => info(args),
        TraceCommand::Convert(args) => convert(args),
        TraceCommand::Sites(args) => sites(args),
    }
}

fn sites(args: SitesArgs) -> Result<(), UserError> {
    let trace = TraceFile::open(&args.file)?;
    let mut counter = SiteCounter::new();
    sites::each_event(&trace, |event| counter.push(event))?;
    let mut symbolizer = Symbolizer::new(&trace.metadata()?.modules);
    let sites = counter.finish(args.top, &mut symbolizer);
    if args.json {
        println!("{}", sites::render_json(&sites));
    } else if sites.is_empty() {
        println!("no allocations in {}", args.file.display());
    } else {
        print!("{}", sites::render_text(&sites));
    }
    Ok(())
}

fn info(args: InfoArgs) -> Result<(), UserError> {
    let mut reports = Vec::new();
    for path in &args.files {
        reports.push(info_of(path, args.keep_going)?);
    }
    if args.json {
        let json: Vec<String> = reports.iter().map(trace_info::render_json).collect();
        match json.len() {
            1 => println!("{}", json[0]),
            _ => println!("[{}]", json.join(",\n")),
        }
    } else {
        let text: Vec<String> = reports.iter().map(trace_info::render_text).collect();
        print!("{}", text.join("\n"));
    }
    Ok(())
}

/// Reads and summarises one trace for `trace info` (and `workloads
/// profile`); with `keep_going`, damaged chunks are listed and skipped.
pub(crate) fn info_of(path: &Path, keep_going: bool) -> Result<TraceInfo, UserError> {
    let trace = TraceFile::open(path)?.keep_going(keep_going);
    let mut summarizer = Summarizer::new(trace.header().page_size);
    let mut skipped_errors = Vec::new();
    let mut failure = None;
    // Internal iteration: the reader's fast path. Without --keep-going the
    // events end at the first error.
    trace.events().for_each(|event| match event {
        Ok(event) => summarizer.push(&event),
        Err(error) if keep_going => skipped_errors.push(error.to_string()),
        Err(error) => failure = Some(error),
    });
    if let Some(error) = failure {
        return Err(error.into());
    }
    let chunks = trace
        .chunks()
        .filter_map(Result::ok)
        .filter(|c| c.header.kind == ChunkKind::Events)
        .count() as u64;
    Ok(TraceInfo {
        path: path.display().to_string(),
        file_bytes: trace.as_bytes().len() as u64,
        header: trace.header().clone(),
        metadata: trace.metadata()?,
        chunks,
        summary: summarizer.finish(),
        skipped_errors,
    })
}

fn starts_with_magic(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == MAGIC
}

fn convert(args: ConvertArgs) -> Result<(), UserError> {
    let from = match &args.from {
        Some(name) => InputFormat::from_name(name).ok_or_else(|| {
            UserError::new(format!(
                "--from {name}: unknown input format (use mtrace, lackey, champsim or din)"
            ))
        })?,
        None if args.input.as_os_str() != "-" && starts_with_magic(&args.input) => {
            InputFormat::Mtrace
        }
        None => {
            return Err(UserError::new(format!(
                "{}: not a Memento trace; say what it is with --from lackey|champsim|din",
                args.input.display()
            )))
        }
    };
    let extension = args.output.extension().and_then(|e| e.to_str());
    let to = match (&args.to, extension) {
        (Some(name), _) => OutputFormat::from_name(name).ok_or_else(|| {
            UserError::new(format!(
                "--to {name}: unknown output format (use mtrace, dramsim3, ramulator or csv)"
            ))
        })?,
        (None, Some("mtrace")) => OutputFormat::Mtrace,
        (None, Some("csv")) => OutputFormat::Csv,
        (None, _) => {
            return Err(UserError::new(format!(
                "{}: cannot tell the output format from its name; give --to mtrace|dramsim3|ramulator|csv",
                args.output.display()
            )))
        }
    };
    if args.access_size == 0 {
        return Err(UserError::new("--access-size must be at least 1 byte"));
    }
    let options = ConvertOptions {
        import: ImportOptions {
            access_size: args.access_size,
        },
        workload: args.workload,
        keep_going: args.keep_going,
    };
    let summary = convert::convert(&args.input, from, &args.output, to, &options)?;
    for error in &summary.skipped_errors {
        eprintln!("memento: warning: skipped: {error}");
    }
    eprintln!(
        "converted {} ({}) -> {} ({}): {} events",
        args.input.display(),
        from.name(),
        args.output.display(),
        to.name(),
        summary.events
    );
    Ok(())
}
