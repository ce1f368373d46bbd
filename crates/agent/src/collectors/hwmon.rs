//! Temperatures and fan speeds from a Linux hwmon sysfs tree
//! (`/sys/class/hwmon/hwmon*/{name,temp*_input,temp*_label,fan*_input,fan*_label}`).
//!
//! The walker takes the tree's root as a parameter so tests replay a fake
//! tree in a temporary directory; the value parsers are pure.

use gururmm_protocol::{FanReading, TemperatureReading};
use std::fs;
use std::path::Path;

/// Readings found under one hwmon root.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HwmonReadings {
    pub temperatures: Vec<TemperatureReading>,
    pub fans: Vec<FanReading>,
}

/// `temp*_input` holds millidegrees Celsius. Values outside what any sensor
/// can mean (disconnected inputs report e.g. -273 °C or 255 °C) are dropped.
pub fn parse_millidegrees(text: &str) -> Option<f32> {
    let millidegrees: i64 = text.trim().parse().ok()?;
    let celsius = millidegrees as f32 / 1000.0;
    (-60.0..=200.0).contains(&celsius).then_some(celsius)
}

/// `fan*_input` holds revolutions per minute.
pub fn parse_rpm(text: &str) -> Option<u32> {
    text.trim().parse().ok()
}

/// Splits `temp12_input` into (`temp`, 12) for the given suffix.
fn sensor_index<'a>(file_name: &'a str, suffix: &str) -> Option<(&'a str, u32)> {
    let stem = file_name.strip_suffix(suffix)?;
    let digits_at = stem.find(|c: char| c.is_ascii_digit())?;
    let (kind, index) = stem.split_at(digits_at);
    Some((kind, index.parse().ok()?))
}

/// Orders `hwmon2` before `hwmon10`.
fn natural_key(name: &str) -> (String, u64) {
    let digits_at = name
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(name.len());
    let (text, number) = name.split_at(digits_at);
    (text.to_owned(), number.parse().unwrap_or(0))
}

fn read_trimmed(path: &Path) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Reads every chip under `root`. Unreadable files (some drivers answer EIO
/// for absent sensors) are skipped one by one.
pub fn read_hwmon(root: &Path) -> std::io::Result<HwmonReadings> {
    let mut chips: Vec<_> = fs::read_dir(root)?.filter_map(Result::ok).collect();
    chips.sort_by_key(|entry| natural_key(&entry.file_name().to_string_lossy()));
    let mut readings = HwmonReadings::default();
    for chip in chips {
        let chip_path = chip.path();
        let chip_name = read_trimmed(&chip_path.join("name"))
            .unwrap_or_else(|| chip.file_name().to_string_lossy().into_owned());
        let Ok(entries) = fs::read_dir(&chip_path) else {
            continue;
        };
        let mut sensors: Vec<(String, u32)> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let (kind, index) = sensor_index(&name, "_input")?;
                matches!(kind, "temp" | "fan").then(|| (kind.to_owned(), index))
            })
            .collect();
        sensors.sort();
        for (kind, index) in sensors {
            let input = chip_path.join(format!("{kind}{index}_input"));
            let label = read_trimmed(&chip_path.join(format!("{kind}{index}_label")))
                .map(|label| format!("{chip_name} {label}"))
                .unwrap_or_else(|| format!("{chip_name} {kind}{index}"));
            let Some(text) = read_trimmed(&input) else {
                continue;
            };
            if kind == "temp" {
                if let Some(celsius) = parse_millidegrees(&text) {
                    readings
                        .temperatures
                        .push(TemperatureReading { label, celsius });
                }
            } else if let Some(rpm) = parse_rpm(&text) {
                readings.fans.push(FanReading { label, rpm });
            }
        }
    }
    Ok(readings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, contents: &str) {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    #[test]
    fn value_parsers() {
        assert_eq!(parse_millidegrees("45000\n"), Some(45.0));
        assert_eq!(parse_millidegrees("-5500"), Some(-5.5));
        assert_eq!(parse_millidegrees("-273000"), None);
        assert_eq!(parse_millidegrees("garbage"), None);
        assert_eq!(parse_rpm("1200\n"), Some(1200));
        assert_eq!(parse_rpm("-1"), None);
    }

    #[test]
    fn a_fake_sysfs_tree_is_read_with_labels_in_natural_order() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        // A recorded layout: coretemp with labels, an NVMe drive, and a Super
        // I/O chip with fans and one unreadable sensor.
        write(root, "hwmon0/name", "acpitz\n");
        write(root, "hwmon0/temp1_input", "27800\n");
        write(root, "hwmon2/name", "coretemp\n");
        write(root, "hwmon2/temp1_input", "52000\n");
        write(root, "hwmon2/temp1_label", "Package id 0\n");
        write(root, "hwmon2/temp10_input", "49000\n");
        write(root, "hwmon2/temp10_label", "Core 8\n");
        write(root, "hwmon2/temp2_input", "48000\n");
        write(root, "hwmon2/temp2_label", "Core 0\n");
        write(root, "hwmon2/temp1_max", "100000\n");
        write(root, "hwmon10/name", "nct6798\n");
        write(root, "hwmon10/fan2_input", "1130\n");
        write(root, "hwmon10/fan1_input", "0\n");
        write(root, "hwmon10/fan1_label", "CPU_FAN\n");
        write(root, "hwmon10/temp3_input", "");
        write(root, "hwmon10/pwm1", "128\n");

        let readings = read_hwmon(root).unwrap();
        let temperatures: Vec<(&str, f32)> = readings
            .temperatures
            .iter()
            .map(|t| (t.label.as_str(), t.celsius))
            .collect();
        assert_eq!(
            temperatures,
            [
                ("acpitz temp1", 27.8),
                ("coretemp Package id 0", 52.0),
                ("coretemp Core 0", 48.0),
                ("coretemp Core 8", 49.0),
            ]
        );
        let fans: Vec<(&str, u32)> = readings
            .fans
            .iter()
            .map(|f| (f.label.as_str(), f.rpm))
            .collect();
        assert_eq!(fans, [("nct6798 CPU_FAN", 0), ("nct6798 fan2", 1130)]);
    }

    #[test]
    fn a_missing_root_is_an_error_and_an_empty_one_has_no_readings() {
        let temp = tempfile::tempdir().unwrap();
        assert!(read_hwmon(&temp.path().join("absent")).is_err());
        assert_eq!(read_hwmon(temp.path()).unwrap(), HwmonReadings::default());
    }
}
