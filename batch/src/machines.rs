//! The machines of an experiment: each preset and file of `[machine]`,
//! crossed with every point of `[sweep]`. A sweep value is set in the
//! machine's TOML at its dotted path (which must exist), and the TOML is
//! read again, so that the machine's own checks name the field of a bad
//! value.
//!
//! A `memento.*` path on a machine without a `[memento]` section sweeps
//! the section that the Memento modes add (that of the `-memento`
//! presets); the baseline ignores it.

use std::collections::BTreeMap;
use std::path::Path;

use memento_sim::Config;

use crate::experiment::Experiment;
use crate::BatchError;

/// One machine of the experiment, a sweep point applied.
#[derive(Clone, Debug)]
pub struct Machine {
    /// Its label: the preset or file it starts from, then each swept
    /// parameter as `path=value`, comma-separated.
    pub label: String,
    /// The swept parameters and their values, each as TOML writes it.
    pub params: BTreeMap<String, String>,
    /// The machine, checked (its seed is the base's own).
    pub config: Config,
}

/// Every machine of `exp`: presets, then files, each crossed with the
/// sweep points (the last sweep key varying fastest).
pub fn machines(exp: &Experiment) -> Result<Vec<Machine>, BatchError> {
    let mut bases = Vec::new();
    for (i, name) in exp.machine.presets.iter().enumerate() {
        let config = Config::preset(name)
            .map_err(|e| BatchError::at(&exp.path, &format!("machine.presets[{i}]"), e))?;
        bases.push((name.clone(), config));
    }
    for (i, file) in exp.machine.files.iter().enumerate() {
        let config = Config::from_file(&exp.dir().join(file))
            .map_err(|e| BatchError::at(&exp.path, &format!("machine.files[{i}]"), e))?;
        bases.push((file.clone(), config));
    }
    let points = sweep_points(&exp.sweep);
    let mut out = Vec::new();
    for (label, base) in &bases {
        for point in &points {
            out.push(apply(&exp.path, label, base, point)?);
        }
    }
    Ok(out)
}

/// Every combination of the sweep's values, in order; one empty point
/// when nothing is swept.
fn sweep_points(sweep: &[(String, Vec<toml::Value>)]) -> Vec<Vec<(&str, &toml::Value)>> {
    let mut points = vec![Vec::new()];
    for (key, values) in sweep {
        points = points
            .into_iter()
            .flat_map(|p: Vec<(&str, &toml::Value)>| {
                values.iter().map(move |v| {
                    let mut p = p.clone();
                    p.push((key.as_str(), v));
                    p
                })
            })
            .collect();
    }
    points
}

/// `base` (labelled `label`) with the values of `point` set.
fn apply(
    exp: &Path,
    label: &str,
    base: &Config,
    point: &[(&str, &toml::Value)],
) -> Result<Machine, BatchError> {
    if point.is_empty() {
        return Ok(Machine {
            label: label.to_string(),
            params: BTreeMap::new(),
            config: base.clone(),
        });
    }
    let mut start = base.clone();
    if point.iter().any(|(k, _)| k.starts_with("memento.")) && start.memento.is_none() {
        start.memento = Some(Config::default_memento());
    }
    let mut doc: toml::Table =
        toml::from_str(&start.to_toml()).expect("a config's TOML reads back");
    let mut label = label.to_string();
    let mut params = BTreeMap::new();
    for &(key, value) in point {
        set(&mut doc, key, value.clone())
            .map_err(|m| BatchError::at(exp, &format!("sweep.{key:?}"), m))?;
        let shown = value.to_string();
        label += &format!(",{key}={shown}");
        params.insert(key.to_string(), shown);
    }
    let text = toml::to_string(&doc).expect("a table serialises");
    let mut config = Config::from_toml_str(&text, label.as_str()).map_err(|e| {
        let message = crate::experiment::one_line(&e.message);
        let at = |k: &str| {
            e.field == k
                || e.field.starts_with(&format!("{k}."))
                || e.field.starts_with(&format!("{k}["))
        };
        match point.iter().find(|(k, _)| at(k)) {
            Some((key, value)) => BatchError::at(
                exp,
                &format!("sweep.{key:?}"),
                format!("{value} on machine {label}: {}: {message}", e.field),
            ),
            // A value that breaks a rule between fields.
            None => BatchError::at(
                exp,
                "sweep",
                format!("machine {label}: {}: {message}", e.field),
            ),
        }
    })?;
    config.source_dir = base.source_dir.clone();
    Ok(Machine {
        label,
        params,
        config,
    })
}

/// Sets the existing field at dotted `path` of `doc` to `value`; the
/// error says which part of the path does not exist.
fn set(doc: &mut toml::Table, path: &str, value: toml::Value) -> Result<(), String> {
    let parts: Vec<&str> = path.split('.').collect();
    let mut table = doc;
    for (i, part) in parts.iter().enumerate() {
        let known = || {
            let mut k: Vec<&str> = table.keys().map(String::as_str).collect();
            k.sort_unstable();
            k.join(", ")
        };
        let here = parts[..i].join(".");
        let within = if here.is_empty() {
            "the machine".to_string()
        } else {
            format!("[{here}]")
        };
        if !table.contains_key(*part) {
            return Err(format!(
                "no field `{part}` in {within} (known: {})",
                known()
            ));
        }
        if i + 1 == parts.len() {
            table.insert(part.to_string(), value);
            return Ok(());
        }
        table = match table.get_mut(*part) {
            Some(toml::Value::Table(t)) => t,
            _ => {
                return Err(format!(
                    "`{}` is a value, not a section",
                    parts[..=i].join(".")
                ))
            }
        };
    }
    Err("give a dotted config path such as \"llc.sets\"".into())
}
