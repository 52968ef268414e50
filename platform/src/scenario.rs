//! A scenario file (TOML): the node, our functions and their traces, where
//! arrivals come from and how trace functions map onto ours, the policies
//! and the prices. Every field is checked; an unknown one is an error that
//! names it. Paths are relative to the scenario file's folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use memento_analysis::compare::Mode;
use serde::Deserialize;

use crate::arrivals::azure2019::{self, Azure2019Files, Azure2019Options, Spread};
use crate::arrivals::generate::{self, Generator, Process};
use crate::arrivals::mapping::Mapping;
use crate::arrivals::{azure2021, Arrival, Schedule, TraceFunction, US_PER_S};
use crate::cost::{ColdCosts, RestoreCosts};
use crate::harvest::HarvestPolicy;
use crate::keepalive::KeepAliveConfig;
use crate::measure::FunctionTraces;
use crate::node::{NodeConfig, Policies};
use crate::snapshot::SnapshotConfig;

const MIB: u64 = 1 << 20;

/// A scenario as its file spells it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Seed of every random choice (default 1).
    #[serde(default = "one")]
    pub seed: u64,
    /// Modes to run side by side: `baseline`, `memento` (default both).
    #[serde(default = "both_modes")]
    pub modes: Vec<ModeName>,
    /// The node.
    pub node: NodeSection,
    /// Our functions by name.
    pub functions: BTreeMap<String, FunctionSection>,
    /// Where arrivals come from.
    pub arrivals: ArrivalsSection,
    /// How trace functions map onto ours (default: by popularity rank).
    #[serde(default)]
    pub mapping: MappingSection,
    /// Keep-alive policy (default: fixed, 10 minutes).
    #[serde(default)]
    pub keep_alive: KeepAliveConfig,
    /// Snapshot policy (default: never).
    #[serde(default)]
    pub snapshot: SnapshotConfig,
    /// Harvest policy (default: fixed).
    #[serde(default)]
    pub harvest: HarvestPolicy,
    /// Cold-start costs beside the trace.
    #[serde(default)]
    pub cold: ColdCosts,
    /// Restore costs.
    #[serde(default)]
    pub restore: RestoreCosts,
    /// Prices.
    #[serde(default)]
    pub price: Price,
    /// The scenario file's folder (set when loaded).
    #[serde(skip)]
    pub dir: PathBuf,
}

fn one() -> u64 {
    1
}

fn both_modes() -> Vec<ModeName> {
    vec![ModeName::Baseline, ModeName::Memento]
}

/// A mode of the machine model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModeName {
    /// The traced software allocator.
    Baseline,
    /// The Memento extension.
    Memento,
}

impl ModeName {
    /// The machine model's mode.
    pub fn mode(self) -> Mode {
        match self {
            ModeName::Baseline => Mode::BASELINE,
            ModeName::Memento => Mode::MEMENTO,
        }
    }

    /// Its name in scenario files and reports.
    pub fn name(self) -> &'static str {
        match self {
            ModeName::Baseline => "baseline",
            ModeName::Memento => "memento",
        }
    }
}

/// `[node]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSection {
    /// Cores (1 to 1024).
    pub cores: u32,
    /// Memory for instances, MiB.
    pub memory_mb: u64,
    /// A built-in machine (default `micro23`).
    pub preset: Option<String>,
    /// A machine config file instead.
    pub config: Option<PathBuf>,
}

/// `[functions.NAME]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionSection {
    /// The cold trace: start-up and first invocation.
    pub cold: PathBuf,
    /// The warm trace.
    pub warm: PathBuf,
    /// The memory size a user would configure, MiB.
    pub memory_mb: u64,
}

/// `[arrivals]`, by `source`.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "source", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ArrivalsSection {
    /// One trace function arriving at the given instants.
    Times {
        /// Seconds from the start.
        times_s: Vec<f64>,
    },
    /// Azure Functions 2019.
    Azure2019 {
        /// `invocations_per_function_md.anon.dNN.csv`.
        invocations: PathBuf,
        /// `function_durations_percentiles.anon.dNN.csv`.
        durations: Option<PathBuf>,
        /// `app_memory_percentiles.anon.dNN.csv`.
        memory: Option<PathBuf>,
        /// `uniform` (default) or `poisson` within each minute.
        #[serde(default)]
        spread: SpreadName,
        /// Read only the first minutes.
        minutes: Option<u32>,
    },
    /// Azure Functions 2021.
    Azure2021 {
        /// The invocation trace.
        path: PathBuf,
    },
    /// A seeded Poisson process.
    Poisson {
        /// Trace functions.
        functions: u32,
        /// Length, seconds.
        duration_s: f64,
        /// Arrivals per minute, node-wide.
        rate_per_min: f64,
        /// Zipf exponent of popularity (default 1).
        #[serde(default = "zipf")]
        zipf_exponent: f64,
    },
    /// A seeded on/off modulated Poisson process.
    Bursty {
        /// Trace functions.
        functions: u32,
        /// Length, seconds.
        duration_s: f64,
        /// Arrivals per minute in a burst.
        burst_rate_per_min: f64,
        /// Arrivals per minute between bursts.
        gap_rate_per_min: f64,
        /// Mean burst, seconds.
        mean_burst_s: f64,
        /// Mean gap, seconds.
        mean_gap_s: f64,
        /// Zipf exponent of popularity (default 1).
        #[serde(default = "zipf")]
        zipf_exponent: f64,
    },
    /// A seeded Poisson process with a daily cycle.
    Diurnal {
        /// Trace functions.
        functions: u32,
        /// Length, seconds.
        duration_s: f64,
        /// Mean arrivals per minute.
        mean_rate_per_min: f64,
        /// Peak over trough rate.
        peak_to_trough: f64,
        /// Hour of the peak.
        peak_hour: f64,
        /// Zipf exponent of popularity (default 1).
        #[serde(default = "zipf")]
        zipf_exponent: f64,
    },
}

fn zipf() -> f64 {
    1.0
}

/// How a 2019 minute's count is spread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpreadName {
    /// Evenly.
    #[default]
    Uniform,
    /// As a Poisson process (seeded by the scenario's seed).
    Poisson,
}

/// `[mapping]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingSection {
    /// `rank` (default), `random` or `name`.
    #[serde(default)]
    pub by: MappingKind,
    /// For `name`: trace function name -> our function name.
    #[serde(default)]
    pub names: BTreeMap<String, String>,
}

/// How trace functions are given ours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MappingKind {
    /// By popularity rank.
    #[default]
    Rank,
    /// At random (seeded).
    Random,
    /// By the `names` table.
    Name,
}

/// `[price]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Price {
    /// Dollars per GB-second: AWS Lambda's x86 price, 0.0000166667.
    pub per_gb_s: f64,
}

impl Default for Price {
    fn default() -> Self {
        Price {
            per_gb_s: 0.000_016_666_7,
        }
    }
}

/// A scenario that cannot be used: the file, the field and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {field}: {message}")]
pub struct ScenarioError {
    /// The scenario file (or the file it names).
    pub file: String,
    /// The field at fault, as the file spells it.
    pub field: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl Scenario {
    /// Reads and checks the scenario at `path`.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let err = |field: &str, message: String| ScenarioError {
            file: path.display().to_string(),
            field: field.into(),
            message,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| err("(file)", format!("cannot read it: {e}")))?;
        let de = toml::Deserializer::parse(&text).map_err(|e| err("(syntax)", e.to_string()))?;
        let mut s: Scenario = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            err(&field, e.into_inner().message().to_string())
        })?;
        s.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        s.check().map_err(|(field, message)| err(&field, message))?;
        Ok(s)
    }

    fn check(&self) -> Result<(), (String, String)> {
        let bad = |f: &str, m: &str| Err((f.to_string(), m.to_string()));
        if !(1..=1024).contains(&self.node.cores) {
            return bad("node.cores", "give 1 to 1024 cores");
        }
        if self.node.memory_mb == 0 {
            return bad("node.memory_mb", "give the node's memory in MiB (above 0)");
        }
        if self.node.preset.is_some() && self.node.config.is_some() {
            return bad("node.config", "give node.preset or node.config, not both");
        }
        if self.modes.is_empty() {
            return bad("modes", "name at least one of \"baseline\", \"memento\"");
        }
        if self.functions.is_empty() {
            return bad(
                "functions",
                "add at least one [functions.NAME] with cold, warm and memory_mb",
            );
        }
        for (name, f) in &self.functions {
            if f.memory_mb == 0 || f.memory_mb > self.node.memory_mb {
                return Err((
                    format!("functions.{name}.memory_mb"),
                    format!("give 1 to node.memory_mb ({}) MiB", self.node.memory_mb),
                ));
            }
        }
        if let ArrivalsSection::Times { times_s } = &self.arrivals {
            if times_s.iter().any(|t| !(t.is_finite() && *t >= 0.0)) {
                return bad("arrivals.times_s", "every time is a number of seconds >= 0");
            }
        }
        if self.mapping.by != MappingKind::Name && !self.mapping.names.is_empty() {
            return bad("mapping.names", "names are for by = \"name\"");
        }
        if !(self.price.per_gb_s >= 0.0 && self.price.per_gb_s.is_finite()) {
            return bad(
                "price.per_gb_s",
                "give a price >= 0 in dollars per GB-second",
            );
        }
        let policy = |e: crate::keepalive::ParamError| {
            Err((
                e.field.to_string(),
                format!("{} is {}: {}", e.field, e.value, e.allowed),
            ))
        };
        if let Err(e) = self.keep_alive.check() {
            return policy(e);
        }
        if let Err(e) = self.snapshot.check() {
            return policy(e);
        }
        if let Err(e) = self.harvest.check() {
            return policy(e);
        }
        if let Err(e) = self.restore.check() {
            return policy(e);
        }
        if let Err(e) = self.cold.check() {
            return policy(e);
        }
        Ok(())
    }

    fn path(&self, p: &Path) -> PathBuf {
        self.dir.join(p)
    }

    /// The node's resources.
    pub fn node(&self) -> NodeConfig {
        NodeConfig {
            cores: self.node.cores,
            memory_bytes: self.node.memory_mb * MIB,
        }
    }

    /// The policies.
    pub fn policies(&self) -> Policies {
        Policies {
            keep_alive: self.keep_alive.clone(),
            snapshot: self.snapshot.clone(),
            harvest: self.harvest.clone(),
            cold: self.cold.clone(),
            restore: self.restore.clone(),
            seed: self.seed,
        }
    }

    /// Our functions with their traces, in name order.
    pub fn functions(&self) -> Vec<FunctionTraces> {
        self.functions
            .iter()
            .map(|(name, f)| FunctionTraces {
                name: name.clone(),
                cold: self.path(&f.cold),
                warm: self.path(&f.warm),
                user_bytes: f.memory_mb * MIB,
            })
            .collect()
    }

    /// The machine config file, resolved.
    pub fn machine_config(&self) -> Option<PathBuf> {
        self.node.config.as_ref().map(|p| self.path(p))
    }

    /// The arrivals and, for each trace function, the index of ours it
    /// runs.
    pub fn schedule(&self) -> Result<(Schedule, Vec<usize>), ScenarioError> {
        let err = |file: &Path, field: &str, message: String| ScenarioError {
            file: file.display().to_string(),
            field: field.into(),
            message,
        };
        let here = self.dir.join("(scenario)");
        let generated = |functions, duration_s: f64, process, zipf_exponent| {
            generate::generate(&Generator {
                functions,
                duration_us: (duration_s * US_PER_S as f64) as u64,
                process,
                zipf_exponent,
                seed: self.seed,
            })
            .map_err(|e| err(&here, "arrivals", e.to_string()))
        };
        let schedule = match &self.arrivals {
            ArrivalsSection::Times { times_s } => {
                let arrivals: Vec<Arrival> = times_s
                    .iter()
                    .map(|t| Arrival {
                        at_us: (t * US_PER_S as f64).round() as u64,
                        function: 0,
                        duration_us: None,
                    })
                    .collect();
                let span = arrivals.iter().map(|a| a.at_us).max().unwrap_or(0);
                Schedule::from_parts(vec![TraceFunction::new("app", "times", 0)], arrivals, span)
            }
            ArrivalsSection::Azure2019 {
                invocations,
                durations,
                memory,
                spread,
                minutes,
            } => {
                let files = Azure2019Files {
                    invocations: self.path(invocations),
                    durations: durations.as_ref().map(|p| self.path(p)),
                    memory: memory.as_ref().map(|p| self.path(p)),
                };
                let options = Azure2019Options {
                    spread: match spread {
                        SpreadName::Uniform => Spread::Uniform,
                        SpreadName::Poisson => Spread::Poisson { seed: self.seed },
                    },
                    minutes: *minutes,
                };
                azure2019::load(&files, &options)
                    .map_err(|e| err(&files.invocations, "arrivals", e.to_string()))?
            }
            ArrivalsSection::Azure2021 { path } => azure2021::load(self.path(path))
                .map_err(|e| err(&self.path(path), "arrivals.path", e.to_string()))?,
            ArrivalsSection::Poisson {
                functions,
                duration_s,
                rate_per_min,
                zipf_exponent,
            } => generated(
                *functions,
                *duration_s,
                Process::Poisson {
                    rate_per_min: *rate_per_min,
                },
                *zipf_exponent,
            )?,
            ArrivalsSection::Bursty {
                functions,
                duration_s,
                burst_rate_per_min,
                gap_rate_per_min,
                mean_burst_s,
                mean_gap_s,
                zipf_exponent,
            } => generated(
                *functions,
                *duration_s,
                Process::Bursty {
                    burst_rate_per_min: *burst_rate_per_min,
                    gap_rate_per_min: *gap_rate_per_min,
                    mean_burst_s: *mean_burst_s,
                    mean_gap_s: *mean_gap_s,
                },
                *zipf_exponent,
            )?,
            ArrivalsSection::Diurnal {
                functions,
                duration_s,
                mean_rate_per_min,
                peak_to_trough,
                peak_hour,
                zipf_exponent,
            } => generated(
                *functions,
                *duration_s,
                Process::Diurnal {
                    mean_rate_per_min: *mean_rate_per_min,
                    peak_to_trough: *peak_to_trough,
                    peak_hour: *peak_hour,
                },
                *zipf_exponent,
            )?,
        };
        let mapping = match self.mapping.by {
            MappingKind::Rank => Mapping::ByRank,
            MappingKind::Random => Mapping::Random { seed: self.seed },
            MappingKind::Name => Mapping::ByName(self.mapping.names.clone()),
        };
        let ours: Vec<&str> = self.functions.keys().map(String::as_str).collect();
        let assignment = mapping
            .assign(&schedule.functions, &ours)
            .map_err(|e| err(&here, "mapping", e.to_string()))?;
        Ok((schedule, assignment))
    }
}
