//! Runs a handler `--invocations N` times in one process and prints one
//! line per invocation: `memento-invocation ID cold|warm NANOSECONDS RESULT`.

use std::io::Write;
use std::time::Instant;

use crate::markers::Markers;

/// Parses `--invocations N` from the command line (default 1).
fn invocations() -> Result<u64, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => Ok(1),
        [flag, n] if flag == "--invocations" => match n.parse() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(format!("--invocations: `{n}` is not a number >= 1")),
        },
        _ => Err("usage: FUNCTION [--invocations N]".into()),
    }
}

/// The input size: `MEMENTO_INPUT_SIZE` when set (a function's smaller
/// `sample` input in `manifest.toml`), else `default`; exits with status 2
/// when the variable is not a number >= 1.
pub fn input_size(default: usize) -> usize {
    match std::env::var("MEMENTO_INPUT_SIZE") {
        Ok(v) if !v.is_empty() => match v.parse() {
            Ok(n) if n >= 1 => n,
            _ => {
                eprintln!("MEMENTO_INPUT_SIZE: `{v}` is not a number >= 1");
                std::process::exit(2);
            }
        },
        _ => default,
    }
}

/// Runs `handler` on the input `make_input` builds (once, inside the cold
/// invocation) and exits the process; status 2 on a usage error.
pub fn run<I, M, H>(make_input: M, handler: H) -> !
where
    M: FnOnce() -> I,
    H: Fn(&I) -> String,
{
    let n = match invocations() {
        Ok(n) => n,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let markers = Markers::load();
    let mut make_input = Some(make_input);
    let mut input = None;
    let stdout = std::io::stdout();
    markers.roi_begin();
    for i in 0..n {
        markers.invocation_begin(i);
        let start = Instant::now();
        if let Some(make) = make_input.take() {
            input = Some(make());
        }
        let result = handler(input.as_ref().expect("made in invocation 0"));
        let nanos = start.elapsed().as_nanos();
        markers.invocation_end(i);
        let kind = if i == 0 { "cold" } else { "warm" };
        let mut out = stdout.lock();
        writeln!(out, "memento-invocation {i} {kind} {nanos} {result}").expect("stdout");
        out.flush().expect("stdout");
    }
    markers.roi_end();
    std::process::exit(0)
}
