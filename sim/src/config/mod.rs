//! The machine's configuration: TOML through serde, validated so that every
//! error names the field at fault, with presets kept as data files.

mod branch;
mod memento;
mod validate;

pub use crate::cache::replacement::Replacement;
pub use branch::{BranchConfig, PredictorKind};
pub use memento::{param_error, AllocatorKind, MementoConfig, Placement};

use serde::{Deserialize, Serialize};

use std::path::{Path, PathBuf};

pub use crate::dram::{DramConfig, MapField, RefreshPolicy, RowPolicy};

/// A whole machine: cores, caches, TLBs, kernel costs and DRAM.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Name shown in reports.
    pub name: String,
    /// Number of cores; each replays one event stream.
    pub cores: u32,
    /// Core clock in MHz; every latency below is in core cycles.
    pub frequency_mhz: u32,
    /// Cache line size in bytes, the same at every level.
    pub line_size: u32,
    /// Page size in bytes.
    pub page_size: u32,
    /// Seed of the random replacement policy.
    pub seed: u64,
    /// Instructions each core replays before its statistics start, as
    /// ChampSim's `--warmup-instructions`: caches, TLBs and predictors
    /// learn meanwhile (`memento replay --warmup N`). 0: none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub warmup_instructions: u64,
    /// The out-of-order core.
    pub core: CoreConfig,
    /// Branch prediction of the front end. A config without a `[branch]`
    /// section predicts every branch perfectly (as before the predictors
    /// existed), which `memento config show` prints.
    #[serde(default = "BranchConfig::perfect")]
    pub branch: BranchConfig,
    /// Private first-level instruction cache.
    pub l1i: CacheConfig,
    /// Private first-level data cache.
    pub l1d: CacheConfig,
    /// Private second-level cache.
    pub l2: CacheConfig,
    /// Shared last-level cache; `sets` is per slice, one slice per core.
    pub llc: CacheConfig,
    /// Data TLBs and the page walker.
    pub tlb: TlbConfig,
    /// Kernel cost model of the baseline.
    pub kernel: KernelConfig,
    /// Main memory.
    pub dram: DramConfig,
    /// The Memento extension, or another model of memory management; when
    /// absent, the traced software allocator (`allocator = "baseline"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memento: Option<MementoConfig>,
    /// The folder of the file the config was read from, where the files it
    /// names are (not part of the TOML).
    #[serde(skip)]
    pub source_dir: Option<PathBuf>,
}

/// The interval / ROB-window core.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoreConfig {
    /// Instructions dispatched and retired per cycle.
    pub width: u32,
    /// Cycles per instruction when nothing stalls (at least `1 / width`).
    pub base_cpi: f64,
    /// Reorder-buffer entries: misses closer than this overlap.
    pub rob: u32,
    /// Load-queue entries (loads from dispatch to retire).
    pub load_queue: u32,
    /// Store-queue entries (stores from dispatch to retire).
    pub store_queue: u32,
    /// Store-buffer entries (retired stores not yet written to L1D).
    pub store_buffer: u32,
    /// How loads are judged dependent, as the trace has no registers.
    pub load_dependence: LoadDependence,
    /// Physical registers for results in flight, 0 (the default) for no
    /// limit but the ROB. A trace does not say which instructions write a
    /// register, so each instruction in flight holds one: the window is
    /// the smaller of this and `rob` (ChampSim's `register_file_size`).
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub register_file: u32,
    /// When a store's write (its read for ownership) starts: `at-issue`,
    /// the default, as soon as its address is known; `at-retire`, once it
    /// and everything before it have retired, as in ChampSim, whose stores
    /// reach the L1D from the store queue after retirement.
    #[serde(default, skip_serializing_if = "StoreWrite::is_at_issue")]
    pub store_write: StoreWrite,
}

/// When a store's write starts ([`CoreConfig::store_write`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreWrite {
    /// When the store issues: its miss overlaps the loads before it.
    #[default]
    AtIssue,
    /// When it retires, in order: its miss starts after the older
    /// instructions' misses have returned.
    AtRetire,
}

impl StoreWrite {
    fn is_at_issue(&self) -> bool {
        *self == StoreWrite::AtIssue
    }
}

/// How the core decides that a load waits for the load before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoadDependence {
    /// Every load is independent: only the ROB, queues and MSHRs limit
    /// memory-level parallelism.
    Independent,
    /// A load depends on the previous load when that one read an aligned
    /// pointer (8 bytes) and the address does not continue the stride
    /// between the two loads before: the signature of a pointer chase.
    PointerChase,
    /// The trace names each load's producer (`Event::Dep`, format version
    /// 2): a load or store waits for exactly that load; the rest are
    /// independent. Refused for a trace that does not record dependences.
    Trace,
    /// `trace` when every trace replayed records dependences, else
    /// `pointer-chase`: what the presets use. Resolved when the traces are
    /// opened ([`LoadDependence::resolve`]).
    Auto,
}

impl LoadDependence {
    /// The mode to replay with, given whether every trace records
    /// dependences: `auto` becomes `trace` or `pointer-chase`; `trace`
    /// without dependences is an error naming the field.
    pub fn resolve(self, traces_have_dependences: bool) -> Result<LoadDependence, String> {
        match self {
            LoadDependence::Auto if traces_have_dependences => Ok(LoadDependence::Trace),
            LoadDependence::Auto => Ok(LoadDependence::PointerChase),
            LoadDependence::Trace if !traces_have_dependences => Err(
                "core.load_dependence = \"trace\", but a trace records no load dependences \
                 (format version 1, or an importer without registers such as Lackey or \
                 Dinero); use \"auto\", \"pointer-chase\" or \"independent\""
                    .to_string(),
            ),
            other => Ok(other),
        }
    }
}

/// One cache level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// Number of sets (a power of two).
    pub sets: u32,
    /// Associativity.
    pub ways: u32,
    /// Cycles this level adds to an access that reaches it.
    pub latency: u32,
    /// Replacement policy.
    pub replacement: Replacement,
    /// Miss-status holding registers: outstanding misses before a stall.
    pub mshrs: u32,
    /// Prefetcher trained on this level's demand misses.
    pub prefetcher: PrefetcherKind,
    /// Lines a prefetcher fetches per trigger.
    pub prefetch_degree: u32,
    /// LLC only: evicting a line removes it from every private cache.
    #[serde(default, skip_serializing_if = "is_false")]
    pub inclusive: bool,
}

fn is_zero_u32(value: &u32) -> bool {
    *value == 0
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// A hardware prefetcher.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrefetcherKind {
    /// No prefetching.
    None,
    /// On a miss to line L, fetch L+1 .. L+degree.
    NextLine,
    /// Per 4 KiB region, detect a constant stride and run ahead of it.
    Stride,
}

/// The data TLBs and the page walker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlbConfig {
    /// First-level data TLB.
    pub dtlb: TlbLevelConfig,
    /// Second-level (shared instruction and data) TLB.
    pub stlb: TlbLevelConfig,
    /// Levels of the radix page table walked on an STLB miss.
    pub walk_levels: u32,
    /// Entries of the page-structure cache of upper-level entries (0: none).
    pub walk_cache: u32,
    /// Cycles added to the translation of the first access to each page,
    /// as latency of that access alone (ChampSim's `minor_fault_penalty`),
    /// for traces without the kernel events our page faults come from
    /// (imported ones). 0, the default, adds nothing; page faults of known
    /// mappings are kernel work either way (`kernel.page_fault_cycles`).
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub first_touch_cycles: u32,
    /// Where a walk finds the entries of one level: `packed` (the
    /// default), 8-byte entries side by side, 8 to a 64-byte line, as in
    /// x86's 512-entry tables; `line-per-entry`, each entry in a line of
    /// its own, so no two pages' walks share a line; `champsim`, ChampSim's
    /// walker (see [`PageTableLayout::Champsim`]).
    #[serde(default, skip_serializing_if = "PageTableLayout::is_packed")]
    pub page_table_layout: PageTableLayout,
    /// Walks one core can have in flight at once (ChampSim's walker
    /// `mshr_size`); a walk past them waits for the first to end. 0, the
    /// default, for no limit.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub page_walkers: u32,
}

/// How the page table's entries sit in cache lines
/// ([`TlbConfig::page_table_layout`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PageTableLayout {
    /// 8-byte entries side by side (x86).
    #[default]
    Packed,
    /// Each entry in a line of its own.
    LinePerEntry,
    /// As ChampSim's `VirtualMemory` and walker: each entry in a 4 KiB
    /// page of its own, at its index in that page; and a walk that finds
    /// its 2 MiB region in the walk cache reads its leaf entry at its index
    /// in the page of the leaf entry the region's last walk returned, so a
    /// page's walks read changing lines (for validation against ChampSim;
    /// sim/VALIDATION.md, "Page walks").
    Champsim,
}

impl PageTableLayout {
    fn is_packed(&self) -> bool {
        *self == PageTableLayout::Packed
    }
}

/// One TLB level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlbLevelConfig {
    /// Number of sets (a power of two).
    pub sets: u32,
    /// Associativity.
    pub ways: u32,
    /// Cycles a lookup at this level adds.
    pub latency: u32,
}

/// Costs of the kernel's memory management, in core cycles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelConfig {
    /// First touch of an anonymous page: the fault itself, without zeroing.
    pub page_fault_cycles: u32,
    /// Whether a faulted anonymous page is zeroed through the caches.
    pub zero_pages: bool,
    /// Cycles to zero one line (full-line stores, no read for ownership).
    pub zero_line_cycles: u32,
    /// One `mmap` call.
    pub mmap_cycles: u32,
    /// One `munmap` call.
    pub munmap_cycles: u32,
    /// Each mapped page that `munmap` or `madvise` drops.
    pub unmap_page_cycles: u32,
    /// One `brk` call.
    pub brk_cycles: u32,
    /// One `madvise` call.
    pub madvise_cycles: u32,
    /// One `mremap` call.
    pub mremap_cycles: u32,
}

/// A configuration that could not be read or is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {field}: {message}")]
pub struct ConfigError {
    /// Where the text came from (a file name or a preset name).
    pub source_name: String,
    /// Dotted path of the field at fault (`l1d.sets`), or `(syntax)`.
    pub field: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// The machines of the presets, as data.
const MACHINES: &[(&str, &str)] = &[
    ("micro23", include_str!("../../presets/micro23.toml")),
    ("small", include_str!("../../presets/small.toml")),
    (
        "dramsim3-ddr4",
        include_str!("../../presets/dramsim3-ddr4.toml"),
    ),
    ("champsim", include_str!("../../presets/champsim.toml")),
];

/// The extension's section, appended to a machine for `<machine>-memento`.
const MEMENTO: &str = include_str!("../../presets/memento.toml");

impl Config {
    /// Settles `core.load_dependence = "auto"` for traces that do (or do
    /// not all) record load dependences; an error, naming the field, for
    /// `"trace"` when they do not. Call it once the traces' headers are read.
    pub fn resolve_load_dependence(&mut self, traces_have_dependences: bool) -> Result<(), String> {
        self.core.load_dependence = self.core.load_dependence.resolve(traces_have_dependences)?;
        Ok(())
    }

    /// Names of the built-in presets.
    pub const PRESETS: &'static [&'static str] = &[
        "micro23",
        "micro23-memento",
        "small",
        "small-memento",
        "dramsim3-ddr4",
        "champsim",
    ];

    /// A built-in preset: `micro23` (the paper's machine), `small`,
    /// `dramsim3-ddr4` (micro23 over the DRAM of DRAMsim3's
    /// `DDR4_8Gb_x8_3200.ini`), or any of them with `-memento` (the
    /// extension on).
    pub fn preset(name: &str) -> Result<Config, ConfigError> {
        let (machine, memento) = match name.strip_suffix("-memento") {
            Some(machine) => (machine, true),
            None => (name, false),
        };
        match MACHINES.iter().find(|(n, _)| *n == machine) {
            Some((_, text)) if memento => {
                let text = format!("{text}{MEMENTO}");
                let mut config = Config::from_toml_str(&text, &format!("preset {name}"))?;
                config.name = name.to_string();
                Ok(config)
            }
            Some((n, text)) => Config::from_toml_str(text, &format!("preset {n}")),
            None => Err(ConfigError {
                source_name: "preset".into(),
                field: "name".into(),
                message: format!(
                    "unknown preset `{name}` (known: {})",
                    Config::PRESETS.join(", ")
                ),
            }),
        }
    }

    /// The machine of a command line or scenario: the file when one is
    /// given, else the preset (`micro23` when none is named).
    pub fn load(file: Option<&Path>, preset: Option<&str>) -> Result<Config, ConfigError> {
        match file {
            Some(path) => Config::from_file(path),
            None => Config::preset(preset.unwrap_or("micro23")),
        }
    }

    /// Reads and validates a configuration file; files it names (a DRAM
    /// standard) are found relative to its folder.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            source_name: name.clone(),
            field: "(file)".into(),
            message: e.to_string(),
        })?;
        let dir = path.parent().map(Path::to_path_buf);
        Config::parse(&text, &name, dir)
    }

    /// Parses and validates a TOML text; `source_name` (a file name) is
    /// put in front of every error. Files it names are found relative to
    /// the working folder.
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Config, ConfigError> {
        Config::parse(text, source_name, None)
    }

    fn parse(text: &str, source_name: &str, dir: Option<PathBuf>) -> Result<Config, ConfigError> {
        let value: toml::Value = toml::from_str(text).map_err(|e| ConfigError {
            source_name: source_name.into(),
            field: "(syntax)".into(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let mut config: Config = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            ConfigError {
                source_name: source_name.into(),
                field: if path == "." {
                    "(top level)".into()
                } else {
                    path
                },
                message: e.into_inner().to_string(),
            }
        })?;
        config.source_dir = dir;
        config.validate().map_err(|(field, message)| ConfigError {
            source_name: source_name.into(),
            field,
            message,
        })?;
        Ok(config)
    }

    /// The configuration as TOML, ready to edit and load again.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a Config always serialises")
    }

    /// The extension's section of the `<machine>-memento` presets, to add
    /// to a machine that has none.
    pub fn default_memento() -> MementoConfig {
        #[derive(Deserialize)]
        struct Section {
            memento: MementoConfig,
        }
        toml::from_str::<Section>(MEMENTO)
            .expect("presets/memento.toml is valid")
            .memento
    }

    /// The allocator model the config asks for.
    pub fn allocator(&self) -> AllocatorKind {
        self.memento
            .as_ref()
            .map_or(AllocatorKind::Baseline, |m| m.allocator)
    }

    /// The DRAM standard the `[dram]` section names, loaded (a
    /// `standard_file` is found relative to the config's folder).
    pub fn dram_standard(&self) -> Result<crate::dram::DramStandard, ConfigError> {
        self.dram
            .load_standard(self.source_dir.as_deref())
            .map_err(|(field, message)| ConfigError {
                source_name: self.name.clone(),
                field,
                message,
            })
    }

    /// Checks every value; the error is `(field, message)`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        validate::check(self)
    }
}
