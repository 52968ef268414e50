//! Which memory management a run of a comparison models: the baseline,
//! Memento, the ideal Mallacc, or Memento with some of its four features
//! (the ablation), and the machine configuration of each.

use std::fmt;

use memento_sim::config::{AllocatorKind, Placement};
use memento_sim::stats::ExtensionStats;
use memento_sim::Config;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One of Memento's features, as the ablation switches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// obj-alloc, with the objects placed where it puts them (off: the
    /// software allocates, objects keep their traced addresses).
    ObjectAlloc,
    /// obj-free.
    ObjectFree,
    /// The hardware page allocator.
    PageManagement,
    /// Both bypass rules.
    Bypass,
}

impl Feature {
    /// The four, in report order.
    pub const ALL: [Feature; 4] = [
        Feature::ObjectAlloc,
        Feature::ObjectFree,
        Feature::PageManagement,
        Feature::Bypass,
    ];

    /// The feature's name in modes and reports.
    pub fn name(self) -> &'static str {
        match self {
            Feature::ObjectAlloc => "alloc",
            Feature::ObjectFree => "free",
            Feature::PageManagement => "page",
            Feature::Bypass => "bypass",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of features, as a bit mask over [`Feature::ALL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Features(pub u8);

impl Features {
    /// No feature: the baseline.
    pub const NONE: Features = Features(0);
    /// Every feature: Memento.
    pub const ALL: Features = Features(0b1111);

    /// Whether `f` is in the set.
    pub fn has(self, f: Feature) -> bool {
        self.0 & f.bit() != 0
    }

    /// The set with `f` added.
    pub fn with(self, f: Feature) -> Features {
        Features(self.0 | f.bit())
    }

    /// Features in the set.
    pub fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// All 16 sets, the empty one first.
    pub fn every() -> impl Iterator<Item = Features> {
        (0..16).map(Features)
    }
}

/// The memory management of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// Memento with some of its features on: [`Features::NONE`] is the
    /// baseline, [`Features::ALL`] Memento.
    Memento(Features),
    /// The ideal Mallacc.
    IdealMallacc,
}

impl Mode {
    /// The traced software allocator and kernel.
    pub const BASELINE: Mode = Mode::Memento(Features::NONE);
    /// Every feature on.
    pub const MEMENTO: Mode = Mode::Memento(Features::ALL);

    /// The runs of a comparison: baseline, Memento and ideal Mallacc; with
    /// `ablate`, every other combination of features too.
    pub fn runs(ablate: bool) -> Vec<Mode> {
        let mut modes = vec![Mode::BASELINE, Mode::MEMENTO, Mode::IdealMallacc];
        if ablate {
            modes.extend(
                Features::every()
                    .filter(|f| *f != Features::NONE && *f != Features::ALL)
                    .map(Mode::Memento),
            );
        }
        modes
    }

    /// The machine of this mode, from `base`: its `[memento]` section (or
    /// the presets') with the allocator and switches of the mode. With no
    /// feature on it is the baseline machine itself.
    pub fn config(self, base: &Config) -> Config {
        let mut c = base.clone();
        let features = match self {
            Mode::Memento(Features::NONE) => {
                c.memento = None;
                return c;
            }
            Mode::Memento(f) => f,
            Mode::IdealMallacc => Features::NONE,
        };
        let m = c.memento.get_or_insert_with(Config::default_memento);
        m.allocator = match self {
            Mode::IdealMallacc => AllocatorKind::IdealMallacc,
            Mode::Memento(_) => AllocatorKind::Memento,
        };
        let on = |f: Feature| features.has(f);
        if !on(Feature::ObjectAlloc) {
            m.object_alloc = false;
            m.placement = Placement::Trace;
        }
        m.object_free &= on(Feature::ObjectFree);
        m.page_alloc &= on(Feature::PageManagement);
        m.bypass_alloc &= on(Feature::Bypass);
        m.bypass_free &= on(Feature::Bypass);
        c
    }

    /// The mode a replay ran in, from its stats; `None` for a combination
    /// of switches that is no mode of a comparison.
    pub fn of(extension: Option<&ExtensionStats>) -> Option<Mode> {
        let Some(e) = extension else {
            return Some(Mode::BASELINE);
        };
        if e.allocator == "ideal-mallacc" {
            return Some(Mode::IdealMallacc);
        }
        let m = e.memento.as_ref()?;
        let s = m.switches;
        let placed = m.placement == "memento";
        if s.object_alloc != placed || s.bypass_alloc != s.bypass_free {
            return None;
        }
        let mut f = Features::NONE;
        for (on, feature) in [
            (s.object_alloc, Feature::ObjectAlloc),
            (s.object_free, Feature::ObjectFree),
            (s.page_alloc, Feature::PageManagement),
            (s.bypass_alloc, Feature::Bypass),
        ] {
            if on {
                f = f.with(feature);
            }
        }
        Some(Mode::Memento(f))
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Mode::BASELINE => out.write_str("baseline"),
            Mode::MEMENTO => out.write_str("memento"),
            Mode::IdealMallacc => out.write_str("ideal-mallacc"),
            Mode::Memento(f) => {
                let names: Vec<&str> = Feature::ALL
                    .iter()
                    .filter(|x| f.has(**x))
                    .map(|x| x.name())
                    .collect();
                write!(out, "only:{}", names.join("+"))
            }
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;

    fn from_str(text: &str) -> Result<Mode, String> {
        match text {
            "baseline" => return Ok(Mode::BASELINE),
            "memento" => return Ok(Mode::MEMENTO),
            "ideal-mallacc" => return Ok(Mode::IdealMallacc),
            _ => {}
        }
        let bad = || {
            format!("unknown mode `{text}` (baseline, memento, ideal-mallacc, only:alloc+free+page+bypass)")
        };
        let names = text.strip_prefix("only:").ok_or_else(bad)?;
        let mut f = Features::NONE;
        for name in names.split('+') {
            let feature = Feature::ALL
                .into_iter()
                .find(|x| x.name() == name)
                .ok_or_else(bad)?;
            f = f.with(feature);
        }
        Ok(Mode::Memento(f))
    }
}

impl Serialize for Mode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Mode, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
