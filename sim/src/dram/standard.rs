//! DRAM standards as data: organisation and timing tables read from TOML,
//! never written as code. The built-in ones are the files of
//! `presets/dram/` (listed by `build.rs`: adding a standard is adding its
//! file); a config can also name a file of its own
//! (`dram.standard_file`).

use serde::{Deserialize, Serialize};

include!(concat!(env!("OUT_DIR"), "/standards.rs"));

/// A DRAM standard at one speed bin: how a rank is organised and its
/// timing constraints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DramStandard {
    /// Name as reports print it (`DDR4-3200`).
    pub name: String,
    /// Transfers per second, in millions; the clock runs at half of it.
    pub data_rate: u32,
    /// Geometry of one rank.
    pub organisation: Organisation,
    /// Timing constraints in DRAM clock cycles.
    pub timing: Timing,
}

/// Geometry of one rank.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// Bank groups per rank.
    pub bank_groups: u32,
    /// Banks per bank group.
    pub banks_per_group: u32,
    /// Rows per bank.
    pub rows: u32,
    /// Columns per row of one device.
    pub columns: u32,
    /// Data bits of one device.
    pub device_width: u32,
    /// Data bits of the channel.
    pub bus_width: u32,
    /// Transfers per burst.
    pub burst_length: u32,
}

/// Timing constraints, in DRAM clock cycles (JEDEC names without the `t`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // each field is the JEDEC parameter of the same name
pub struct Timing {
    pub cl: u32,
    pub cwl: u32,
    pub rcd: u32,
    pub rp: u32,
    pub ras: u32,
    pub wr: u32,
    pub rtp: u32,
    pub ccd_s: u32,
    pub ccd_l: u32,
    pub rrd_s: u32,
    pub rrd_l: u32,
    pub faw: u32,
    pub wtr_s: u32,
    pub wtr_l: u32,
    /// Extra cycles of bus turnaround on a read-to-write switch.
    pub rtw: u32,
    pub rfc: u32,
    pub refi: u32,
    /// Cycles the data bus is busy per burst (burst length / 2).
    pub burst: u32,
}

impl DramStandard {
    /// Names of the built-in standards (the files of `presets/dram/`).
    pub fn built_in_names() -> Vec<&'static str> {
        BUILT_IN.iter().map(|(n, _)| *n).collect()
    }

    /// A built-in standard by its file name (`ddr4-3200`).
    pub fn built_in(name: &str) -> Result<DramStandard, String> {
        let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name) else {
            return Err(format!(
                "unknown DRAM standard `{name}` (known: {}; or give dram.standard_file)",
                Self::built_in_names().join(", ")
            ));
        };
        DramStandard::from_toml_str(text, &format!("standard `{name}`"))
    }

    /// A standard from TOML text, validated; errors start with `source`.
    pub fn from_toml_str(text: &str, source: &str) -> Result<DramStandard, String> {
        let standard: DramStandard = toml::from_str(text).map_err(|e| format!("{source}: {e}"))?;
        standard
            .validate()
            .map_err(|(field, m)| format!("{source}: {field}: {m}"))?;
        Ok(standard)
    }

    /// DRAM clock in MHz.
    pub fn clock_mhz(&self) -> u32 {
        self.data_rate / 2
    }

    /// Bytes in one row of one rank (the row buffer of all its devices).
    pub fn row_bytes(&self) -> u64 {
        let o = &self.organisation;
        u64::from(o.columns) * u64::from(o.bus_width / 8)
    }

    /// Checks that no timing is zero and the geometry is in powers of two.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let t = &self.timing;
        let timings = [
            ("cl", t.cl),
            ("cwl", t.cwl),
            ("rcd", t.rcd),
            ("rp", t.rp),
            ("ras", t.ras),
            ("wr", t.wr),
            ("rtp", t.rtp),
            ("ccd_s", t.ccd_s),
            ("ccd_l", t.ccd_l),
            ("rrd_s", t.rrd_s),
            ("rrd_l", t.rrd_l),
            ("faw", t.faw),
            ("wtr_s", t.wtr_s),
            ("wtr_l", t.wtr_l),
            ("rfc", t.rfc),
            ("refi", t.refi),
            ("burst", t.burst),
        ];
        for (field, value) in timings {
            if value == 0 {
                return Err((format!("timing.{field}"), "a latency of zero".into()));
            }
        }
        if t.refi <= t.rfc {
            return Err(("timing.refi".into(), "must exceed timing.rfc".into()));
        }
        if t.burst * 2 != self.organisation.burst_length {
            return Err((
                "timing.burst".into(),
                "must be half the burst length".into(),
            ));
        }
        let o = &self.organisation;
        for (field, value) in [
            ("bank_groups", o.bank_groups),
            ("banks_per_group", o.banks_per_group),
            ("rows", o.rows),
            ("columns", o.columns),
            ("bus_width", o.bus_width),
        ] {
            if value == 0 || !value.is_power_of_two() {
                return Err((
                    format!("organisation.{field}"),
                    format!("{value} is not a power of two"),
                ));
            }
        }
        if self.data_rate < 2 {
            return Err(("data_rate".into(), "must be at least 2".into()));
        }
        Ok(())
    }
}
