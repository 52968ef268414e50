//! `results.csv`: one row per run, in plan order. Columns: `key`,
//! `workload`, `runtime`, `config` (the machine's label), one column per
//! swept parameter (its dotted path, in name order), `mode`, `seed`,
//! `status` (`ok` or `failed`), `cycles`, `instructions`, `dram_reads`,
//! `dram_writes` (lines, all causes), `dram_reads_CAUSE` and
//! `dram_writes_CAUSE` for each cause, `page_faults`, `peak_memory_bytes`
//! and `error`. A platform run or a failed one leaves the replay's
//! figures empty. Nothing in it depends on timing or thread count.

use std::collections::BTreeSet;

use memento_analysis::compare::print::quote;
use memento_analysis::record::RunRecord;
use memento_sim::Cause;

/// The table of `records`, in the order given.
pub fn csv(records: &[RunRecord]) -> String {
    let params: BTreeSet<&str> = records
        .iter()
        .flat_map(|r| r.params.keys().map(String::as_str))
        .collect();
    let mut header: Vec<String> = ["key", "workload", "runtime", "config"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(params.iter().map(|p| quote(p)));
    header.extend(
        [
            "mode",
            "seed",
            "status",
            "cycles",
            "instructions",
            "dram_reads",
            "dram_writes",
        ]
        .map(String::from),
    );
    for dir in ["reads", "writes"] {
        header.extend(
            Cause::ALL
                .iter()
                .map(|c| format!("dram_{dir}_{}", c.name())),
        );
    }
    header.extend(["page_faults", "peak_memory_bytes", "error"].map(String::from));
    let mut out = header.join(",");
    out.push('\n');
    for r in records {
        let mut cells = vec![
            r.key.clone(),
            quote(&r.workload),
            quote(&r.runtime),
            quote(&r.config),
        ];
        cells.extend(
            params
                .iter()
                .map(|p| r.params.get(*p).map_or_else(String::new, |v| quote(v))),
        );
        cells.extend([
            quote(&r.mode),
            r.seed.to_string(),
            if r.failed() { "failed" } else { "ok" }.into(),
        ]);
        match r.stats() {
            Some(s) => {
                cells.extend([
                    s.cycles.to_string(),
                    s.instructions.to_string(),
                    s.dram_reads.transfers().to_string(),
                    s.dram_writes.transfers().to_string(),
                ]);
                for counts in [&s.dram_reads, &s.dram_writes] {
                    cells.extend(Cause::ALL.iter().map(|&c| counts.get(c).to_string()));
                }
                cells.extend([
                    s.page_faults.to_string(),
                    (s.peak_resident_pages * u64::from(s.page_size)).to_string(),
                ]);
            }
            None => cells.extend(std::iter::repeat_n(String::new(), 6 + 2 * Cause::ALL.len())),
        }
        cells.push(match &r.outcome {
            memento_analysis::record::Outcome::Failed { error } => quote(error),
            _ => String::new(),
        });
        out += &cells.join(",");
        out.push('\n');
    }
    out
}
