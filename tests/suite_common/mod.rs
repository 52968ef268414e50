//! What the function-suite tests share: the repository root and the
//! environments of `scripts/setup-workloads.sh`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Once;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `scripts/setup-workloads.sh` once per test binary.
pub fn setup() {
    static SETUP: Once = Once::new();
    SETUP.call_once(|| {
        let status = Command::new(root().join("scripts/setup-workloads.sh"))
            .status()
            .expect("setup script starts");
        assert!(status.success(), "scripts/setup-workloads.sh failed");
    });
}
