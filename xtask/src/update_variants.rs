//! The agent builds the end-to-end update suites install
//! (`gururmm_testing::update::VARIANTS`): each with the test root key compiled
//! in, its own version, and for the broken ones the way they break; for
//! Linux, and for Windows when the Windows suite runs (`windows`). They are
//! built in a target directory of their own, so the workspace's agent keeps
//! its ordinary build, and copied out under their names.

use crate::{cargo, root, run, WINDOWS_TARGET};
use anyhow::{Context, Result};
use gururmm_testing::update::{
    test_root_public_key, variant_binary, variant_windows_binary, variants_dir, VARIANTS,
};

pub(crate) fn build(windows: bool) -> Result<()> {
    let target = variants_dir().join("build");
    let root_key = test_root_public_key();
    let platforms: &[Option<&str>] = if windows {
        &[None, Some(WINDOWS_TARGET)]
    } else {
        &[None]
    };
    for (variant, platform) in VARIANTS
        .iter()
        .flat_map(|variant| platforms.iter().map(move |platform| (variant, *platform)))
    {
        let mut command = cargo();
        command
            .current_dir(root())
            .args(["build", "-p", "gururmm-agent", "--bin", "gururmm-agent"])
            .args(platform.map(|target| ["--target", target]).iter().flatten())
            .env("CARGO_TARGET_DIR", &target)
            .env("GURURMM_UPDATE_ROOT_KEYS", &root_key)
            .env("GURURMM_AGENT_VERSION", variant.version);
        match variant.break_mode {
            Some(mode) => command.env("GURURMM_AGENT_TEST_BREAK", mode),
            None => command.env_remove("GURURMM_AGENT_TEST_BREAK"),
        };
        run(command)?;
        let (built, destination) = match platform {
            None => (target.join("debug/gururmm-agent"), variant_binary(variant)),
            Some(windows) => (
                target.join(windows).join("debug/gururmm-agent.exe"),
                variant_windows_binary(variant),
            ),
        };
        std::fs::copy(&built, &destination)
            .with_context(|| format!("copying {} to {}", built.display(), destination.display()))?;
    }
    Ok(())
}
