//! User idle time from a terminal device's access time: the kernel updates it
//! on input, which is how `w` and `who -u` compute IDLE.

use std::path::Path;
use std::time::SystemTime;

/// Seconds since the terminal `/dev/<line>` was last read from, or `None`
/// for sessions without a terminal device (X displays, `console` on macOS).
pub fn tty_idle_seconds(dev_root: &Path, line: &str, now: SystemTime) -> Option<u64> {
    if line.is_empty() || line.starts_with(':') || line.contains("..") {
        return None;
    }
    let accessed = std::fs::metadata(dev_root.join(line))
        .ok()?
        .accessed()
        .ok()?;
    Some(
        now.duration_since(accessed)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn idle_is_time_since_last_access() {
        let temp = tempfile::tempdir().unwrap();
        std::fs::create_dir(temp.path().join("pts")).unwrap();
        std::fs::write(temp.path().join("pts/0"), b"").unwrap();
        let accessed = std::fs::metadata(temp.path().join("pts/0"))
            .unwrap()
            .accessed()
            .unwrap();
        let later = accessed + Duration::from_secs(90);
        assert_eq!(tty_idle_seconds(temp.path(), "pts/0", later), Some(90));
        assert_eq!(tty_idle_seconds(temp.path(), ":0", later), None);
        assert_eq!(tty_idle_seconds(temp.path(), "pts/7", later), None);
        assert_eq!(tty_idle_seconds(temp.path(), "../etc/passwd", later), None);
    }
}
