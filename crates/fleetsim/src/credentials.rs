//! Agent identities: enrolled once, saved as JSON lines so later runs skip
//! enrollment.

use crate::SimConfig;
use anyhow::{bail, Context};
use gururmm_protocol::{EnrollRequest, EnrollResponse, OsInfo};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;

/// Enrollments in flight at once.
const ENROLL_CONCURRENCY: usize = 16;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Identity {
    pub index: u64,
    pub device_id: String,
    pub agent_id: String,
    pub secret: String,
}

pub fn device_id(seed: u64, index: u64) -> String {
    format!("fleetsim-{seed}-{index:06}")
}

fn read_saved(config: &SimConfig) -> anyhow::Result<HashMap<u64, Identity>> {
    let Some(path) = &config.credentials_file else {
        return Ok(HashMap::new());
    };
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(HashMap::new());
    };
    let mut saved = HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let identity: Identity =
            serde_json::from_str(line).with_context(|| format!("reading {}", path.display()))?;
        saved.insert(identity.index, identity);
    }
    Ok(saved)
}

/// Identities for this process's share of the fleet, enrolling the missing ones.
pub async fn load_or_enroll(config: &SimConfig) -> anyhow::Result<Vec<Identity>> {
    let mut saved = read_saved(config)?;
    let wanted: Vec<u64> = (config.first_index..config.first_index + config.agents)
        .map(|i| i as u64)
        .collect();
    let missing: Vec<u64> = wanted
        .iter()
        .copied()
        .filter(|i| !saved.contains_key(i))
        .collect();
    if !missing.is_empty() {
        let Some(key) = config.enroll_key.clone() else {
            bail!(
                "{} agent(s) have no saved credentials: give an enrollment key",
                missing.len()
            );
        };
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        let url = format!(
            "{}{}",
            config.server.trim_end_matches('/'),
            gururmm_protocol::AGENT_ENROLL_PATH
        );
        let mut fresh = Vec::with_capacity(missing.len());
        for batch in missing.chunks(ENROLL_CONCURRENCY) {
            let requests = batch.iter().map(|index| {
                let http = http.clone();
                let url = url.clone();
                let key = key.clone();
                let device = device_id(config.seed, *index);
                let hostname = crate::payload::Machine::new(config.seed, *index).hostname();
                async move {
                    let request = EnrollRequest {
                        enrollment_key: key,
                        device_id: device.clone(),
                        hostname,
                        os: OsInfo {
                            family: "windows".into(),
                            name: "Windows 11 Pro".into(),
                            version: "23H2".into(),
                            kernel: None,
                        },
                        arch: "x86_64".into(),
                        agent_version: crate::agent::AGENT_VERSION.into(),
                        agent_credential: None,
                    };
                    let response = http.post(&url).json(&request).send().await?;
                    if !response.status().is_success() {
                        bail!(
                            "enrollment refused: {} {}",
                            response.status(),
                            response.text().await.unwrap_or_default()
                        );
                    }
                    let enrolled: EnrollResponse = response.json().await?;
                    Ok(Identity {
                        index: *index,
                        device_id: device,
                        agent_id: enrolled.agent_id.to_string(),
                        secret: enrolled.agent_secret,
                    })
                }
            });
            for result in futures_util::future::join_all(requests).await {
                fresh.push(result?);
            }
        }
        if let Some(path) = &config.credentials_file {
            // The processes of a split run append to one file: each writes its lines
            // whole, under an exclusive lock (`writeln!` is several writes, which interleave).
            let mut lines = String::new();
            for identity in &fresh {
                lines.push_str(&serde_json::to_string(identity)?);
                lines.push('\n');
            }
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            file.lock()?;
            file.write_all(lines.as_bytes())?;
        }
        saved.extend(fresh.into_iter().map(|identity| (identity.index, identity)));
    }
    Ok(wanted
        .iter()
        .filter_map(|index| saved.remove(index))
        .collect())
}
