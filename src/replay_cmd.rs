//! `memento replay`: traces through the machine model.

use std::cell::RefCell;
use std::io::BufWriter;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::rc::Rc;

use clap::Args;
use memento_analysis::compare::trace_name;
use memento_sim::config::AllocatorKind;
use memento_sim::dram::{DramRequestSink, RequestWriter};
use memento_sim::machine::FallibleRunError;
use memento_sim::stats::TraceId;
use memento_sim::{report, Config, Drive};
use memento_trace::atomic::AtomicFile;
use memento_trace::{Drain, ErrorKind, Event, TraceError, TraceFile};
use memento_workloads::suite::Manifest;

use crate::UserError;

/// Arguments of `replay`.
#[derive(Args)]
pub struct ReplayArgs {
    /// Memento traces, one per core.
    #[arg(required = true)]
    traces: Vec<PathBuf>,
    /// Machine configuration file (TOML; start from `memento config show`).
    #[arg(long, conflicts_with = "preset")]
    config: Option<PathBuf>,
    /// Built-in machine: micro23 (the paper's), small, dramsim3-ddr4
    /// (micro23 over DRAMsim3's DDR4_8Gb_x8_3200.ini), champsim
    /// (ChampSim's defaults), or any with -memento (the extension on)
    /// [default: micro23].
    #[arg(long)]
    preset: Option<String>,
    /// Memory management to model: baseline (the traced allocator and
    /// kernel), memento (the extension; the machine's [memento] section,
    /// or the presets' when it has none) or ideal-mallacc.
    #[arg(long, value_parser = parse_allocator)]
    allocator: Option<AllocatorKind>,
    /// Cores of the machine [default: one per trace].
    #[arg(long)]
    cores: Option<u32>,
    /// Replay the traces as threads of one process (one address space)
    /// instead of co-located functions.
    #[arg(long)]
    shared: bool,
    /// Instructions each core replays first, with caches, TLBs and branch
    /// predictors learning, before the statistics start (as ChampSim's
    /// --warmup-instructions; overrides the config's warmup_instructions).
    #[arg(long, value_name = "N")]
    warmup: Option<u64>,
    /// Also write every request that reaches the memory controller
    /// (demand reads, prefetches, writebacks, page-walk reads, ...), with
    /// its arrival in DRAM cycles, to this file as a DRAMsim3 trace, in the
    /// order the controller receives them (`memento dram` reads it back).
    #[arg(long, value_name = "OUT")]
    dram_trace: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV instead of a table.
    #[arg(long)]
    csv: bool,
}

/// The runtime a trace ran on: the suite manifest's for its workload
/// (`python`, `cpp`, `rust`, `node`), else what its header says (`native`
/// for compiled code), or `unknown`.
pub fn runtime_of(file: &TraceFile) -> String {
    static MANIFEST: std::sync::OnceLock<Option<Manifest>> = std::sync::OnceLock::new();
    let manifest = MANIFEST.get_or_init(|| {
        Manifest::load(&memento_workloads::suite::workloads_dir().join("manifest.toml")).ok()
    });
    let header = file.header();
    if let Some(f) = manifest.as_ref().and_then(|m| m.get(&header.workload)) {
        return f.runtime.to_string();
    }
    if header.runtime.is_empty() {
        "unknown".into()
    } else {
        header.runtime.clone()
    }
}

/// Parses `--allocator`.
fn parse_allocator(text: &str) -> Result<AllocatorKind, String> {
    match text {
        "baseline" => Ok(AllocatorKind::Baseline),
        "memento" => Ok(AllocatorKind::Memento),
        "ideal-mallacc" => Ok(AllocatorKind::IdealMallacc),
        other => Err(format!(
            "unknown allocator `{other}` (known: baseline, memento, ideal-mallacc)"
        )),
    }
}

/// Sets the allocator model of `config`, adding the extension's default
/// section when the machine has none.
pub fn set_allocator(config: &mut Config, kind: AllocatorKind) {
    config
        .memento
        .get_or_insert_with(Config::default_memento)
        .allocator = kind;
}

/// Loads the machine from `--config` or `--preset`.
pub fn load_config(config: Option<&PathBuf>, preset: Option<&str>) -> Result<Config, UserError> {
    Ok(Config::load(config.map(PathBuf::as_path), preset)?)
}

/// Counts replayed events on a terminal progress line.
struct Progress<D> {
    inner: D,
    bar: indicatif::ProgressBar,
    pending: u64,
}

/// Counts the items on their way to the machine's drain.
struct Counting<'a, R> {
    drain: &'a mut R,
    bar: &'a indicatif::ProgressBar,
    pending: &'a mut u64,
}

impl<R> Counting<'_, R> {
    /// One more item; the bar moves every 2^20.
    #[inline(always)]
    fn count(&mut self) {
        *self.pending += 1;
        if *self.pending == 1 << 20 {
            self.bar.inc(*self.pending);
            *self.pending = 0;
        }
    }
}

impl<R: Drain> Drain for Counting<'_, R> {
    #[inline(always)]
    fn event(&mut self, event: Event) -> ControlFlow<()> {
        self.count();
        self.drain.event(event)
    }

    #[inline(always)]
    fn access(&mut self, store: bool, addr: u64, size: u32) -> ControlFlow<()> {
        self.count();
        self.drain.access(store, addr, size)
    }

    #[inline(always)]
    fn block(&mut self, addr: u64, len: u32, count: u32) -> ControlFlow<()> {
        self.count();
        self.drain.block(addr, len, count)
    }

    fn error(&mut self, error: TraceError) -> ControlFlow<()> {
        self.count();
        self.drain.error(error)
    }
}

impl<D: Drive> Drive for Progress<D> {
    #[inline(always)]
    fn drive(&mut self, drain: &mut impl Drain) -> bool {
        self.inner.drive(&mut Counting {
            drain,
            bar: &self.bar,
            pending: &mut self.pending,
        })
    }
}

/// Runs `replay`.
pub fn run(args: ReplayArgs) -> Result<(), UserError> {
    let mut config = load_config(args.config.as_ref(), args.preset.as_deref())?;
    config.cores = match args.cores {
        Some(0) => return Err(UserError::new("--cores must be at least 1")),
        Some(cores) => cores,
        None => args.traces.len() as u32,
    };
    let traces = args
        .traces
        .iter()
        .map(TraceFile::open)
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(kind) = args.allocator {
        set_allocator(&mut config, kind);
    }
    if let Some(n) = args.warmup {
        config.warmup_instructions = n;
    }
    config
        .resolve_load_dependence(traces.iter().all(|t| t.header().dependences))
        .map_err(UserError::new)?;
    let bar = indicatif::ProgressBar::new_spinner().with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} replayed {human_pos} events ({per_sec}) {elapsed}",
        )
        .expect("valid template"),
    );
    let streams = traces
        .iter()
        .map(|t| Progress {
            inner: t.events(),
            bar: bar.clone(),
            pending: 0,
        })
        .collect();
    let classes = traces
        .iter()
        .map(memento_analysis::branch_class::classes_for)
        .collect::<Result<Vec<_>, _>>()?;
    let log = match &args.dram_trace {
        Some(path) => Some(Rc::new(RefCell::new(RequestWriter::new(BufWriter::new(
            AtomicFile::create(path)?,
        ))))),
        None => None,
    };
    let sink = log.clone().map(|l| l as Rc<RefCell<dyn DramRequestSink>>);
    let stats =
        memento_sim::replay_logged(&config, streams, args.shared, classes, sink).map_err(|e| {
            match e {
                FallibleRunError::Config(e) => UserError::from(e),
                FallibleRunError::Run(e) => UserError::from(e),
                FallibleRunError::Stream(e) => UserError::from(e.error),
            }
        })?;
    if let (Some(log), Some(path)) = (log, &args.dram_trace) {
        let io = |e: std::io::Error| UserError::from(TraceError::file(path, ErrorKind::Io(e)));
        let writer = Rc::try_unwrap(log)
            .map_err(|_| UserError::new("the DRAM request log is still in use"))?
            .into_inner();
        let (out, _) = writer.finish().map_err(io)?;
        out.into_inner().map_err(|e| io(e.into_error()))?.commit()?;
    }
    let mut stats = stats;
    stats.traces = args
        .traces
        .iter()
        .zip(&traces)
        .map(|(path, file)| TraceId {
            name: trace_name(path),
            runtime: runtime_of(file),
        })
        .collect();
    bar.finish_and_clear();
    if args.json {
        println!("{}", report::json(&stats));
    } else if args.csv {
        print!("{}", report::csv(&stats));
    } else {
        println!("traces: {}", trace_list(&args.traces));
        print!("{}", report::text(&stats));
    }
    Ok(())
}

/// The traces of a run for the report's first line: each distinct path
/// once, with how many cores replay it, so that a 256-core run of one
/// trace stays a short line.
fn trace_list(traces: &[PathBuf]) -> String {
    let mut distinct: Vec<(&PathBuf, usize)> = Vec::new();
    for t in traces {
        match distinct.iter_mut().find(|(p, _)| *p == t) {
            Some((_, n)) => *n += 1,
            None => distinct.push((t, 1)),
        }
    }
    distinct
        .iter()
        .map(|(p, n)| match n {
            1 => p.display().to_string(),
            n => format!("{} (x{n})", p.display()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
