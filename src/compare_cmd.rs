//! `memento compare`: traces replayed as the baseline, with Memento and with
//! the ideal Mallacc (and the ablation), or saved results, compared.

use std::path::{Path, PathBuf};

use clap::Args;
use memento_analysis::compare::{self, print, Mode};

use crate::replay_cmd::{load_config, runtime_of};
use crate::UserError;

/// Arguments of `compare`.
#[derive(Args)]
pub struct CompareArgs {
    /// Traces to replay (one core each), or saved results: the JSON of
    /// `memento replay` (one run of one trace) or of `memento compare`.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Machine configuration file (TOML); its [memento] section, if any,
    /// sets the extension's parameters.
    #[arg(long, conflicts_with = "preset")]
    config: Option<PathBuf>,
    /// Built-in machine [default: micro23].
    #[arg(long)]
    preset: Option<String>,
    /// Also run every combination of Memento's four features (object
    /// alloc, object free, page management, bypass) and split the speedup
    /// among them.
    #[arg(long)]
    ablate: bool,
    /// Print JSON (schema memento-compare/1) instead of tables.
    #[arg(long, conflicts_with_all = ["csv", "markdown"])]
    json: bool,
    /// Print CSV, one row per workload.
    #[arg(long, conflicts_with = "markdown")]
    csv: bool,
    /// Print the tables as Markdown.
    #[arg(long)]
    markdown: bool,
    /// Write the plots (SVG and PNG) into this folder.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Runs at once, at least 1 [default: one per core].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..4096))]
    jobs: Option<u64>,
}

fn is_saved(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "json")
}

/// Runs `compare`.
pub fn run(args: CompareArgs) -> Result<(), UserError> {
    let (saved, traces): (Vec<PathBuf>, Vec<PathBuf>) =
        args.inputs.iter().cloned().partition(|p| is_saved(p));
    let (saved_machine, mut measured) = compare::load(&saved)?;
    let mut machine = saved_machine;
    if !traces.is_empty() {
        let config = load_config(args.config.as_ref(), args.preset.as_deref())?;
        if !saved.is_empty() && machine != config.name {
            return Err(UserError::new(format!(
                "the saved results ran on machine `{machine}`, the traces would run on `{}`: \
                 pass --preset or --config of the same machine",
                config.name
            )));
        }
        machine = config.name.clone();
        let total = traces.len() * Mode::runs(args.ablate).len();
        let bar = indicatif::ProgressBar::new(total as u64).with_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} runs {elapsed}")
                .expect("valid template"),
        );
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(args.jobs.unwrap_or(0) as usize)
            .build()
            .map_err(|e| UserError::new(format!("--jobs: {e}")))?;
        let fresh = pool.install(|| {
            compare::measure(&config, &traces, args.ablate, &runtime_of, &|| bar.inc(1))
        })?;
        bar.finish_and_clear();
        measured.extend(fresh);
    }
    let comparison = compare::compare(&machine, measured)?;
    if let Some(dir) = &args.plot {
        compare::plot::all(&comparison, dir)?;
    }
    if args.json {
        println!("{}", print::json(&comparison));
    } else if args.csv {
        print!("{}", print::csv(&comparison));
    } else {
        let style = if args.markdown {
            print::Style::Markdown
        } else {
            print::Style::Text
        };
        print!("{}", print::text(&comparison, style));
    }
    Ok(())
}
