//! Printers of a [`Report`]: text tables with the modes side by side, JSON,
//! and CSV with one row per mode and function.

use std::fmt::Write;

use crate::report::{mib, FunctionReport, ModeReport, Report};

/// The report as text: per function, each mode's latencies and starts side
/// by side; then memory, cost and DRAM traffic per mode.
pub fn text(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "platform {} on {}: {} arrivals",
        r.scenario, r.machine, r.arrivals
    );
    let modes: Vec<&ModeReport> = r.modes.iter().collect();
    let _ = write!(s, "\n{:<14}", "function");
    for m in &modes {
        let _ = write!(s, " | {:^47}", m.mode);
    }
    let _ = write!(s, "\n{:<14}", "");
    for _ in &modes {
        let _ = write!(
            s,
            " | {:>9} {:>9} {:>6} {:>6} {:>6} {:>6}",
            "p50 ms", "p99 ms", "cold", "warm", "rest.", "cold%"
        );
    }
    s.push('\n');
    let rows = modes[0].functions.len();
    let row = |s: &mut String, name: &str, get: &dyn Fn(&ModeReport) -> &FunctionReport| {
        let _ = write!(s, "{name:<14}");
        for m in &modes {
            let f = get(m);
            let _ = write!(
                s,
                " | {:>9.2} {:>9.2} {:>6} {:>6} {:>6} {:>5.1}%",
                f.p50_ms,
                f.p99_ms,
                f.cold,
                f.warm,
                f.restore,
                100.0 * f.cold_share
            );
        }
        s.push('\n');
    };
    for i in 0..rows {
        let name = modes[0].functions[i].name.clone();
        row(&mut s, &name, &|m| &m.functions[i]);
    }
    row(&mut s, "all", &|m| &m.all);
    let _ = writeln!(s);
    let figure = |s: &mut String, label: &str, get: &dyn Fn(&ModeReport) -> String| {
        let _ = write!(s, "{label:<26}");
        for m in &modes {
            let _ = write!(s, " {:>16}", get(m));
        }
        s.push('\n');
    };
    figure(&mut s, "", &|m| m.mode.clone());
    figure(&mut s, "peak memory (MiB)", &|m| {
        format!("{:.0}", m.peak_memory_mib)
    });
    figure(&mut s, "wasted memory (GB-s)", &|m| {
        format!("{:.1}", m.wasted_gb_s)
    });
    figure(&mut s, "harvested (GB-s)", &|m| {
        format!("{:.1}", m.harvested_gb_s)
    });
    figure(&mut s, "peak harvested (MiB)", &|m| {
        format!("{:.0}", m.peak_harvested_mib)
    });
    figure(&mut s, "billed (GB-s)", &|m| {
        format!("{:.3}", m.billed_gb_s)
    });
    figure(&mut s, "cost (USD)", &|m| format!("{:.6}", m.cost_usd));
    figure(&mut s, "snapshots", &|m| m.snapshots.to_string());
    figure(&mut s, "evictions", &|m| m.evictions.to_string());
    figure(&mut s, "DRAM traffic (MiB)", &|m| {
        format!("{:.1}", mib(m.dram.total()))
    });
    for (i, (cause, _)) in modes[0].dram.by_cause().iter().enumerate() {
        if modes.iter().all(|m| m.dram.by_cause()[i].1 == 0) {
            continue;
        }
        figure(&mut s, &format!("  {cause}"), &|m| {
            format!("{:.1}", mib(m.dram.by_cause()[i].1))
        });
    }
    s
}

/// The report as JSON (schema [`crate::report::SCHEMA`]).
pub fn json(r: &Report) -> String {
    serde_json::to_string_pretty(r).expect("a report is plain data")
}

/// One row per mode and function (and `all`).
pub fn csv(r: &Report) -> String {
    let mut s = String::from(
        "mode,function,invocations,cold,warm,restore,cold_share,p50_ms,p99_ms,\
         peak_memory_mib,wasted_gb_s,harvested_gb_s,billed_gb_s,cost_usd,dram_bytes\n",
    );
    for m in &r.modes {
        for f in m.functions.iter().chain(std::iter::once(&m.all)) {
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{:.6},{:.3},{:.3},{:.3},{:.6},{:.6},{:.6},{:.9},{}",
                m.mode,
                f.name,
                f.invocations,
                f.cold,
                f.warm,
                f.restore,
                f.cold_share,
                f.p50_ms,
                f.p99_ms,
                m.peak_memory_mib,
                m.wasted_gb_s,
                m.harvested_gb_s,
                m.billed_gb_s,
                m.cost_usd,
                m.dram.total()
            );
        }
    }
    s
}

/// The full-replay check of a scenario's memoised costs, as text: per mode
/// and function, the warm starts' service times as the node charged them
/// and as the full replay gave them, and the errors; then DRAM traffic.
pub fn check(scenario: &str, checks: &[crate::run::ModeCheck]) -> String {
    use memento_analysis::table::{thousands, Align, Table};
    let signed = |e: f64| format!("{:+.1}%", 100.0 * e);
    let mut t = Table::new(&[
        ("mode", Align::Left),
        ("function", Align::Left),
        ("warm starts", Align::Right),
        ("memoised mean us", Align::Right),
        ("full mean us", Align::Right),
        ("error", Align::Right),
        ("memoised p99 us", Align::Right),
        ("full p99 us", Align::Right),
        ("error", Align::Right),
    ]);
    let mut dram = Table::new(&[
        ("mode", Align::Left),
        ("instances", Align::Right),
        ("memoised DRAM bytes", Align::Right),
        ("full DRAM bytes", Align::Right),
        ("error", Align::Right),
    ]);
    for m in checks {
        for f in &m.check.functions {
            t.row(vec![
                m.mode.to_string(),
                f.name.clone(),
                thousands(f.memoised_us.len() as u64),
                format!("{:.1}", f.memoised_mean_us()),
                format!("{:.1}", f.full_mean_us()),
                signed(f.mean_error()),
                thousands(crate::node::percentile(&f.memoised_us, 99.0)),
                thousands(crate::node::percentile(&f.full_us, 99.0)),
                signed(f.p99_error()),
            ]);
        }
        dram.row(vec![
            m.mode.to_string(),
            thousands(u64::from(m.check.instances)),
            thousands(m.check.memoised_dram_bytes),
            thousands(m.check.full_dram_bytes),
            signed(m.check.dram_error()),
        ]);
    }
    format!(
        "memoised costs against the full replay of every instance: {scenario}\n\n{}\n{}",
        t.render(),
        dram.render()
    )
}
