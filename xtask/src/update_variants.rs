//! The agent builds the end-to-end update suite installs
//! (`gururmm_testing::update::VARIANTS`): each with the test root key compiled
//! in, its own version, and for the broken ones the way they break. They are
//! built in a target directory of their own, so the workspace's agent keeps
//! its ordinary build, and copied out under their names.

use crate::{cargo, root, run};
use anyhow::{Context, Result};
use gururmm_testing::update::{test_root_public_key, variant_binary, variants_dir, VARIANTS};

pub(crate) fn build() -> Result<()> {
    let target = variants_dir().join("build");
    let root_key = test_root_public_key();
    for variant in VARIANTS {
        let mut command = cargo();
        command
            .current_dir(root())
            .args(["build", "-p", "gururmm-agent", "--bin", "gururmm-agent"])
            .env("CARGO_TARGET_DIR", &target)
            .env("GURURMM_UPDATE_ROOT_KEYS", &root_key)
            .env("GURURMM_AGENT_VERSION", variant.version);
        match variant.break_mode {
            Some(mode) => command.env("GURURMM_AGENT_TEST_BREAK", mode),
            None => command.env_remove("GURURMM_AGENT_TEST_BREAK"),
        };
        run(command)?;
        let built = target.join("debug/gururmm-agent");
        let destination = variant_binary(&variant);
        std::fs::copy(&built, &destination)
            .with_context(|| format!("copying {} to {}", built.display(), destination.display()))?;
    }
    Ok(())
}
