//! Which of our captured functions stands in for each trace function: the
//! traces name functions by hashes, our captures by what they run.

use std::collections::BTreeMap;

use thiserror::Error;

use super::{substream, TraceFunction};

/// How trace functions are assigned to ours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mapping {
    /// An explicit table: trace function name -> our function name. Every
    /// trace function must be in it and every name it gives must be ours.
    ByName(BTreeMap<String, String>),
    /// The most-invoked trace function gets our first function, the next
    /// our second, cycling through ours (ties broken by trace order).
    ByRank,
    /// Each trace function gets one of ours uniformly at random.
    Random {
        /// The seed; the same seed gives the same assignment.
        seed: u64,
    },
}

/// Why a mapping could not be made.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum MappingError {
    /// No functions of ours to map onto.
    #[error("no functions to map the trace onto; give at least one captured function name")]
    NoFunctions,
    /// The table names a function we do not have.
    #[error("the mapping table maps trace function '{trace}' to '{ours}', which is not one of ours ({known}); fix the name or add the function")]
    UnknownName {
        /// The trace function.
        trace: String,
        /// The unknown name.
        ours: String,
        /// Our functions, comma-separated.
        known: String,
    },
    /// A trace function is not in the table.
    #[error("trace function '{trace}' (app '{app}') is not in the mapping table; add it")]
    Unmapped {
        /// The trace function.
        trace: String,
        /// Its application.
        app: String,
    },
}

impl Mapping {
    /// For each of `functions`, the index in `ours` of the function that
    /// stands in for it.
    pub fn assign<S: AsRef<str>>(
        &self,
        functions: &[TraceFunction],
        ours: &[S],
    ) -> Result<Vec<usize>, MappingError> {
        if ours.is_empty() {
            return Err(MappingError::NoFunctions);
        }
        match self {
            Mapping::ByName(table) => {
                let index: BTreeMap<&str, usize> = ours
                    .iter()
                    .enumerate()
                    .rev() // the first of duplicate names wins
                    .map(|(i, s)| (s.as_ref(), i))
                    .collect();
                functions
                    .iter()
                    .map(|f| {
                        let name = table.get(&f.name).ok_or_else(|| MappingError::Unmapped {
                            trace: f.name.clone(),
                            app: f.app.clone(),
                        })?;
                        index
                            .get(name.as_str())
                            .copied()
                            .ok_or_else(|| MappingError::UnknownName {
                                trace: f.name.clone(),
                                ours: name.clone(),
                                known: ours
                                    .iter()
                                    .map(|s| s.as_ref())
                                    .collect::<Vec<_>>()
                                    .join(", "),
                            })
                    })
                    .collect()
            }
            Mapping::ByRank => {
                let mut order: Vec<usize> = (0..functions.len()).collect();
                // Stable: equal counts keep trace order.
                order.sort_by(|&a, &b| functions[b].invocations.cmp(&functions[a].invocations));
                let mut out = vec![0; functions.len()];
                for (rank, &f) in order.iter().enumerate() {
                    out[f] = rank % ours.len();
                }
                Ok(out)
            }
            Mapping::Random { seed } => {
                let mut rng = substream(*seed, 0);
                Ok(functions
                    .iter()
                    .map(|_| rng.below(ours.len() as u64) as usize)
                    .collect())
            }
        }
    }
}
