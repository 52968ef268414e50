//! `memento config ...`: machine configurations.

use clap::Subcommand;
use memento_sim::Config;

use crate::UserError;

/// Config subcommands.
#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print a preset machine (micro23, small) as TOML to start from.
    Show {
        /// Preset name.
        preset: String,
    },
    /// Check a configuration file; prints nothing when it is valid.
    Check {
        /// The TOML file.
        file: std::path::PathBuf,
    },
}

/// Runs a config subcommand.
pub fn run(command: ConfigCommand) -> Result<(), UserError> {
    match command {
        ConfigCommand::Show { preset } => {
            print!("{}", Config::preset(&preset)?.to_toml());
            Ok(())
        }
        ConfigCommand::Check { file } => {
            let config = crate::replay_cmd::load_config(Some(&file), None)?;
            memento_sim::Machine::new(&config)?;
            Ok(())
        }
    }
}
