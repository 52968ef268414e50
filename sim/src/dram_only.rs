//! The DRAM model alone (`memento dram`): the requests of a DRAM trace fed
//! to the controller and channels of [`crate::dram`] at their arrival
//! cycles, with the `[dram]` section and address mapping of a machine's
//! config, and nothing above them. Addresses are physical and used as
//! given; every time is in DRAM clock cycles.
//!
//! Arrival times: a DRAMsim3 line carries its own. Ramulator's format has
//! none; as Ramulator's trace mode sends one request per memory cycle,
//! request `n` (from 0) arrives at cycle `n`, back to back. A read that
//! finds the read queue full waits for a slot, and that wait is part of
//! its latency (and reported apart, as queue wait).
//!
//! How the requests reach the controller ([`Schedule`]): by default reads
//! join their channel's queue and are served in FR-FCFS order once nothing
//! arriving later could change the choice ([`Dram::arrive_read`]), and
//! writes go to the write queue ([`Dram::arrive_write`]); or, in order,
//! each request is served as its line comes, which replays the trace of
//! `memento replay --dram-trace` exactly. At the end the queued reads are
//! served and the write queues drained.

use crate::cause::Cause;
use crate::config::{Config, ConfigError};
use crate::dram::Dram;
use crate::stats::DramRunStats;
use memento_trace::dram_trace::DramRequest;
use memento_trace::TraceError;

/// How the driver hands reads to the controller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Schedule {
    /// Reads wait in the read queue and are served in FR-FCFS order
    /// ([`Dram::arrive_read`]), writes posted as [`Dram::arrive_write`]
    /// says: for traces of requests as they arrive.
    #[default]
    FrFcfs,
    /// Each request is served when its line comes, in the order of the
    /// trace ([`Dram::read_dram`], [`Dram::write_dram`]): for a trace whose
    /// order is already the controller's, as `memento replay --dram-trace`
    /// writes it, which this replays exactly.
    InOrder,
}

/// Feeds requests to a machine's DRAM, alone, and collects the results.
#[derive(Clone, Debug)]
pub struct DramDriver {
    dram: Dram,
    schedule: Schedule,
    config: String,
    requests: u64,
    last_arrival: u64,
}

impl DramDriver {
    /// Idle DRAM as the `[dram]` section of `config` (already validated)
    /// describes it; its standard file, if any, is found as the machine's
    /// would be.
    pub fn new(config: &Config, schedule: Schedule) -> Result<DramDriver, ConfigError> {
        // Its addresses are physical and used as given: `page_frames` places
        // a replay's pages, not a DRAM trace's.
        let standard = config.dram_standard()?;
        // Clocked as the DRAM: a "core" cycle is a DRAM cycle.
        let mut dram = Dram::new(
            &config.dram,
            &standard,
            config.line_size,
            standard.clock_mhz(),
        );
        dram.set_fill_gaps(schedule == Schedule::InOrder);
        Ok(DramDriver {
            dram,
            schedule,
            config: config.name.clone(),
            requests: 0,
            last_arrival: 0,
        })
    }

    /// One request arriving at DRAM cycle `cycle`, or, with no cycle (a
    /// Ramulator line), one cycle after the previous request.
    pub fn request(&mut self, addr: u64, write: bool, cycle: Option<u64>) {
        let at = cycle.unwrap_or(self.requests);
        self.requests += 1;
        self.last_arrival = self.last_arrival.max(at);
        match (self.schedule, write) {
            (Schedule::FrFcfs, false) => self.dram.arrive_read(addr, Cause::Demand, at),
            (Schedule::FrFcfs, true) => self.dram.arrive_write(addr, Cause::Writeback, at),
            (Schedule::InOrder, false) => {
                self.dram.read_dram(addr, Cause::Demand, at);
            }
            (Schedule::InOrder, true) => self.dram.write_dram(addr, Cause::Writeback, at),
        }
    }

    /// Serves what is still queued and returns the results.
    pub fn finish(mut self) -> DramRunStats {
        self.dram.serve_queued_reads();
        let at = self.last_arrival.max(self.dram.busy_until());
        self.dram.flush(at);
        let cycles = at.max(self.dram.busy_until());
        let c = self.dram.counters();
        let served: u64 = c.read_latency_histogram.iter().sum();
        let mean = |sum: u64| {
            if served == 0 {
                0.0
            } else {
                sum as f64 / served as f64
            }
        };
        DramRunStats {
            config: self.config,
            trace: String::new(),
            format: String::new(),
            clock_mhz: self.dram.standard().clock_mhz(),
            requests: self.requests,
            cycles,
            avg_read_latency_cycles: mean(c.read_latency_sum),
            p50_read_latency_cycles: self.dram.read_latency_percentile(50),
            p99_read_latency_cycles: self.dram.read_latency_percentile(99),
            avg_read_queue_wait_cycles: mean(c.read_queue_wait_sum),
            dram: self.dram.stats(cycles),
        }
    }
}

/// Why a DRAM-only run failed.
#[derive(Debug, thiserror::Error)]
pub enum DramRunError {
    /// The DRAM standard the config names could not be loaded.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A line of the trace did not parse (or could not be read).
    #[error(transparent)]
    Trace(#[from] TraceError),
}

/// Feeds every request of `requests` to the DRAM of `config`, scheduled
/// as `schedule` says, and returns the results, or the first error. In
/// FR-FCFS order the requests arrive in the order of their cycles (a
/// stable sort: `memento replay --dram-trace` writes them in the
/// controller's order of service, which is not always that of arrival);
/// in order, as the trace lists them.
pub fn run_dram(
    config: &Config,
    schedule: Schedule,
    requests: impl IntoIterator<Item = Result<DramRequest, TraceError>>,
) -> Result<DramRunStats, DramRunError> {
    let mut driver = DramDriver::new(config, schedule)?;
    match schedule {
        Schedule::InOrder => {
            for r in requests {
                let r = r?;
                driver.request(r.addr, r.write, r.cycle);
            }
        }
        Schedule::FrFcfs => {
            // A Ramulator line arrives one cycle after the one before.
            let mut all = requests
                .into_iter()
                .enumerate()
                .map(|(n, r)| r.map(|r| (r.cycle.unwrap_or(n as u64), r)))
                .collect::<Result<Vec<_>, _>>()?;
            all.sort_by_key(|&(at, _)| at);
            for (at, r) in all {
                driver.request(r.addr, r.write, Some(at));
            }
        }
    }
    Ok(driver.finish())
}
