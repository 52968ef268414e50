//! The DRAM part of a machine's configuration: which standard, how many
//! of it, the address mapping and the controller's queues; and the checks
//! of those values, which need the standard's organisation.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::standard::DramStandard;

type Check = Result<(), (String, String)>;

fn fail(field: &str, message: impl Into<String>) -> Check {
    Err((format!("dram.{field}"), message.into()))
}

/// Main memory: which standard, how many of it, and the controller.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DramConfig {
    /// A built-in standard: the name of a file of `presets/dram/` without
    /// `.toml` (`ddr4-3200`). Give this or `standard_file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard: Option<String>,
    /// A standard of your own: a TOML file in the format of
    /// `presets/dram/*.toml`, relative to the config file's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard_file: Option<PathBuf>,
    /// Independent channels (a power of two).
    pub channels: u32,
    /// Ranks per channel (a power of two).
    pub ranks: u32,
    /// Address fields from most to least significant, above the line
    /// offset: each of `row`, `rank`, `bank_group`, `bank`, `column`,
    /// `channel` exactly once.
    pub mapping: Vec<MapField>,
    /// What happens to a row after a column access.
    pub row_policy: RowPolicy,
    /// When each rank refreshes (all together by default).
    #[serde(default, skip_serializing_if = "RefreshPolicy::is_default")]
    pub refresh: RefreshPolicy,
    /// Reads the controller holds before new reads wait.
    pub read_queue: u32,
    /// Writes the controller holds.
    pub write_queue: u32,
    /// Write-queue occupancy that starts a drain.
    pub write_high: u32,
    /// Write-queue occupancy at which a drain stops.
    pub write_low: u32,
    /// Times a queued write may be passed over by row hits before it is
    /// served first.
    pub starvation_cap: u32,
    /// Times a queued read may be passed over by younger reads to its own
    /// bank (row hits keeping the row it needs closed) before it is served
    /// first.
    pub read_starvation_cap: u32,
    /// Where a replay's pages sit in DRAM: where their addresses say
    /// (`as-given`, the default), or each at a pseudo-random frame
    /// (`random`), as an operating system's page allocator scatters them
    /// and as ChampSim's virtual memory places them. `memento dram` uses
    /// its trace's addresses as given
    /// whatever this says.
    #[serde(default, skip_serializing_if = "PageFrames::is_default")]
    pub page_frames: PageFrames,
}

/// Where a replay's pages sit in DRAM ([`DramConfig::page_frames`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PageFrames {
    /// At the physical addresses the machine gives them.
    #[default]
    AsGiven,
    /// Each page at a frame a fixed bijection of its page number picks, so
    /// consecutive pages land in unrelated rows and banks.
    Random,
}

impl PageFrames {
    fn is_default(&self) -> bool {
        *self == PageFrames::AsGiven
    }
}

/// One field of a DRAM address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MapField {
    /// Row within a bank.
    Row,
    /// Rank within a channel.
    Rank,
    /// Bank group within a rank.
    BankGroup,
    /// Bank within a bank group.
    Bank,
    /// Line-sized column block within a row.
    Column,
    /// Channel.
    Channel,
}

/// Row-buffer management.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowPolicy {
    /// Leave the row open after an access (row hits possible).
    Open,
    /// Precharge as soon as the access allows (every access is a row miss).
    Closed,
}

/// When the ranks of a channel refresh. Either way each rank refreshes
/// every tREFI, closing all its banks for tRFC.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefreshPolicy {
    /// Every rank at tREFI, 2 tREFI, ...: all ranks at once.
    #[default]
    AllRanks,
    /// One rank every tREFI / ranks, in turn: rank r first at
    /// (r + 1) tREFI / ranks (DRAMsim3's `RANK_LEVEL_STAGGERED`).
    Staggered,
}

impl RefreshPolicy {
    fn is_default(&self) -> bool {
        *self == RefreshPolicy::default()
    }
}

impl DramConfig {
    /// The standard this config names: a built-in one, or one read from
    /// `standard_file` (relative to `dir`, the config file's folder). The
    /// error is `(field, message)`.
    pub fn load_standard(&self, dir: Option<&Path>) -> Result<DramStandard, (String, String)> {
        match (&self.standard, &self.standard_file) {
            (Some(name), None) => {
                DramStandard::built_in(name).map_err(|m| ("dram.standard".into(), m))
            }
            (None, Some(file)) => {
                let path = match dir {
                    Some(dir) if file.is_relative() => dir.join(file),
                    _ => file.clone(),
                };
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    (
                        "dram.standard_file".into(),
                        format!("{}: {e}", path.display()),
                    )
                })?;
                DramStandard::from_toml_str(&text, &path.display().to_string())
                    .map_err(|m| ("dram.standard_file".into(), m))
            }
            (Some(_), Some(_)) => Err((
                "dram.standard".into(),
                "give dram.standard or dram.standard_file, not both".into(),
            )),
            (None, None) => Err((
                "dram.standard".into(),
                format!(
                    "missing: name a built-in standard ({}) or give dram.standard_file",
                    DramStandard::built_in_names().join(", ")
                ),
            )),
        }
    }

    /// Checks every value against `standard`, for lines of `line_size`
    /// bytes; the error is `(field, message)`.
    pub fn check(&self, standard: &DramStandard, line_size: u32) -> Check {
        let power_of_two = |field: &str, value: u32| {
            if value == 0 || !value.is_power_of_two() {
                return fail(field, format!("{value} is not a power of two"));
            }
            Ok(())
        };
        let positive = |field: &str, value: u32| {
            if value == 0 {
                return fail(field, "must be at least 1");
            }
            Ok(())
        };
        power_of_two("channels", self.channels)?;
        power_of_two("ranks", self.ranks)?;
        positive("read_queue", self.read_queue)?;
        positive("write_queue", self.write_queue)?;
        positive("write_high", self.write_high)?;
        if self.write_high > self.write_queue {
            fail("write_high", "must not exceed dram.write_queue")?;
        }
        if self.write_low >= self.write_high {
            fail("write_low", "must be below dram.write_high")?;
        }
        positive("starvation_cap", self.starvation_cap)?;
        positive("read_starvation_cap", self.read_starvation_cap)?;
        for field in [
            MapField::Row,
            MapField::Rank,
            MapField::BankGroup,
            MapField::Bank,
            MapField::Column,
            MapField::Channel,
        ] {
            let n = self.mapping.iter().filter(|f| **f == field).count();
            if n != 1 {
                fail(
                    "mapping",
                    format!("{field:?} appears {n} times; each field must appear exactly once"),
                )?;
            }
        }
        let o = &standard.organisation;
        let burst_bytes = o.bus_width / 8 * o.burst_length;
        if burst_bytes != line_size {
            return Err((
                "line_size".into(),
                format!(
                    "{line_size} bytes, but one {} burst moves {burst_bytes} bytes",
                    standard.name
                ),
            ));
        }
        Ok(())
    }
}
