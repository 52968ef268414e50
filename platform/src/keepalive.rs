//! Keep-alive policies: after each invocation of an application ends, how
//! long to keep its instance loaded and when to load it again.
//!
//! A decision is a pair of [`Windows`] measured from the invocation's end:
//! the instance is unloaded at once unless the pre-warm window is 0, loaded
//! again `prewarm_us` later, and kept until `prewarm_us + keep_alive_us`.
//! Policies only decide; the node model applies the windows.

use std::collections::{HashMap, VecDeque};

use serde::Deserialize;

/// An application, as the node model numbers them. Keep-alive decisions
/// are per application (Shahrad et al. keep one histogram per app).
pub type AppId = u64;

/// One minute, in microseconds.
pub const MINUTE_US: u64 = 60_000_000;

/// The longest window a policy may produce, one year in microseconds: end
/// times plus windows then never overflow, and stay exact in an `f64`.
pub const MAX_WINDOW_US: u64 = 365 * 24 * 60 * MINUTE_US;

/// A configuration field with a value outside its allowed range. Shared by
/// the `check()` of every policy module ([`crate::snapshot`],
/// [`crate::harvest`] too).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} = {value}: {allowed}")]
pub struct ParamError {
    /// The field as it is spelled in a scenario file.
    pub field: &'static str,
    /// The bad value, printed.
    pub value: String,
    /// The allowed range, in words.
    pub allowed: String,
}

impl ParamError {
    pub(crate) fn new(field: &'static str, value: impl ToString, allowed: &str) -> Self {
        ParamError {
            field,
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }
}

/// Checks that `value` is a finite number in `lo..=hi`.
pub(crate) fn check_range(
    field: &'static str,
    value: f64,
    lo: f64,
    hi: f64,
) -> Result<(), ParamError> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(ParamError::new(
            field,
            value,
            &format!("must be a number from {lo} to {hi}"),
        ))
    }
}

/// Checks that an integer lies in `lo..=hi`.
pub(crate) fn check_int(
    field: &'static str,
    value: u64,
    lo: u64,
    hi: u64,
) -> Result<(), ParamError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(ParamError::new(
            field,
            value,
            &format!("must be from {lo} to {hi}"),
        ))
    }
}

/// What to do with an instance after an invocation ends, relative to the
/// end: loaded during `prewarm_us..prewarm_us + keep_alive_us`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Windows {
    /// Time to stay unloaded before loading again; 0 keeps the instance
    /// loaded from the end on.
    pub prewarm_us: u64,
    /// How long the instance stays loaded once (re)loaded.
    pub keep_alive_us: u64,
}

impl Windows {
    /// When the instance is finally unloaded, after the end.
    pub fn loaded_until_us(&self) -> u64 {
        self.prewarm_us.saturating_add(self.keep_alive_us)
    }

    /// Whether an arrival `since_end_us` after the end finds the instance
    /// loaded (a warm start).
    pub fn is_loaded_at(&self, since_end_us: u64) -> bool {
        self.prewarm_us <= since_end_us && since_end_us < self.loaded_until_us()
    }
}

/// A fixed keep-alive with no pre-warming: what the clouds did when
/// Shahrad et al. measured them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FixedKeepAlive {
    /// How long an instance stays loaded after its last invocation ends.
    /// Default 10 minutes, the fixed baseline of Shahrad et al. (ATC 2020,
    /// OpenWhisk's default); [`FixedKeepAlive::twenty_minutes`] is the
    /// Azure Functions value the same paper reports.
    pub keep_alive_us: u64,
}

impl Default for FixedKeepAlive {
    fn default() -> Self {
        FixedKeepAlive::ten_minutes()
    }
}

impl FixedKeepAlive {
    /// A 10-minute keep-alive (OpenWhisk's default, Shahrad et al.'s baseline).
    pub fn ten_minutes() -> Self {
        FixedKeepAlive {
            keep_alive_us: 10 * MINUTE_US,
        }
    }

    /// A 20-minute keep-alive (Azure Functions, per Shahrad et al.).
    pub fn twenty_minutes() -> Self {
        FixedKeepAlive {
            keep_alive_us: 20 * MINUTE_US,
        }
    }

    /// The windows after every invocation.
    pub fn windows(&self) -> Windows {
        Windows {
            prewarm_us: 0,
            keep_alive_us: self.keep_alive_us,
        }
    }

    /// Checks the field; `keep_alive_us` at most [`MAX_WINDOW_US`].
    pub fn check(&self) -> Result<(), ParamError> {
        check_int("keep_alive_us", self.keep_alive_us, 0, MAX_WINDOW_US)
    }
}

/// Parameters of the hybrid histogram policy of Shahrad et al., "Serverless
/// in the Wild" (USENIX ATC 2020, section 4.2). Defaults are the paper's
/// unless a field says otherwise.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HybridConfig {
    /// Range of the idle-time histogram; longer idle times are out of
    /// range. Default 4 hours (paper). A multiple of `bin_us`.
    pub range_us: u64,
    /// Width of a histogram bin. Default 1 minute (paper).
    pub bin_us: u64,
    /// Percentile of the idle times that sets the pre-warm window (its bin's
    /// lower edge). Default 5 (paper's "head").
    pub head_percentile: f64,
    /// Percentile that sets the end of the keep-alive window (its bin's
    /// upper edge). Default 99 (paper's "tail").
    pub tail_percentile: f64,
    /// Factor on the head, rounded down to a bin edge: pre-warm a little
    /// early. Default 0.9 (paper's 10% margin).
    pub head_margin: f64,
    /// Factor on the tail, rounded up to a bin edge: keep a little longer.
    /// Default 1.1 (paper's 10% margin).
    pub tail_margin: f64,
    /// The histogram is trusted only when the coefficient of variation of
    /// its bin counts is at least this. Default 2 (paper).
    pub cv_threshold: f64,
    /// When at least this share of an app's idle times is out of range, the
    /// forecast decides. Default 0.5 (paper: "most" idle times out of range).
    pub oob_share: f64,
    /// Margin around the forecast idle time: pre-warm at `1 - margin` times
    /// the forecast, keep until `1 + margin` times it. Default 0.15 (paper).
    pub forecast_margin: f64,
    /// How many of the most recent out-of-range idle times the forecast
    /// averages. The paper fits an ARIMA model; their mean is our simpler
    /// stand-in, so this default, 10, is ours.
    pub forecast_history: u64,
    /// Idle times an app needs before its histogram or forecast is used; until
    /// then the policy falls back to a keep-alive of the whole range. The
    /// paper falls back while a histogram is too small to be
    /// representative but we could not confirm a count in its text, so this
    /// default, 10, is ours.
    pub min_observations: u64,
}

impl Default for HybridConfig {
    fn default() -> Self {
        HybridConfig {
            range_us: 240 * MINUTE_US,
            bin_us: MINUTE_US,
            head_percentile: 5.0,
            tail_percentile: 99.0,
            head_margin: 0.9,
            tail_margin: 1.1,
            cv_threshold: 2.0,
            oob_share: 0.5,
            forecast_margin: 0.15,
            forecast_history: 10,
            min_observations: 10,
        }
    }
}

/// Most bins a histogram may have: bounds the per-app memory.
pub const MAX_BINS: u64 = 1 << 20;

impl HybridConfig {
    /// Checks every field; the error names the first bad one.
    pub fn check(&self) -> Result<(), ParamError> {
        check_int("bin_us", self.bin_us, 1, MAX_WINDOW_US)?;
        check_int("range_us", self.range_us, self.bin_us, MAX_WINDOW_US / 2)?;
        if !self.range_us.is_multiple_of(self.bin_us) || self.range_us / self.bin_us > MAX_BINS {
            return Err(ParamError::new(
                "range_us",
                self.range_us,
                &format!(
                    "must be a multiple of bin_us ({}) of at most {MAX_BINS} bins",
                    self.bin_us
                ),
            ));
        }
        check_range("head_percentile", self.head_percentile, 0.0, 100.0)?;
        check_range(
            "tail_percentile",
            self.tail_percentile,
            self.head_percentile,
            100.0,
        )?;
        check_range("head_margin", self.head_margin, 0.0, 1.0)?;
        check_range("tail_margin", self.tail_margin, 1.0, 10.0)?;
        check_range("cv_threshold", self.cv_threshold, 0.0, 1e6)?;
        if self.oob_share.is_nan() || self.oob_share <= 0.0 || self.oob_share > 1.0 {
            return Err(ParamError::new(
                "oob_share",
                self.oob_share,
                "must be a number above 0 and at most 1",
            ));
        }
        check_range("forecast_margin", self.forecast_margin, 0.0, 0.99)?;
        check_int("forecast_history", self.forecast_history, 1, 1 << 16)?;
        check_int(
            "min_observations",
            self.min_observations,
            0,
            u64::from(u32::MAX),
        )
    }
}

/// Which rule produced a hybrid decision (for reports and tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Too few idle times, or a flat histogram: keep alive for the whole range.
    Fallback,
    /// The histogram's head and tail.
    Histogram,
    /// The forecast of an out-of-range idle time.
    Forecast,
}

/// One application's idle-time history.
#[derive(Clone, Debug)]
struct AppHistory {
    bins: Vec<u64>,
    in_range: u64,
    out_of_range: u64,
    /// The latest out-of-range idle times, oldest first.
    recent_oob: VecDeque<u64>,
    /// End of the latest invocation not yet followed by an arrival.
    last_end_us: Option<u64>,
}

/// The hybrid histogram policy of Shahrad et al. (ATC 2020), per
/// application.
#[derive(Clone, Debug)]
pub struct HybridHistogram {
    config: HybridConfig,
    apps: HashMap<AppId, AppHistory>,
}

impl HybridHistogram {
    /// A policy with no history; `config` must pass [`HybridConfig::check`].
    pub fn new(config: HybridConfig) -> Result<Self, ParamError> {
        config.check()?;
        Ok(HybridHistogram {
            config,
            apps: HashMap::new(),
        })
    }

    /// The parameters.
    pub fn config(&self) -> &HybridConfig {
        &self.config
    }

    fn app(&mut self, app: AppId) -> &mut AppHistory {
        let bins = (self.config.range_us / self.config.bin_us) as usize;
        self.apps.entry(app).or_insert_with(|| AppHistory {
            bins: vec![0; bins],
            in_range: 0,
            out_of_range: 0,
            recent_oob: VecDeque::new(),
            last_end_us: None,
        })
    }

    /// Records one idle time of `app` directly (the time from an
    /// invocation's end to the next arrival).
    pub fn record_idle(&mut self, app: AppId, idle_us: u64) {
        let (range, bin, history) = (
            self.config.range_us,
            self.config.bin_us,
            self.config.forecast_history as usize,
        );
        let h = self.app(app);
        if idle_us < range {
            h.bins[(idle_us / bin) as usize] += 1;
            h.in_range += 1;
        } else {
            h.out_of_range += 1;
            if h.recent_oob.len() == history {
                h.recent_oob.pop_front();
            }
            h.recent_oob.push_back(idle_us);
        }
    }

    /// An invocation of `app` arrives at `now_us`. If the app's latest
    /// end has not been followed by an arrival yet, the gap is an idle time;
    /// an arrival while the app is busy (no end since the last arrival)
    /// records nothing, as there was no idle period.
    pub fn on_arrival(&mut self, app: AppId, now_us: u64) {
        if let Some(end) = self.app(app).last_end_us.take() {
            self.record_idle(app, now_us.saturating_sub(end));
        }
    }

    /// An invocation of `app` ends at `now_us`: the windows to apply.
    pub fn on_end(&mut self, app: AppId, now_us: u64) -> Windows {
        self.app(app).last_end_us = Some(now_us);
        self.decide(app).0
    }

    /// The windows the app's history gives now, and the rule behind them.
    pub fn decide(&self, app: AppId) -> (Windows, Rule) {
        let c = &self.config;
        let fallback = (
            Windows {
                prewarm_us: 0,
                keep_alive_us: c.range_us,
            },
            Rule::Fallback,
        );
        let Some(h) = self.apps.get(&app) else {
            return fallback;
        };
        let total = h.in_range + h.out_of_range;
        if total == 0 || total < c.min_observations {
            return fallback;
        }
        if h.out_of_range as f64 >= c.oob_share * total as f64 && !h.recent_oob.is_empty() {
            // Mean of the recent out-of-range idle times stands in for
            // the paper's ARIMA forecast.
            let forecast =
                h.recent_oob.iter().map(|&v| v as f64).sum::<f64>() / h.recent_oob.len() as f64;
            // A nanosecond's tolerance: 0.85 and 1.15 are not exact in binary.
            let prewarm = (forecast * (1.0 - c.forecast_margin) + 1e-3).floor();
            let until = (forecast * (1.0 + c.forecast_margin) - 1e-3).ceil();
            let prewarm_us = (prewarm as u64).min(MAX_WINDOW_US);
            let until_us = (until as u64).clamp(prewarm_us, MAX_WINDOW_US);
            return (
                Windows {
                    prewarm_us,
                    keep_alive_us: until_us - prewarm_us,
                },
                Rule::Forecast,
            );
        }
        if h.in_range == 0 || cv(&h.bins) < c.cv_threshold {
            return fallback;
        }
        let head = percentile_bin(&h.bins, h.in_range, c.head_percentile);
        let tail = percentile_bin(&h.bins, h.in_range, c.tail_percentile);
        // Head: the bin's lower edge; tail: its upper edge. The tolerance
        // keeps 10 x 1.1 = 11.000000000000002 from rounding up to 12.
        let prewarm_bins = (head as f64 * c.head_margin + 1e-9).floor() as u64;
        let until_bins = ((tail + 1) as f64 * c.tail_margin - 1e-9).ceil() as u64;
        let prewarm_us = prewarm_bins * c.bin_us;
        let until_us = (until_bins * c.bin_us).max(prewarm_us);
        (
            Windows {
                prewarm_us,
                keep_alive_us: until_us - prewarm_us,
            },
            Rule::Histogram,
        )
    }

    /// The app's idle times counted so far: (in range, out of range).
    pub fn observations(&self, app: AppId) -> (u64, u64) {
        self.apps
            .get(&app)
            .map_or((0, 0), |h| (h.in_range, h.out_of_range))
    }
}

/// Coefficient of variation (population standard deviation over mean) of
/// the bin counts; 0 for an empty histogram.
pub fn cv(bins: &[u64]) -> f64 {
    let n = bins.len() as f64;
    let sum: u64 = bins.iter().sum();
    if sum == 0 {
        return 0.0;
    }
    let mean = sum as f64 / n;
    let var = bins.iter().map(|&b| (b as f64 - mean).powi(2)).sum::<f64>() / n;
    var.sqrt() / mean
}

/// The bin holding the `p`-th percentile by the nearest-rank method: the
/// bin of the k-th smallest idle time, k = max(1, ceil(p / 100 x count)).
fn percentile_bin(bins: &[u64], count: u64, p: f64) -> usize {
    // p x count first: 99 x 100 / 100 is exactly 99, 0.99 x 100 is not.
    let rank = ((p * count as f64 / 100.0 - 1e-9).ceil() as u64).clamp(1, count);
    let mut seen = 0;
    for (i, &b) in bins.iter().enumerate() {
        seen += b;
        if seen >= rank {
            return i;
        }
    }
    bins.len().saturating_sub(1)
}

/// A keep-alive policy as a scenario file names it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "policy", rename_all = "kebab-case")]
pub enum KeepAliveConfig {
    /// [`FixedKeepAlive`].
    Fixed(FixedKeepAlive),
    /// [`HybridHistogram`] with [`HybridConfig`].
    Hybrid(HybridConfig),
}

impl Default for KeepAliveConfig {
    fn default() -> Self {
        KeepAliveConfig::Fixed(FixedKeepAlive::default())
    }
}

impl KeepAliveConfig {
    /// Checks the chosen policy's fields.
    pub fn check(&self) -> Result<(), ParamError> {
        match self {
            KeepAliveConfig::Fixed(f) => f.check(),
            KeepAliveConfig::Hybrid(h) => h.check(),
        }
    }
}

/// A keep-alive policy with its per-application state.
#[derive(Clone, Debug)]
pub enum KeepAlive {
    /// The same windows after every invocation.
    Fixed(FixedKeepAlive),
    /// Shahrad et al.'s hybrid histogram policy.
    Hybrid(HybridHistogram),
}

impl KeepAlive {
    /// The policy `config` describes, checked.
    pub fn new(config: &KeepAliveConfig) -> Result<Self, ParamError> {
        Ok(match config {
            KeepAliveConfig::Fixed(f) => {
                f.check()?;
                KeepAlive::Fixed(*f)
            }
            KeepAliveConfig::Hybrid(h) => KeepAlive::Hybrid(HybridHistogram::new(h.clone())?),
        })
    }

    /// An invocation of `app` arrives at `now_us`.
    pub fn on_arrival(&mut self, app: AppId, now_us: u64) {
        if let KeepAlive::Hybrid(h) = self {
            h.on_arrival(app, now_us);
        }
    }

    /// An invocation of `app` ends at `now_us`: the windows to apply.
    pub fn on_end(&mut self, app: AppId, now_us: u64) -> Windows {
        match self {
            KeepAlive::Fixed(f) => f.windows(),
            KeepAlive::Hybrid(h) => h.on_end(app, now_us),
        }
    }
}
