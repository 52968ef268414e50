//! Config: presets, TOML round trip, and validation errors that name the
//! field at fault.

use memento_sim::config::{PredictorKind, PrefetcherKind, Replacement, RowPolicy};
use memento_sim::dram::DramStandard;
use memento_sim::Config;

fn micro23_text() -> String {
    Config::preset("micro23").unwrap().to_toml()
}

fn error_field(text: &str) -> String {
    Config::from_toml_str(text, "test.toml").unwrap_err().field
}

#[test]
fn micro23_is_the_papers_machine() {
    let c = Config::preset("micro23").unwrap();
    assert_eq!(c.frequency_mhz, 3000);
    assert_eq!(c.core.width, 4);
    assert_eq!(c.core.rob, 256);
    assert_eq!(c.core.load_queue, 64);
    let kib = |l: &memento_sim::config::CacheConfig| l.sets * l.ways * c.line_size / 1024;
    assert_eq!(kib(&c.l1i), 32);
    assert_eq!(kib(&c.l1d), 32);
    assert_eq!(kib(&c.l2), 256);
    assert_eq!(kib(&c.llc), 2048);
    assert_eq!(c.llc.ways, 16);
    let d = c.dram.load_standard(None).unwrap();
    assert_eq!(d.name, "DDR4-3200");
    assert_eq!(
        d.organisation.bank_groups * d.organisation.banks_per_group,
        16
    );
}

#[test]
fn presets_round_trip_through_toml() {
    for name in Config::PRESETS {
        let c = Config::preset(name).unwrap();
        let again = Config::from_toml_str(&c.to_toml(), "round trip").unwrap();
        assert_eq!(c, again, "{name}");
    }
}

#[test]
fn unknown_preset_is_an_error_listing_the_known_ones() {
    let e = Config::preset("huge").unwrap_err();
    assert!(
        e.message.contains("micro23") && e.message.contains("small"),
        "{e}"
    );
}

#[test]
fn non_power_of_two_set_count_names_the_field() {
    let text = micro23_text().replacen("sets = 64", "sets = 48", 1);
    assert_eq!(error_field(&text), "l1i.sets");
}

#[test]
fn a_cache_too_large_to_model_names_the_field_instead_of_aborting() {
    // 2^31 sets passed validation and then asked for that much memory
    // (found by fuzzing the machine config).
    let text = micro23_text().replacen("sets = 64", "sets = 2147483648", 1);
    assert_eq!(error_field(&text), "l1i.sets");
}

#[test]
fn zero_latency_names_the_field() {
    let text = micro23_text().replace("latency = 10\n", "latency = 0\n");
    assert_eq!(error_field(&text), "l2.latency");
}

#[test]
fn unknown_policy_names_the_field() {
    let text = micro23_text().replace("replacement = \"srrip\"", "replacement = \"mru\"");
    let e = Config::from_toml_str(&text, "test.toml").unwrap_err();
    assert_eq!(e.field, "llc.replacement");
    assert!(
        e.to_string().starts_with("test.toml: llc.replacement:"),
        "{e}"
    );
}

#[test]
fn unknown_field_is_rejected_with_its_path() {
    let text = micro23_text().replace("[core]\n", "[core]\nwidht = 4\n");
    let e = Config::from_toml_str(&text, "test.toml").unwrap_err();
    assert_eq!(e.field, "core.widht");
    assert!(e.message.contains("widht"), "{e}");
}

#[test]
fn tree_plru_needs_power_of_two_ways() {
    let mut c = Config::preset("micro23").unwrap();
    c.tlb.stlb.ways = 12;
    c.l2.ways = 12;
    c.l2.replacement = Replacement::TreePlru;
    let e = Config::from_toml_str(&c.to_toml(), "t").unwrap_err();
    assert_eq!(e.field, "l2.replacement");
}

#[test]
fn watermarks_must_be_ordered() {
    let text = micro23_text().replace("write_low = 16", "write_low = 48");
    assert_eq!(error_field(&text), "dram.write_low");
}

#[test]
fn zero_read_starvation_cap_names_the_field() {
    let text = micro23_text().replace("read_starvation_cap = 16", "read_starvation_cap = 0");
    let err = Config::from_toml_str(&text, "test.toml").unwrap_err();
    assert_eq!(err.field, "dram.read_starvation_cap");
    assert!(
        err.to_string().contains("dram.read_starvation_cap"),
        "{err}"
    );
}

#[test]
fn missing_read_starvation_cap_names_the_field() {
    let text = micro23_text().replace("read_starvation_cap = 16\n", "");
    assert!(!text.contains("read_starvation_cap"));
    let err = Config::from_toml_str(&text, "test.toml").unwrap_err();
    assert!(err.to_string().contains("read_starvation_cap"), "{err}");
}

#[test]
fn unknown_dram_standard_names_the_field() {
    let text = micro23_text().replace("\"ddr4-3200\"", "\"ddr3-1600\"");
    assert_eq!(error_field(&text), "dram.standard");
}

#[test]
fn base_cpi_below_one_over_width_is_rejected() {
    let text = micro23_text().replace("base_cpi = 0.25", "base_cpi = 0.2");
    assert_eq!(error_field(&text), "core.base_cpi");
}

#[test]
fn syntax_errors_are_reported_as_such() {
    let e = Config::from_toml_str("name = ", "bad.toml").unwrap_err();
    assert_eq!(e.field, "(syntax)");
    assert_eq!(e.source_name, "bad.toml");
}

#[test]
fn dram_standards_hold_the_jedec_values() {
    let d4 = DramStandard::built_in("ddr4-3200").unwrap();
    assert_eq!(
        (d4.timing.cl, d4.timing.rcd, d4.timing.rp, d4.timing.ras),
        (22, 22, 22, 52)
    );
    assert_eq!(
        (d4.timing.rfc, d4.timing.refi, d4.timing.burst),
        (560, 12480, 4)
    );
    assert_eq!(d4.clock_mhz(), 1600);
    let d5 = DramStandard::built_in("ddr5-4800").unwrap();
    assert_eq!(
        (d5.timing.cl, d5.timing.rcd, d5.timing.rp, d5.timing.ras),
        (40, 39, 39, 77)
    );
    assert_eq!((d5.timing.refi, d5.timing.burst), (9360, 8));
    assert_eq!(d5.clock_mhz(), 2400);
}

#[test]
fn ddr5_preset_machine_is_valid() {
    let mut c = Config::preset("micro23").unwrap();
    c.dram.standard = Some("ddr5-4800".into());
    c.dram.row_policy = RowPolicy::Closed;
    assert!(Config::from_toml_str(&c.to_toml(), "ddr5").is_ok());
}

#[test]
fn a_dram_standard_of_ones_own_is_read_from_a_file_beside_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let ddr4 = include_str!("../presets/dram/ddr4-3200.toml");
    let slower = ddr4
        .replace("DDR4-3200", "DDR4-2933 (mine)")
        .replace("data_rate = 3200", "data_rate = 2933");
    std::fs::write(dir.path().join("my-ddr4-2933.toml"), slower).unwrap();
    let machine = Config::preset("micro23").unwrap().to_toml().replace(
        "standard = \"ddr4-3200\"",
        "standard_file = \"my-ddr4-2933.toml\"",
    );
    let path = dir.path().join("machine.toml");
    std::fs::write(&path, &machine).unwrap();
    let c = Config::from_file(&path).unwrap();
    let s = c.dram.load_standard(c.source_dir.as_deref()).unwrap();
    assert_eq!((s.name.as_str(), s.data_rate), ("DDR4-2933 (mine)", 2933));
    // Relative to the config's folder, not the working one.
    let e = Config::from_toml_str(&machine, "elsewhere.toml").unwrap_err();
    assert_eq!(e.field, "dram.standard_file", "{e}");
    assert!(e.message.contains("my-ddr4-2933.toml"), "{e}");
}

#[test]
fn a_machine_names_exactly_one_dram_standard() {
    let base = Config::preset("small").unwrap().to_toml();
    let both = base.replace(
        "standard = \"ddr4-3200\"",
        "standard = \"ddr4-3200\"\nstandard_file = \"x.toml\"",
    );
    let e = Config::from_toml_str(&both, "both.toml").unwrap_err();
    assert_eq!(e.field, "dram.standard");
    assert!(e.message.contains("not both"), "{e}");
    let none = base.replace("standard = \"ddr4-3200\"\n", "");
    let e = Config::from_toml_str(&none, "none.toml").unwrap_err();
    assert!(e.message.contains("ddr4-3200, ddr5-4800"), "{e}");
}

#[test]
fn the_built_in_standards_are_the_files_of_presets_dram() {
    let mut files: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/presets/dram"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
    files.sort();
    assert_eq!(DramStandard::built_in_names(), files);
    for name in files {
        DramStandard::built_in(&name).unwrap();
    }
}

#[test]
fn the_dramsim3_preset_holds_the_values_of_dramsim3s_ddr4_8gb_x8_3200_ini() {
    use memento_sim::config::{MapField, RefreshPolicy};
    let c = Config::preset("dramsim3-ddr4").unwrap();
    c.validate().unwrap();
    let d = &c.dram;
    // address_mapping = rochrababgco, most significant first.
    assert_eq!(
        d.mapping,
        [
            MapField::Row,
            MapField::Channel,
            MapField::Rank,
            MapField::Bank,
            MapField::BankGroup,
            MapField::Column
        ]
    );
    assert_eq!((d.channels, d.ranks), (1, 2)); // 16384 MB of 8 GB ranks
    assert_eq!((d.read_queue, d.write_queue, d.write_high), (32, 32, 32));
    assert_eq!(d.row_policy, RowPolicy::Open);
    assert_eq!(d.refresh, RefreshPolicy::Staggered);
    let s = c.dram_standard().unwrap();
    let t = &s.timing;
    assert_eq!((t.cl, t.cwl, t.rcd, t.rp, t.ras), (22, 16, 22, 22, 52));
    assert_eq!((t.wr, t.rtp, t.ccd_s, t.ccd_l), (24, 12, 4, 8));
    assert_eq!(
        (t.rrd_s, t.rrd_l, t.faw, t.wtr_s, t.wtr_l),
        (4, 8, 34, 4, 12)
    );
    assert_eq!((t.rfc, t.refi, t.burst, t.rtw), (560, 12480, 4, 1));
    let o = &s.organisation;
    assert_eq!(
        (
            o.bank_groups,
            o.banks_per_group,
            o.rows,
            o.columns,
            o.device_width
        ),
        (4, 4, 65536, 1024, 8)
    );
    // tCK = 0.63 ns.
    assert!((1000.0 / f64::from(s.clock_mhz()) - 0.63).abs() < 0.001);
    // The whole machine around it is micro23's.
    let micro23 = Config::preset("micro23").unwrap();
    assert_eq!(
        (c.core, c.l1d, c.llc),
        (micro23.core, micro23.l1d, micro23.llc)
    );
}

#[test]
fn an_unknown_refresh_policy_names_the_field() {
    let text = micro23_text().replace(
        "row_policy = \"open\"",
        "row_policy = \"open\"\nrefresh = \"sometimes\"",
    );
    assert_eq!(error_field(&text), "dram.refresh");
}

#[test]
fn the_champsim_preset_loads_with_champsims_defaults() {
    let c = Config::preset("champsim").unwrap();
    assert_eq!(c.name, "champsim");
    assert_eq!((c.cores, c.frequency_mhz), (1, 4000));
    assert_eq!(
        (c.core.rob, c.core.load_queue, c.core.store_queue),
        (352, 128, 72)
    );
    assert_eq!(c.branch.predictor, PredictorKind::Bimodal);
    assert_eq!((c.branch.btb_sets, c.branch.btb_ways), (1024, 8));
    // 48 KiB 12-way L1D, 512 KiB L2, 2 MiB LLC, all LRU.
    assert_eq!((c.l1d.sets, c.l1d.ways, c.l1d.latency), (64, 12, 5));
    assert_eq!((c.l2.sets, c.l2.ways, c.l2.latency), (1024, 8, 10));
    assert_eq!((c.llc.sets, c.llc.ways, c.llc.latency), (2048, 16, 20));
    for cache in [&c.l1i, &c.l1d, &c.l2, &c.llc] {
        assert_eq!(cache.replacement, Replacement::Lru);
        assert_eq!(cache.prefetcher, PrefetcherKind::None);
    }
    assert_eq!((c.dram.channels, c.dram.ranks), (1, 1));
    assert_eq!(c.dram.page_frames, memento_sim::dram::PageFrames::Random);
}

#[test]
fn too_many_page_walkers_and_an_unknown_layout_name_their_fields() {
    let text = micro23_text().replace("[tlb]\n", "[tlb]\npage_walkers = 65\n");
    assert_eq!(error_field(&text), "tlb.page_walkers");
    let text = micro23_text().replace("[tlb]\n", "[tlb]\npage_table_layout = \"radix\"\n");
    assert_eq!(error_field(&text), "tlb.page_table_layout");
    let text = micro23_text().replace("[core]\n", "[core]\nstore_write = \"later\"\n");
    assert_eq!(error_field(&text), "core.store_write");
}
