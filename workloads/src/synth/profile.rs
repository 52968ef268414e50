//! Synthetic profiles: what a generated trace looks like, as data.
//! Presets live in `workloads/profiles/*.toml`; a user's own file has the
//! same fields, and every field is checked with an error that names it.

use serde::{Deserialize, Serialize};

/// A weighted range of allocation sizes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeBucket {
    /// Smallest size, bytes (at least 1).
    pub min: u64,
    /// Largest size, bytes.
    pub max: u64,
    /// Relative weight.
    pub weight: f64,
}

/// How long objects live, in allocations of their size class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifetimes {
    /// Share of objects freed within `short_max` same-class allocations.
    pub short_share: f64,
    /// Longest short lifetime.
    pub short_max: u64,
    /// Share of objects never freed (they live until the function exits).
    pub long_share: f64,
    /// The rest live between `short_max + 1` and `medium_max` allocations.
    pub medium_max: u64,
}

/// Which live objects the program touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    /// Mostly the most recently allocated live objects (geometric).
    Recent,
    /// Any live object, uniformly.
    Uniform,
    /// Walk one object from its start in 8-byte steps.
    Sequential,
}

/// The program's accesses to live objects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// Which objects are touched.
    pub pattern: Pattern,
    /// Loads per allocation.
    pub loads_per_allocation: u64,
    /// Stores per allocation.
    pub stores_per_allocation: u64,
    /// For `recent`: how many recent objects are candidates.
    pub recent_window: u64,
    /// Bytes of each new object the program initialises (stores), at most.
    pub init_bytes: u64,
}

/// Instruction counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instructions {
    /// Program instructions per allocation.
    pub per_allocation: u64,
    /// Instructions per program block.
    pub block: u64,
    /// Instructions of a malloc call (fast path).
    pub malloc: u64,
    /// Instructions of a free call.
    pub free: u64,
}

/// A synthetic workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Name, used as the trace's workload.
    pub name: String,
    /// What the profile models.
    pub description: String,
    /// Allocations in the trace.
    pub allocations: u64,
    /// Invocations the allocations are split into (markers around each).
    pub invocations: u64,
    /// Allocation sizes.
    pub sizes: Vec<SizeBucket>,
    /// Object lifetimes.
    pub lifetimes: Lifetimes,
    /// Accesses to live objects.
    pub access: Access,
    /// Instruction counts.
    pub instructions: Instructions,
}

/// A profile field with a bad value, or a file that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct ProfileError {
    /// The file or preset the profile came from.
    pub source_name: String,
    /// What is wrong, naming the field.
    pub message: String,
}

const PRESETS: &[(&str, &str)] = &[
    ("paper", include_str!("../../profiles/paper.toml")),
    ("python", include_str!("../../profiles/python.toml")),
    ("cpp", include_str!("../../profiles/cpp.toml")),
];

impl Profile {
    /// Names of the preset profiles.
    pub fn preset_names() -> Vec<&'static str> {
        PRESETS.iter().map(|(name, _)| *name).collect()
    }

    /// A preset profile by name.
    pub fn preset(name: &str) -> Result<Profile, ProfileError> {
        let (_, text) = PRESETS
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| ProfileError {
                source_name: name.into(),
                message: format!(
                    "unknown profile; the presets are {} (or give a TOML file)",
                    Profile::preset_names().join(", ")
                ),
            })?;
        Profile::from_toml(text, &format!("preset {name}"))
    }

    /// Parses and checks a profile; `source_name` names it in errors.
    pub fn from_toml(text: &str, source_name: &str) -> Result<Profile, ProfileError> {
        let profile: Profile = toml::from_str(text).map_err(|e| ProfileError {
            source_name: source_name.into(),
            message: e.to_string(),
        })?;
        profile.validate().map_err(|message| ProfileError {
            source_name: source_name.into(),
            message,
        })?;
        Ok(profile)
    }

    /// The profile as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("plain data serialises")
    }

    /// Checks every field; the message names the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        let share = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name} = {v}: must be between 0 and 1"))
            }
        };
        let positive = |name: &str, v: u64| {
            if v > 0 {
                Ok(())
            } else {
                Err(format!("{name} must be at least 1"))
            }
        };
        positive("allocations", self.allocations)?;
        positive("invocations", self.invocations)?;
        if self.invocations > self.allocations {
            return Err("invocations must not exceed allocations".into());
        }
        if self.sizes.is_empty() {
            return Err("sizes must list at least one bucket".into());
        }
        for (i, b) in self.sizes.iter().enumerate() {
            if b.min == 0 || b.min > b.max {
                return Err(format!(
                    "sizes[{i}]: need 1 <= min <= max, got {}..{}",
                    b.min, b.max
                ));
            }
            if !(b.weight.is_finite() && b.weight >= 0.0) {
                return Err(format!("sizes[{i}].weight must be a non-negative number"));
            }
        }
        if self.sizes.iter().map(|b| b.weight).sum::<f64>() <= 0.0 {
            return Err("sizes: the weights add up to 0".into());
        }
        let l = &self.lifetimes;
        share("lifetimes.short_share", l.short_share)?;
        share("lifetimes.long_share", l.long_share)?;
        if l.short_share + l.long_share > 1.0 {
            return Err("lifetimes.short_share + lifetimes.long_share must not exceed 1".into());
        }
        positive("lifetimes.short_max", l.short_max)?;
        if l.medium_max <= l.short_max {
            return Err("lifetimes.medium_max must be above lifetimes.short_max".into());
        }
        positive("access.recent_window", self.access.recent_window)?;
        positive("instructions.block", self.instructions.block)?;
        if self.instructions.block > 64 {
            return Err("instructions.block must be at most 64".into());
        }
        positive("instructions.malloc", self.instructions.malloc)?;
        positive("instructions.free", self.instructions.free)?;
        Ok(())
    }
}
