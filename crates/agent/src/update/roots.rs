//! The root keys this build trusts for updates, compiled in.
//!
//! A release build is made with `GURURMM_UPDATE_ROOT_KEYS` set to the root
//! public keys (the base64 line of each minisign `.pub` file, separated by
//! commas); see docs/updates.md. Nothing on the machine or from the server
//! can add a root: a build without any refuses every update (`unknown_key`),
//! and keeps running the version it is.

/// The roots given at build time.
pub fn trusted_roots() -> Vec<&'static str> {
    parse(option_env!("GURURMM_UPDATE_ROOT_KEYS").unwrap_or(""))
}

fn parse(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_are_separated_by_commas_and_blanks_ignored() {
        assert_eq!(parse(""), Vec::<&str>::new());
        assert_eq!(parse(" RWQa , RWQb,,"), ["RWQa", "RWQb"]);
    }
}
