//! `disk` checks: used percentage and free bytes of one mount, or of every
//! fixed disk (the one in the worst state, then the fullest, counts).

use super::{grade, Outcome};
use crate::collectors::{self, disks::MountedFilesystem};
use gururmm_protocol::checks::DiskCheck;
use gururmm_protocol::CheckState;
use sysinfo::{DiskRefreshKind, Disks};

/// Reads the mounted filesystems now (sizes only).
pub fn mounts() -> Vec<MountedFilesystem> {
    let disks = Disks::new_with_refreshed_list_specifics(DiskRefreshKind::nothing().with_storage());
    collectors::mounted_filesystems(&disks)
}

/// `/data/` and `/data`, `c:\` and `C:` name the same mount.
fn same_mount(listed: &str, wanted: &str) -> bool {
    let trim = |m: &str| m.trim_end_matches(['/', '\\']).to_owned();
    let (listed, wanted) = (trim(listed), trim(wanted));
    if wanted.contains(':') {
        listed.eq_ignore_ascii_case(&wanted)
    } else {
        listed == wanted
    }
}

/// Grades `check` against the mounts the OS lists.
pub fn evaluate(check: &DiskCheck, mounts: Vec<MountedFilesystem>) -> Outcome {
    let candidates: Vec<(String, u64, u64)> = match &check.mount {
        Some(wanted) => mounts
            .into_iter()
            .filter(|m| same_mount(&m.mount_point, wanted) && m.total_bytes > 0)
            .take(1)
            .map(|m| (m.mount_point, m.total_bytes, m.available_bytes))
            .collect(),
        None => collectors::disks::select_real_disks(mounts)
            .into_iter()
            .map(|d| (d.mount_point, d.total_bytes, d.total_bytes - d.used_bytes))
            .collect(),
    };
    let graded = candidates.into_iter().map(|(mount, total, free)| {
        let used_percent = (total - free.min(total)) as f64 * 100.0 / total as f64;
        let mut state = grade(
            used_percent,
            check.warn_used_percent,
            check.max_used_percent,
        );
        if check.min_free_bytes.is_some_and(|min| free < min) {
            state = CheckState::Failing;
        }
        (state, used_percent, mount, free)
    });
    let worst = graded.max_by(|a, b| severity(a.0).cmp(&severity(b.0)).then(a.1.total_cmp(&b.1)));
    let Some((state, used_percent, mount, free)) = worst else {
        return Outcome::failing(match &check.mount {
            Some(mount) => format!("{mount} is not mounted"),
            None => "no fixed disk found".to_owned(),
        });
    };
    Outcome {
        state,
        output: format!(
            "{mount}: {used_percent:.1} % used, {} free",
            human_bytes(free)
        ),
        value: Some(used_percent),
    }
}

fn severity(state: CheckState) -> u8 {
    match state {
        CheckState::Pending | CheckState::Passing => 0,
        CheckState::Warning => 1,
        CheckState::Failing => 2,
    }
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    fn mount(device: &str, mount_point: &str, total_gib: u64, free_gib: u64) -> MountedFilesystem {
        MountedFilesystem {
            device: device.into(),
            file_system: "ext4".into(),
            mount_point: mount_point.into(),
            total_bytes: total_gib * GIB,
            available_bytes: free_gib * GIB,
        }
    }

    fn machine() -> Vec<MountedFilesystem> {
        vec![
            mount("/dev/sda1", "/", 100, 50),
            mount("/dev/sdb1", "/data", 100, 5),
            MountedFilesystem {
                file_system: "tmpfs".into(),
                ..mount("tmpfs", "/run", 1, 0)
            },
        ]
    }

    fn check(
        mount: Option<&str>,
        max: Option<f64>,
        warn: Option<f64>,
        min_free: Option<u64>,
    ) -> DiskCheck {
        DiskCheck {
            mount: mount.map(Into::into),
            max_used_percent: max,
            warn_used_percent: warn,
            min_free_bytes: min_free,
        }
    }

    #[test]
    fn every_fixed_disk_counts_and_the_output_names_the_worst() {
        let outcome = evaluate(&check(None, Some(90.0), Some(60.0), None), machine());
        assert_eq!(outcome.state, CheckState::Failing);
        assert_eq!(outcome.output, "/data: 95.0 % used, 5.0 GiB free");
        assert_eq!(outcome.value, Some(95.0));
        let outcome = evaluate(&check(None, Some(99.0), Some(40.0), None), machine());
        assert_eq!(outcome.state, CheckState::Warning);
        assert!(
            outcome.output.starts_with("/data:"),
            "the fullest of equals counts"
        );
    }

    #[test]
    fn one_mount_by_name_and_free_bytes() {
        let outcome = evaluate(&check(Some("/"), Some(90.0), None, None), machine());
        assert_eq!(
            (outcome.state, outcome.output.as_str()),
            (CheckState::Passing, "/: 50.0 % used, 50.0 GiB free")
        );
        let outcome = evaluate(
            &check(Some("/data/"), None, None, Some(10 * GIB)),
            machine(),
        );
        assert_eq!(outcome.state, CheckState::Failing);
        let windows = vec![mount("C:", "C:\\", 100, 90)];
        let outcome = evaluate(&check(Some("c:"), Some(5.0), None, None), windows);
        assert_eq!(
            (outcome.state, outcome.output.as_str()),
            (CheckState::Failing, "C:\\: 10.0 % used, 90.0 GiB free")
        );
    }

    #[test]
    fn a_missing_mount_fails_saying_so() {
        let outcome = evaluate(&check(Some("/backup"), Some(90.0), None, None), machine());
        assert_eq!(
            (outcome.state, outcome.output.as_str()),
            (CheckState::Failing, "/backup is not mounted")
        );
        let outcome = evaluate(&check(None, Some(90.0), None, None), vec![]);
        assert_eq!(outcome.output, "no fixed disk found");
    }
}
