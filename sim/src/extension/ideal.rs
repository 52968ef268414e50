//! The paper's second baseline, an ideal Mallacc: user-space malloc and
//! free cost nothing (a malloc cache that always hits, with no latency).
//! Every allocator bracket is taken and its instructions, loads and stores
//! are dropped; the system calls inside it still run, so addresses and the
//! kernel path are the traced ones.

use memento_trace::Event;

use super::stats::{ExtensionStats, RemovedWork};
use crate::allocator::AllocatorModel;
use crate::config::{Config, ConfigError};
use crate::machine::Machine;
use crate::stats::Stats;

/// The ideal-Mallacc model.
#[derive(Clone, Debug, Default)]
pub struct IdealMallacc {
    removed: RemovedWork,
}

impl AllocatorModel for IdealMallacc {
    const ACTIVE: bool = true;

    fn new(_config: &Config) -> Result<IdealMallacc, ConfigError> {
        Ok(IdealMallacc::default())
    }

    fn on_enter(m: &mut Machine<Self>, _core: usize, _func: memento_trace::AllocFn) -> bool {
        m.model.removed.brackets += 1;
        true
    }

    fn on_held(m: &mut Machine<Self>, core: usize, event: Event, depth: u32) {
        if m.model.removed.remove(&event) {
            m.count_dropped(core, &event, depth);
        } else {
            m.replay_events(core, [event]);
        }
    }

    fn reset_stats(&mut self) {
        self.removed = RemovedWork::default();
    }

    fn report(&self, stats: &mut Stats) {
        stats.extension = Some(ExtensionStats {
            allocator: "ideal-mallacc".into(),
            removed: self.removed.clone(),
            ..ExtensionStats::default()
        });
    }
}
