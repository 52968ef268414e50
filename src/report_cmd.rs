//! `memento report`: a batch folder's runs as a Markdown summary with
//! plots and the hot code of its traces.

use std::path::PathBuf;

use clap::Args;

use crate::UserError;

/// Arguments of `report`.
#[derive(Args)]
pub struct ReportArgs {
    /// The batch folder (`memento batch run ... --out DIR`); its
    /// `runs/*.json` are read.
    dir: PathBuf,
    /// Where to write the Markdown [default: DIR/report.md].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Where to write the plots, SVG and PNG [default: DIR/plots].
    #[arg(long)]
    plot_dir: Option<PathBuf>,
}

/// Runs `report`.
pub fn run(args: ReportArgs) -> Result<(), UserError> {
    let written =
        memento_analysis::report::write(&args.dir, args.out.as_deref(), args.plot_dir.as_deref())?;
    println!(
        "wrote {} and {} plot files",
        written.markdown.display(),
        written.plots.len()
    );
    Ok(())
}
