//! `memento dram`: a DRAM request trace through the DRAM model alone.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use memento_sim::dram_only::{run_dram, DramRunError, Schedule};
use memento_sim::report;
use memento_trace::dram_trace::{DramStyle, DramTraceReader};
use memento_trace::{ErrorKind, TraceError};

use crate::replay_cmd::load_config;
use crate::UserError;

/// The formats of `--format`.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// `0xADDR READ|WRITE CYCLE`, the cycle in DRAM clock cycles.
    Dramsim3,
    /// `0xADDR R|W`: request n arrives at DRAM cycle n.
    Ramulator,
}

/// Arguments of `dram`.
#[derive(Args)]
pub struct DramArgs {
    /// A DRAM request trace: DRAMsim3's `0xADDR READ|WRITE CYCLE` lines
    /// (cycles in DRAM clocks) or Ramulator's `0xADDR R|W` lines (one
    /// request per DRAM cycle, back to back); physical addresses, mapped
    /// as the config says.
    trace: PathBuf,
    /// Machine configuration file whose [dram] section to use.
    #[arg(long, conflicts_with = "preset")]
    config: Option<PathBuf>,
    /// Built-in machine whose [dram] section to use (dramsim3-ddr4 matches
    /// DRAMsim3's DDR4_8Gb_x8_3200.ini) [default: micro23].
    #[arg(long)]
    preset: Option<String>,
    /// The trace's format [default: from its first non-blank line: three
    /// fields DRAMsim3, two Ramulator].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Serve each request as its line comes, in the trace's order, instead
    /// of in FR-FCFS order from the read queue: for the traces of `memento
    /// replay --dram-trace`, whose order is already the controller's (they
    /// then give the replay's DRAM statistics exactly).
    #[arg(long)]
    in_order: bool,
    /// Print JSON instead of a table.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV instead of a table.
    #[arg(long)]
    csv: bool,
}

/// Runs `dram`.
pub fn run(args: DramArgs) -> Result<(), UserError> {
    let config = load_config(args.config.as_ref(), args.preset.as_deref())?;
    let file = File::open(&args.trace)
        .map_err(|e| UserError::from(TraceError::file(&args.trace, ErrorKind::Io(e))))?;
    let style = args.format.map(|f| match f {
        Format::Dramsim3 => DramStyle::Dramsim3,
        Format::Ramulator => DramStyle::Ramulator,
    });
    let mut reader = DramTraceReader::new(BufReader::new(file), &args.trace, style);
    let schedule = if args.in_order {
        Schedule::InOrder
    } else {
        Schedule::FrFcfs
    };
    let mut stats = run_dram(&config, schedule, &mut reader).map_err(|e| match e {
        DramRunError::Config(e) => UserError::from(e),
        DramRunError::Trace(e) => UserError::from(e),
    })?;
    stats.trace = args.trace.display().to_string();
    stats.format = reader.style().map_or("empty", DramStyle::name).to_string();
    if args.json {
        println!("{}", report::dram_json(&stats));
    } else if args.csv {
        print!("{}", report::dram_csv(&stats));
    } else {
        print!("{}", report::dram_text(&stats));
    }
    Ok(())
}
