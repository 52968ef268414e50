//! Seeded synthetic schedules, for load shapes the traces do not cover or
//! sizes they cannot reach.
//!
//! Rates are for the whole node. Function `i` (0 the most popular) gets a
//! Zipf share `(i + 1)^-s / sum_j (j + 1)^-s` of every rate and runs its own
//! process from its own seeded stream, so functions burst independently and
//! adding functions leaves the earlier ones' arrivals unchanged.

use std::f64::consts::TAU;

use super::{substream, Arrival, Schedule, ScheduleError, TraceFunction, US_PER_MIN, US_PER_S};

/// Most functions a generator makes.
pub const MAX_FUNCTIONS: u32 = 1_000_000;
/// Most arrivals a generator is expected to make: a guard against rates or
/// durations typed in the wrong unit filling memory.
pub const MAX_EXPECTED_ARRIVALS: f64 = 1e8;

/// Microseconds in a day, the diurnal period.
const US_PER_DAY: f64 = 86_400.0 * US_PER_S as f64;

/// The arrival process, with rates for the whole node.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Process {
    /// A homogeneous Poisson process.
    Poisson {
        /// Arrivals per minute.
        rate_per_min: f64,
    },
    /// An on/off modulated Poisson process: bursts and gaps alternate with
    /// exponential lengths, each with its own rate.
    Bursty {
        /// Arrivals per minute during a burst.
        burst_rate_per_min: f64,
        /// Arrivals per minute between bursts.
        gap_rate_per_min: f64,
        /// Mean burst length in seconds.
        mean_burst_s: f64,
        /// Mean gap length in seconds.
        mean_gap_s: f64,
    },
    /// A Poisson process whose rate follows a 24-hour sinusoid, made by
    /// thinning a process at the peak rate.
    Diurnal {
        /// Arrivals per minute averaged over a day.
        mean_rate_per_min: f64,
        /// The peak rate over the trough rate (>= 1; 1 is flat).
        peak_to_trough: f64,
        /// The hour of the peak, in `[0, 24)` from the schedule's start.
        peak_hour: f64,
    },
}

impl Process {
    /// The long-run mean rate, per minute.
    pub fn mean_rate_per_min(&self) -> f64 {
        match *self {
            Process::Poisson { rate_per_min } => rate_per_min,
            Process::Bursty {
                burst_rate_per_min,
                gap_rate_per_min,
                mean_burst_s,
                mean_gap_s,
            } => {
                (burst_rate_per_min * mean_burst_s + gap_rate_per_min * mean_gap_s)
                    / (mean_burst_s + mean_gap_s)
            }
            Process::Diurnal {
                mean_rate_per_min, ..
            } => mean_rate_per_min,
        }
    }

    /// The highest instantaneous rate, per minute.
    fn peak_rate_per_min(&self) -> f64 {
        match *self {
            Process::Poisson { rate_per_min } => rate_per_min,
            Process::Bursty {
                burst_rate_per_min,
                gap_rate_per_min,
                ..
            } => burst_rate_per_min.max(gap_rate_per_min),
            Process::Diurnal {
                mean_rate_per_min,
                peak_to_trough,
                ..
            } => mean_rate_per_min * (1.0 + amplitude(peak_to_trough)),
        }
    }

    fn check(&self) -> Result<(), ScheduleError> {
        let rate = |name, v: f64| check(name, v, v.is_finite() && v >= 0.0, "a rate >= 0");
        // Under a millisecond the state switches, not the arrivals, would
        // dominate the work.
        let length =
            |name, v: f64| check(name, v, v.is_finite() && v >= 1e-3, "a length >= 0.001 s");
        match *self {
            Process::Poisson { rate_per_min } => rate("rate_per_min", rate_per_min),
            Process::Bursty {
                burst_rate_per_min,
                gap_rate_per_min,
                mean_burst_s,
                mean_gap_s,
            } => {
                rate("burst_rate_per_min", burst_rate_per_min)?;
                rate("gap_rate_per_min", gap_rate_per_min)?;
                length("mean_burst_s", mean_burst_s)?;
                length("mean_gap_s", mean_gap_s)
            }
            Process::Diurnal {
                mean_rate_per_min,
                peak_to_trough,
                peak_hour,
            } => {
                rate("mean_rate_per_min", mean_rate_per_min)?;
                check(
                    "peak_to_trough",
                    peak_to_trough,
                    peak_to_trough.is_finite() && peak_to_trough >= 1.0,
                    "a ratio >= 1 (1 is a flat rate)",
                )?;
                check(
                    "peak_hour",
                    peak_hour,
                    (0.0..24.0).contains(&peak_hour),
                    "an hour in [0, 24)",
                )
            }
        }
    }
}

/// The sinusoid's relative amplitude for a peak/trough ratio:
/// `(1 + a) / (1 - a) = ratio`.
fn amplitude(peak_to_trough: f64) -> f64 {
    (peak_to_trough - 1.0) / (peak_to_trough + 1.0)
}

fn check(name: &'static str, value: f64, ok: bool, what: &str) -> Result<(), ScheduleError> {
    if ok {
        Ok(())
    } else {
        Err(ScheduleError::Parameter {
            name,
            value: value.to_string(),
            requirement: format!("must be {what}"),
        })
    }
}

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Generator {
    /// How many functions (1..=[`MAX_FUNCTIONS`]).
    pub functions: u32,
    /// The schedule's length in microseconds.
    pub duration_us: u64,
    /// The node-wide arrival process.
    pub process: Process,
    /// The Zipf exponent of the functions' popularity (>= 0; 0 shares the
    /// rate evenly, ~1 is typical of serverless traces).
    pub zipf_exponent: f64,
    /// The seed; the same seed gives the same schedule.
    pub seed: u64,
}

/// Each of `functions` functions' share of the total rate under a Zipf law
/// with `exponent`: non-increasing, summing to 1.
pub fn zipf_shares(functions: u32, exponent: f64) -> Vec<f64> {
    let weights: Vec<f64> = (1..=functions)
        .map(|rank| f64::from(rank).powf(-exponent))
        .collect();
    let total: f64 = weights.iter().sum();
    weights.into_iter().map(|w| w / total).collect()
}

/// Generates a schedule: functions named `synthetic-<i>` in app
/// `synthetic`, most popular first.
pub fn generate(g: &Generator) -> Result<Schedule, ScheduleError> {
    if g.functions == 0 || g.functions > MAX_FUNCTIONS {
        return Err(ScheduleError::Parameter {
            name: "functions",
            value: g.functions.to_string(),
            requirement: format!("must be 1..={MAX_FUNCTIONS}"),
        });
    }
    check(
        "zipf_exponent",
        g.zipf_exponent,
        g.zipf_exponent.is_finite() && g.zipf_exponent >= 0.0,
        "an exponent >= 0",
    )?;
    g.process.check()?;
    let expected = g.process.peak_rate_per_min() * g.duration_us as f64 / US_PER_MIN as f64;
    if expected > MAX_EXPECTED_ARRIVALS {
        return Err(ScheduleError::Parameter {
            name: "duration_us",
            value: g.duration_us.to_string(),
            requirement: format!(
                "with this rate would make about {expected:.3e} arrivals, more than \
                 {MAX_EXPECTED_ARRIVALS:.0e}; lower the rate or the duration (rates are per \
                 minute, durations in microseconds)"
            ),
        });
    }
    if let Process::Bursty {
        mean_burst_s,
        mean_gap_s,
        ..
    } = g.process
    {
        let cycles = g.duration_us as f64 / ((mean_burst_s + mean_gap_s) * 1e6);
        if cycles * f64::from(g.functions) > MAX_EXPECTED_ARRIVALS {
            return Err(ScheduleError::Parameter {
                name: "mean_burst_s",
                value: mean_burst_s.to_string(),
                requirement: format!(
                    "with mean_gap_s = {mean_gap_s} would make about {:.3e} bursts, more than \
                     {MAX_EXPECTED_ARRIVALS:.0e}; lengthen the bursts and gaps or shorten the \
                     duration",
                    cycles * f64::from(g.functions)
                ),
            });
        }
    }
    let shares = zipf_shares(g.functions, g.zipf_exponent);
    let mut arrivals = Vec::new();
    let mut functions = Vec::with_capacity(shares.len());
    for (f, &share) in (0u32..).zip(&shares) {
        functions.push(TraceFunction::new("synthetic", format!("synthetic-{f}"), 0));
        let mut one = Stream {
            rng: substream(g.seed, u64::from(f)),
            function: f,
            end_us: g.duration_us as f64,
            out: &mut arrivals,
        };
        one.run(&g.process, share);
    }
    Ok(Schedule::from_parts(functions, arrivals, g.duration_us))
}

/// One function's arrivals being generated.
struct Stream<'a> {
    rng: memento_workloads::rng::Rng,
    function: u32,
    end_us: f64,
    out: &'a mut Vec<Arrival>,
}

impl Stream<'_> {
    /// An exponential sample with mean `mean`.
    fn exponential(&mut self, mean: f64) -> f64 {
        // 1 - unit() is in (0, 1], so the logarithm is finite.
        -mean * (1.0 - self.rng.unit()).ln()
    }

    fn push(&mut self, at_us: f64) {
        self.out.push(Arrival {
            at_us: at_us as u64,
            function: self.function,
            duration_us: None,
        });
    }

    /// Poisson arrivals at `per_us` in `[from, to)`.
    fn poisson(&mut self, per_us: f64, from: f64, to: f64) {
        if per_us <= 0.0 {
            return;
        }
        let mut t = from;
        loop {
            t += self.exponential(1.0 / per_us);
            if t >= to {
                return;
            }
            self.push(t);
        }
    }

    fn run(&mut self, process: &Process, share: f64) {
        let per_us = |per_min: f64| per_min * share / US_PER_MIN as f64;
        match *process {
            Process::Poisson { rate_per_min } => {
                self.poisson(per_us(rate_per_min), 0.0, self.end_us)
            }
            Process::Bursty {
                burst_rate_per_min,
                gap_rate_per_min,
                mean_burst_s,
                mean_gap_s,
            } => {
                let (burst, gap) = (mean_burst_s * 1e6, mean_gap_s * 1e6);
                // Start in the stationary mix of states so that the window's
                // start is not special.
                let mut on = self.rng.unit() < burst / (burst + gap);
                let mut t = 0.0;
                while t < self.end_us {
                    let (mean, rate) = if on {
                        (burst, burst_rate_per_min)
                    } else {
                        (gap, gap_rate_per_min)
                    };
                    let next = t + self.exponential(mean);
                    // Memorylessness lets each state restart the clock.
                    self.poisson(per_us(rate), t, next.min(self.end_us));
                    t = next;
                    on = !on;
                }
            }
            Process::Diurnal {
                mean_rate_per_min,
                peak_to_trough,
                peak_hour,
            } => {
                let a = amplitude(peak_to_trough);
                let peak_us = peak_hour * 3600.0 * 1e6;
                let max = per_us(mean_rate_per_min) * (1.0 + a);
                if max <= 0.0 {
                    return;
                }
                let mut t = 0.0;
                loop {
                    t += self.exponential(1.0 / max);
                    if t >= self.end_us {
                        return;
                    }
                    let relative = (1.0 + a * (TAU * (t - peak_us) / US_PER_DAY).cos()) / (1.0 + a);
                    if self.rng.unit() < relative {
                        self.push(t);
                    }
                }
            }
        }
    }
}
