//! The suite's manifest: one entry per function, read from TOML and checked.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use serde::Deserialize;

/// The runtime a function runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    /// CPython 3, from the project's venv.
    Python,
    /// C++ built with g++.
    Cpp,
    /// A binary of the `memento-rust-functions` crate.
    Rust,
    /// Node.js.
    Node,
}

impl Runtime {
    /// What malloc tracing cannot see of this runtime, to tell the user
    /// with its runs and captures.
    pub fn tracing_limit(self) -> Option<&'static str> {
        match self {
            Runtime::Node => Some(
                "V8 allocates JavaScript objects in its own heap, which malloc tracing does not see",
            ),
            Runtime::Python | Runtime::Cpp | Runtime::Rust => None,
        }
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Runtime::Python => "python",
            Runtime::Cpp => "cpp",
            Runtime::Rust => "rust",
            Runtime::Node => "node",
        })
    }
}

/// The allocator a Rust function is built with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Allocator {
    /// The system allocator (glibc malloc).
    #[default]
    System,
    /// `memento-alloc` (cargo feature `memento-alloc` of the functions).
    Memento,
}

/// One function of the suite.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Function {
    /// Short unique name, as given to `memento workloads run`.
    pub name: String,
    /// Its runtime.
    pub runtime: Runtime,
    /// Source (or Rust binary name) relative to the workloads folder.
    pub entry: String,
    /// The benchmark it stands for.
    pub role: String,
    /// The seeded input it makes itself.
    pub inputs: String,
    /// Registry packages it needs.
    #[serde(default)]
    pub packages: Vec<String>,
    /// What its invocations allocate.
    pub allocates: String,
    /// Default number of invocations per process.
    pub invocations: u32,
    /// The result every invocation must print.
    pub expected: String,
    /// Extra libraries to link (C++ only), e.g. `jemalloc`.
    #[serde(default)]
    pub link: Vec<String>,
    /// The allocator of a Rust function: `system` (glibc) or `memento`
    /// (`memento-alloc` as its `#[global_allocator]`).
    #[serde(default)]
    pub allocator: Allocator,
    /// A smaller input for short sample traces, when the function has one.
    #[serde(default)]
    pub sample: Option<Sample>,
}

/// A function's small input: the function reads [`INPUT_SIZE_VAR`] and
/// makes `size` items (records, documents, ...) instead of its default.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    /// Items the input holds.
    pub size: u32,
    /// The result every invocation must print with this input.
    pub expected: String,
}

/// The environment variable through which a function with a [`Sample`]
/// learns its input size.
pub const INPUT_SIZE_VAR: &str = "MEMENTO_INPUT_SIZE";

/// The whole manifest.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The functions, in file order.
    #[serde(rename = "function")]
    pub functions: Vec<Function>,
}

/// A manifest that cannot be read or is inconsistent.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct ManifestError {
    /// The file (or label) it came from.
    pub source_name: String,
    /// What is wrong.
    pub message: String,
}

impl Manifest {
    /// Reads and checks the manifest file.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|e| ManifestError {
            source_name: path.display().to_string(),
            message: e.to_string(),
        })?;
        Manifest::from_toml(&text, &path.display().to_string())
    }

    /// Parses and checks manifest text; `source_name` labels errors.
    pub fn from_toml(text: &str, source_name: &str) -> Result<Manifest, ManifestError> {
        let error = |message: String| ManifestError {
            source_name: source_name.to_string(),
            message,
        };
        let manifest: Manifest = toml::from_str(text).map_err(|e| error(e.to_string()))?;
        let mut seen = HashSet::new();
        for f in &manifest.functions {
            if !seen.insert(f.name.as_str()) {
                return Err(error(format!("function `{}` is listed twice", f.name)));
            }
            if f.invocations == 0 {
                return Err(error(format!(
                    "function `{}`: invocations must be >= 1",
                    f.name
                )));
            }
            if f.expected.is_empty() {
                return Err(error(format!("function `{}`: expected is empty", f.name)));
            }
            if let Some(sample) = &f.sample {
                if sample.size == 0 || sample.expected.is_empty() {
                    return Err(error(format!(
                        "function `{}`: sample needs size >= 1 and an expected result",
                        f.name
                    )));
                }
            }
            if f.allocator != Allocator::System && f.runtime != Runtime::Rust {
                return Err(error(format!(
                    "function `{}`: allocator is for rust only",
                    f.name
                )));
            }
            if !f.link.is_empty() && f.runtime != Runtime::Cpp {
                return Err(error(format!(
                    "function `{}`: link is for cpp only",
                    f.name
                )));
            }
        }
        Ok(manifest)
    }

    /// The function called `name`.
    pub fn get(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// All names, in file order.
    pub fn names(&self) -> Vec<&str> {
        self.functions.iter().map(|f| f.name.as_str()).collect()
    }
}
