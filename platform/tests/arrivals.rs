//! The arrivals layer: trace readers against the fixtures' own text,
//! spreading, error messages, generators and mappings.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use memento_platform::arrivals::azure2019::{self, Azure2019Files, Azure2019Options, Spread};
use memento_platform::arrivals::generate::{self, zipf_shares, Generator, Process};
use memento_platform::arrivals::mapping::{Mapping, MappingError};
use memento_platform::arrivals::{
    azure2021, Arrival, Schedule, ScheduleError, TraceFunction, US_PER_MIN,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A 2019 invocations file's rows as (app, function, per-minute counts),
/// read with nothing but `split`: independent of the parser under test.
fn rows_2019(path: &Path) -> Vec<(String, String, Vec<u64>)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 4 + 1440, "fixture row width");
            let counts = f[4..].iter().map(|c| c.parse().unwrap()).collect();
            (f[1].to_string(), f[2].to_string(), counts)
        })
        .collect()
}

fn by_name(schedule: &Schedule) -> HashMap<(String, String), u64> {
    schedule
        .functions
        .iter()
        .map(|f| ((f.app.clone(), f.name.clone()), f.invocations))
        .collect()
}

/// Arrivals per (function index, minute).
fn per_minute(schedule: &Schedule) -> HashMap<(u32, u64), u64> {
    let mut m = HashMap::new();
    for a in &schedule.arrivals {
        *m.entry((a.function, a.at_us / US_PER_MIN)).or_default() += 1;
    }
    m
}

fn assert_sorted(schedule: &Schedule) {
    assert!(schedule.arrivals.windows(2).all(|w| w[0] <= w[1]));
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn header_2019() -> String {
    let mut h = "HashOwner,HashApp,HashFunction,Trigger".to_string();
    for m in 1..=1440 {
        h.push_str(&format!(",{m}"));
    }
    h
}

/// A 2019 row with `counts` as (minute from 1, count), zeros elsewhere.
fn row_2019(func: &str, counts: &[(usize, &str)]) -> String {
    let mut fields = vec!["0"; 1440];
    for &(m, c) in counts {
        fields[m - 1] = c;
    }
    format!("o,a,{func},http,{}", fields.join(","))
}

fn load_2019(path: &Path) -> Result<Schedule, ScheduleError> {
    azure2019::load(
        &Azure2019Files::invocations_only(path),
        &Azure2019Options::default(),
    )
}

#[test]
fn azure2019_fixture_has_the_functions_and_counts_of_its_csv_text() {
    let files = Azure2019Files::for_day(fixtures(), 1);
    assert!(files.durations.is_some() && files.memory.is_some());
    let s = azure2019::load(&files, &Azure2019Options::default()).unwrap();
    let rows = rows_2019(&files.invocations);
    assert_eq!(rows.len(), 6);
    assert_eq!(s.functions.len(), rows.len());
    let got = by_name(&s);
    for (app, func, counts) in &rows {
        assert_eq!(
            got[&(app.clone(), func.clone())],
            counts.iter().sum::<u64>()
        );
    }
    let total: u64 = rows.iter().flat_map(|r| &r.2).sum();
    assert_eq!(s.arrivals.len() as u64, total);
    assert_eq!(s.span_us, 1440 * US_PER_MIN);
    assert_sorted(&s);
}

#[test]
fn day50_fixture_parses_to_its_csv_counts_with_hot_rare_and_timer_functions() {
    let path = fixtures().join("day50_invocations.csv");
    let s = load_2019(&path).unwrap();
    let rows = rows_2019(&path);
    assert!(rows.len() >= 50);
    assert_eq!(s.functions.len(), rows.len());
    let got = by_name(&s);
    for (app, func, counts) in &rows {
        assert_eq!(
            got[&(app.clone(), func.clone())],
            counts.iter().sum::<u64>()
        );
    }
    let mut totals: Vec<u64> = s.functions.iter().map(|f| f.invocations).collect();
    totals.sort_unstable_by(|a, b| b.cmp(a));
    let all: u64 = totals.iter().sum();
    assert!(
        totals[..3].iter().sum::<u64>() * 2 > all,
        "a few hot functions"
    );
    assert!(
        totals.iter().filter(|&&t| t < 100).count() >= 25,
        "many rare ones"
    );
    // A timer every few minutes: equal counts at a fixed period, zero between.
    let timers: Vec<&TraceFunction> = s
        .functions
        .iter()
        .filter(|f| f.trigger.as_deref() == Some("timer"))
        .collect();
    assert!(timers.iter().any(|f| f.invocations == 1440 / 5));
}

#[test]
fn azure2019_durations_join_by_function_and_memory_by_app() {
    let dir = fixtures();
    let files = Azure2019Files::for_day(&dir, 1);
    let s = azure2019::load(&files, &Azure2019Options::default()).unwrap();
    // The fixture's durations Count is each function's day total.
    for f in &s.functions {
        let d = f.duration.as_ref().expect("every function has durations");
        assert_eq!(d.count, f.invocations, "{}", f.name);
        assert!(d.percentiles_ms.windows(2).all(|w| w[0] <= w[1]));
    }
    let text = std::fs::read_to_string(dir.join("app_memory_percentiles.anon.d01.csv")).unwrap();
    let memory: HashMap<String, f64> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].to_string(), f[3].parse().unwrap())
        })
        .collect();
    let apps: HashSet<&str> = s.functions.iter().map(|f| f.app.as_str()).collect();
    assert_eq!(apps.len(), 3);
    assert_eq!(memory.len(), 2, "one app has no memory row");
    for f in &s.functions {
        match memory.get(&f.app) {
            Some(&mb) => assert_eq!(f.memory_mb.as_ref().unwrap().average_mb, mb),
            None => assert!(f.memory_mb.is_none()),
        }
    }
}

#[test]
fn uniform_spreading_puts_n_arrivals_at_k_plus_half_over_n_of_their_minute() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}\n{}\n{}\n",
        header_2019(),
        row_2019("f", &[(1, "3"), (3, "1")]),
        row_2019("g", &[(1, "2"), (1440, "4")])
    );
    let s = load_2019(&write(dir.path(), "inv.csv", &text)).unwrap();
    let at = |f: u32| -> Vec<u64> {
        s.arrivals
            .iter()
            .filter(|a| a.function == f)
            .map(|a| a.at_us)
            .collect()
    };
    let m = US_PER_MIN;
    assert_eq!(at(0), vec![m / 6, m / 2, 5 * m / 6, 2 * m + m / 2]);
    let last = 1439 * m;
    assert_eq!(
        at(1),
        vec![
            m / 4,
            3 * m / 4,
            last + m / 8,
            last + 3 * m / 8,
            last + 5 * m / 8,
            last + 7 * m / 8
        ]
    );
    // Sorted by time then function: f's 10 s, g's 15 s, f's 30 s, ...
    assert_eq!(s.arrivals[0].function, 0);
    assert_eq!(s.arrivals[1].function, 1);
    assert!(s.arrivals.iter().all(|a| a.duration_us.is_none()));
}

#[test]
fn poisson_spreading_keeps_each_arrival_in_its_minute_and_repeats_with_its_seed() {
    let files = Azure2019Files::invocations_only(
        fixtures().join("invocations_per_function_md.anon.d01.csv"),
    );
    let poisson = |seed| {
        let options = Azure2019Options {
            spread: Spread::Poisson { seed },
            minutes: None,
        };
        azure2019::load(&files, &options).unwrap()
    };
    let a = poisson(7);
    let rows = rows_2019(&files.invocations);
    let minutes = per_minute(&a);
    for (f, (_, _, counts)) in rows.iter().enumerate() {
        for (m, &c) in counts.iter().enumerate() {
            let got = minutes.get(&(f as u32, m as u64)).copied().unwrap_or(0);
            assert_eq!(got, c, "function {f} minute {m}");
        }
    }
    assert_sorted(&a);
    assert_eq!(a, poisson(7));
    let b = poisson(8);
    assert_eq!(a.arrivals.len(), b.arrivals.len());
    assert_ne!(a.arrivals, b.arrivals);
    let uniform = azure2019::load(&files, &Azure2019Options::default()).unwrap();
    assert_ne!(a.arrivals, uniform.arrivals);
}

#[test]
fn minutes_option_reads_only_the_first_minutes_and_keeps_their_arrivals() {
    let files = Azure2019Files::for_day(fixtures(), 1);
    let rows = rows_2019(&files.invocations);
    let spread = Spread::Poisson { seed: 3 };
    let load = |minutes| azure2019::load(&files, &Azure2019Options { spread, minutes }).unwrap();
    let hour = load(Some(60));
    let day = load(None);
    let expected: u64 = rows.iter().map(|r| r.2[..60].iter().sum::<u64>()).sum();
    assert_eq!(hour.arrivals.len() as u64, expected);
    assert_eq!(hour.span_us, 60 * US_PER_MIN);
    assert_eq!(hour.functions.len(), rows.len());
    let day_first_hour: Vec<Arrival> = day
        .arrivals
        .iter()
        .copied()
        .filter(|a| a.at_us < 60 * US_PER_MIN)
        .collect();
    assert_eq!(hour.arrivals, day_first_hour);
    for bad in [0, 1441] {
        let err = azure2019::load(
            &files,
            &Azure2019Options {
                spread,
                minutes: Some(bad),
            },
        );
        assert!(err.unwrap_err().to_string().contains("minutes"));
    }
}

#[test]
fn azure2021_fixture_has_the_functions_and_counts_of_its_text() {
    let path = fixtures().join("AzureFunctionsInvocationTraceForTwoWeeksJan2021.sample.txt");
    let s = azure2021::load(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut counts: HashMap<(String, String), u64> = HashMap::new();
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        *counts
            .entry((f[0].to_string(), f[1].to_string()))
            .or_default() += 1;
    }
    assert_eq!(counts.values().sum::<u64>(), 300);
    assert_eq!(s.arrivals.len(), 300);
    assert_eq!(by_name(&s), counts);
    assert_eq!(s.arrivals[0].at_us, 0, "times start at the earliest start");
    assert!(s.arrivals.iter().all(|a| a.duration_us.is_some()));
    assert_sorted(&s);
}

#[test]
fn azure2021_arrival_is_end_minus_duration_from_the_earliest_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "t2021.txt",
        "app,func,end_timestamp,duration\n\
         a,f,10.5,0.25\n\
         a,g,3.000001,1\n\
         b,f,9,7\n\
         a,f,4,0.1\n",
    );
    let s = azure2021::load(&path).unwrap();
    let names: Vec<(&str, &str)> = s
        .functions
        .iter()
        .map(|f| (f.app.as_str(), f.name.as_str()))
        .collect();
    assert_eq!(names, [("a", "f"), ("a", "g"), ("b", "f")]);
    let got: Vec<(u64, u32, Option<u64>)> = s
        .arrivals
        .iter()
        .map(|a| (a.at_us, a.function, a.duration_us))
        .collect();
    // Starts 10.25, 2.000001, 2 and 3.9 s; the earliest (2 s) is zero.
    assert_eq!(
        got,
        [
            (0, 2, Some(7_000_000)),
            (1, 1, Some(1_000_000)),
            (1_900_000, 0, Some(100_000)),
            (8_250_000, 0, Some(250_000)),
        ]
    );
    assert_eq!(s.span_us, 8_500_000, "to the latest end, 10.5 s");
    assert_eq!(s.functions[0].invocations, 2);
}

fn error_text(result: Result<Schedule, ScheduleError>) -> String {
    result.expect_err("the input is malformed").to_string()
}

fn assert_mentions(message: &str, parts: &[&str]) {
    for p in parts {
        assert!(message.contains(p), "'{message}' does not mention '{p}'");
    }
}

#[test]
fn non_number_count_names_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}\n{}\n{}\n",
        header_2019(),
        row_2019("f", &[(1, "3")]),
        row_2019("g", &[(132, "x1")])
    );
    let msg = error_text(load_2019(&write(dir.path(), "invocations.csv", &text)));
    assert_mentions(
        &msg,
        &[
            "invocations.csv:3:",
            "column '132'",
            "'x1'",
            "count of invocations",
            "fix the row",
        ],
    );
}

#[test]
fn missing_field_names_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let row = row_2019("f", &[]);
    let short = &row[..row.len() - 2]; // drop ",0": minute 1440
    let text = format!("{}\n{short}\n", header_2019());
    let msg = error_text(load_2019(&write(dir.path(), "invocations.csv", &text)));
    assert_mentions(&msg, &["invocations.csv:2:", "column '1440'", "is missing"]);

    let msg = error_text(azure2021::load(write(
        dir.path(),
        "t2021.txt",
        "app,func,end_timestamp,duration\na,f,1,0.5\n\na,f,2\n",
    )));
    assert_mentions(&msg, &["t2021.txt:4:", "column 'duration'", "is missing"]);
}

#[test]
fn negative_duration_names_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "t2021.txt",
        "app,func,end_timestamp,duration\na,f,5,1\na,f,5,-1.5\n",
    );
    let msg = error_text(azure2021::load(path));
    assert_mentions(
        &msg,
        &["t2021.txt:3:", "column 'duration'", "'-1.5'", "negative"],
    );
}

#[test]
fn start_before_the_trace_names_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "t2021.txt",
        "app,func,end_timestamp,duration\na,f,1.5,2\n",
    );
    let msg = error_text(azure2021::load(path));
    assert_mentions(&msg, &["t2021.txt:2:", "column 'duration'", "'2'", "start"]);
    let path = write(
        dir.path(),
        "t2021b.txt",
        "app,func,end_timestamp,duration\na,f,1.5e,2\n",
    );
    let msg = error_text(azure2021::load(path));
    assert_mentions(&msg, &["t2021b.txt:2:", "column 'end_timestamp'", "'1.5e'"]);
}

#[test]
fn bad_header_names_the_file_and_the_expected_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "inv.csv",
        "HashOwner,HashApp,HashFunc,Trigger,1\n",
    );
    let msg = error_text(load_2019(&path));
    assert_mentions(
        &msg,
        &[
            "inv.csv:1:",
            "HashOwner,HashApp,HashFunction,Trigger,1,2,...,1440",
            "HashFunc,",
        ],
    );
    let path = write(
        dir.path(),
        "t2021.txt",
        "app,function,end,duration\na,f,1,1\n",
    );
    let msg = error_text(azure2021::load(path));
    assert_mentions(&msg, &["t2021.txt:1:", "app,func,end_timestamp,duration"]);
}

#[test]
fn empty_file_and_quoted_field_are_rejected_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let msg = error_text(load_2019(&write(dir.path(), "inv.csv", "\n\n")));
    assert_mentions(&msg, &["inv.csv", "empty", "HashOwner"]);
    let path = write(
        dir.path(),
        "t2021.txt",
        "app,func,end_timestamp,duration\n\"a\",f,1,1\n",
    );
    let msg = error_text(azure2021::load(path));
    assert_mentions(&msg, &["t2021.txt:2:", "column 'app'", "quote"]);
}

#[test]
fn bad_value_in_the_optional_durations_file_names_its_column() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(
        dir.path(),
        "inv.csv",
        &format!("{}\n{}\n", header_2019(), row_2019("f", &[(1, "1")])),
    );
    let durations = write(
        dir.path(),
        "dur.csv",
        "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,\
         percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,\
         percentile_Average_99,percentile_Average_100\n\
         o,a,f,1.5,1,1,2,1,1,1,fast,2,2,2\n",
    );
    let files = Azure2019Files {
        invocations: inv,
        durations: Some(durations),
        memory: None,
    };
    let msg = error_text(azure2019::load(&files, &Azure2019Options::default()));
    assert_mentions(
        &msg,
        &["dur.csv:2:", "column 'percentile_Average_50'", "'fast'"],
    );
}

#[test]
fn missing_file_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere").join("d99.csv");
    let shown = missing.display().to_string();
    let msg = error_text(load_2019(&missing));
    assert_mentions(&msg, &[&shown, "no such file"]);
    let msg = error_text(azure2021::load(&missing));
    assert_mentions(&msg, &[&shown]);
    let files = Azure2019Files {
        durations: Some(missing.clone()),
        ..Azure2019Files::for_day(fixtures(), 1)
    };
    let msg = error_text(azure2019::load(&files, &Azure2019Options::default()));
    assert_mentions(&msg, &[&shown]);
}

fn generator(process: Process, seed: u64) -> Generator {
    Generator {
        functions: 20,
        duration_us: 24 * 60 * US_PER_MIN,
        process,
        zipf_exponent: 1.0,
        seed,
    }
}

const BURSTY: Process = Process::Bursty {
    burst_rate_per_min: 600.0,
    gap_rate_per_min: 10.0,
    mean_burst_s: 20.0,
    mean_gap_s: 100.0,
};
const DIURNAL: Process = Process::Diurnal {
    mean_rate_per_min: 60.0,
    peak_to_trough: 4.0,
    peak_hour: 12.0,
};

#[test]
fn generators_repeat_with_a_seed_and_differ_across_seeds() {
    for process in [Process::Poisson { rate_per_min: 30.0 }, BURSTY, DIURNAL] {
        let a = generate::generate(&generator(process, 1)).unwrap();
        assert_eq!(a, generate::generate(&generator(process, 1)).unwrap());
        assert_ne!(
            a.arrivals,
            generate::generate(&generator(process, 2)).unwrap().arrivals
        );
        assert_sorted(&a);
        assert!(a.arrivals.iter().all(|x| x.at_us < a.span_us));
    }
}

/// The schedule's rate over the asked one.
fn rate_ratio(process: Process) -> f64 {
    let s = generate::generate(&generator(process, 11)).unwrap();
    s.rate_per_min() / process.mean_rate_per_min()
}

#[test]
fn poisson_generator_mean_rate_is_within_2_percent_of_the_asked_rate() {
    let r = rate_ratio(Process::Poisson {
        rate_per_min: 120.0,
    });
    assert!((r - 1.0).abs() < 0.02, "{r}");
}

#[test]
fn bursty_generator_mean_rate_matches_its_mix_and_it_is_overdispersed() {
    assert!((BURSTY.mean_rate_per_min() - 108.333).abs() < 0.01);
    let g = Generator {
        functions: 50,
        ..generator(BURSTY, 11)
    };
    let s = generate::generate(&g).unwrap();
    let r = s.rate_per_min() / BURSTY.mean_rate_per_min();
    assert!((r - 1.0).abs() < 0.05, "{r}");
    // Bursts make per-second counts of one function far more variable than
    // a Poisson process's (variance = mean).
    let mut per_s = vec![0f64; (s.span_us / 1_000_000) as usize];
    for a in s.arrivals.iter().filter(|a| a.function == 0) {
        per_s[(a.at_us / 1_000_000) as usize] += 1.0;
    }
    let mean = per_s.iter().sum::<f64>() / per_s.len() as f64;
    let var = per_s.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / per_s.len() as f64;
    assert!(var > 2.0 * mean, "variance {var}, mean {mean}");
}

#[test]
fn diurnal_generator_keeps_its_daily_mean_and_peaks_at_its_hour() {
    let g = Generator {
        duration_us: 2 * 24 * 60 * US_PER_MIN,
        ..generator(DIURNAL, 11)
    };
    let s = generate::generate(&g).unwrap();
    let r = s.rate_per_min() / 60.0;
    assert!((r - 1.0).abs() < 0.03, "{r}");
    let hour = |h: u64| {
        s.arrivals
            .iter()
            .filter(|a| (a.at_us / (60 * US_PER_MIN)) % 24 == h)
            .count() as f64
    };
    // Near the peak the rate is ~1.6x the mean, near the trough ~0.4x.
    let ratio = hour(12) / hour(0);
    assert!(ratio > 3.0 && ratio < 5.0, "{ratio}");
}

#[test]
fn zipf_shares_are_non_increasing_sum_to_one_and_order_the_functions() {
    let shares = zipf_shares(30, 1.2);
    assert!(shares.windows(2).all(|w| w[0] > w[1]));
    assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!((shares[0] / shares[1] - 2f64.powf(1.2)).abs() < 1e-9);
    let flat = zipf_shares(4, 0.0);
    assert!(flat.iter().all(|&s| (s - 0.25).abs() < 1e-12));
    let s = generate::generate(&generator(Process::Poisson { rate_per_min: 60.0 }, 5)).unwrap();
    let counts: Vec<u64> = s.functions.iter().map(|f| f.invocations).collect();
    assert!(counts[0] > counts[1] && counts[1] > counts[4] && counts[4] > counts[19]);
}

#[test]
fn generator_rejects_parameters_out_of_range() {
    let bad = [
        generator(Process::Poisson { rate_per_min: -1.0 }, 1),
        generator(
            Process::Poisson {
                rate_per_min: f64::NAN,
            },
            1,
        ),
        Generator {
            functions: 0,
            ..generator(DIURNAL, 1)
        },
        Generator {
            zipf_exponent: -0.5,
            ..generator(DIURNAL, 1)
        },
        generator(
            Process::Diurnal {
                mean_rate_per_min: 1.0,
                peak_to_trough: 0.5,
                peak_hour: 3.0,
            },
            1,
        ),
        generator(
            Process::Bursty {
                burst_rate_per_min: 1.0,
                gap_rate_per_min: 1.0,
                mean_burst_s: 0.0,
                mean_gap_s: 1.0,
            },
            1,
        ),
        Generator {
            duration_us: u64::MAX,
            ..generator(Process::Poisson { rate_per_min: 1.0 }, 1)
        },
    ];
    for g in bad {
        let err = generate::generate(&g).unwrap_err();
        assert!(
            matches!(err, ScheduleError::Parameter { .. }),
            "{g:?}: {err}"
        );
    }
}

fn trace_functions(invocations: &[u64]) -> Vec<TraceFunction> {
    invocations
        .iter()
        .enumerate()
        .map(|(i, &n)| TraceFunction::new("app", format!("t{i}"), n))
        .collect()
}

const OURS: [&str; 3] = ["bfs", "json", "thumbnail"];

#[test]
fn by_name_mapping_uses_the_table() {
    let table: BTreeMap<String, String> = [("t0", "json"), ("t1", "bfs"), ("t2", "json")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let got = Mapping::ByName(table)
        .assign(&trace_functions(&[5, 1, 9]), &OURS)
        .unwrap();
    assert_eq!(got, [1, 0, 1]);
}

#[test]
fn by_name_mapping_rejects_a_name_that_is_not_ours_and_an_unmapped_function() {
    let table: BTreeMap<String, String> = [("t0", "json"), ("t1", "jsn")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let mapping = Mapping::ByName(table);
    let err = mapping
        .assign(&trace_functions(&[5, 1]), &OURS)
        .unwrap_err();
    assert!(matches!(&err, MappingError::UnknownName { ours, .. } if ours == "jsn"));
    assert_mentions(&err.to_string(), &["'jsn'", "t1", "bfs, json, thumbnail"]);
    let err = mapping
        .assign(&trace_functions(&[5, 1, 2]), &OURS)
        .unwrap_err();
    // t1's bad name comes first in trace order.
    assert!(matches!(err, MappingError::UnknownName { .. }));
    let table = [("t0".to_string(), "bfs".to_string())]
        .into_iter()
        .collect();
    let err = Mapping::ByName(table)
        .assign(&trace_functions(&[5, 1]), &OURS)
        .unwrap_err();
    assert!(matches!(&err, MappingError::Unmapped { trace, .. } if trace == "t1"));
}

#[test]
fn by_rank_mapping_gives_the_most_invoked_our_first_and_cycles() {
    let got = Mapping::ByRank
        .assign(&trace_functions(&[5, 50, 7, 7, 1]), &OURS)
        .unwrap();
    // Ranks: t1 (50), t2 (7, first of the tie), t3 (7), t0 (5), t4 (1).
    assert_eq!(got, [0, 0, 1, 2, 1]);
}

#[test]
fn random_mapping_repeats_with_its_seed_and_reaches_every_function() {
    let functions = trace_functions(&[1; 100]);
    let a = Mapping::Random { seed: 4 }
        .assign(&functions, &OURS)
        .unwrap();
    assert_eq!(
        a,
        Mapping::Random { seed: 4 }
            .assign(&functions, &OURS)
            .unwrap()
    );
    assert_ne!(
        a,
        Mapping::Random { seed: 5 }
            .assign(&functions, &OURS)
            .unwrap()
    );
    let used: HashSet<usize> = a.iter().copied().collect();
    assert_eq!(used, HashSet::from([0, 1, 2]));
}

#[test]
fn mapping_onto_no_functions_is_an_error() {
    let none: [&str; 0] = [];
    for mapping in [Mapping::ByRank, Mapping::Random { seed: 1 }] {
        assert_eq!(
            mapping.assign(&trace_functions(&[1]), &none),
            Err(MappingError::NoFunctions)
        );
    }
}
