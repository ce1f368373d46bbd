//! The rules of staged rollouts, pure and tested without a database: which
//! update policy applies to an agent, whether its channel takes a release,
//! which wave an agent falls in, and what the health gate decides.

use gururmm_protocol::{AgentId, RolloutId, UpdateState};
use gururmm_store::{PolicyScope, RolloutCandidate, RolloutRestarts, UpdateChannel, UpdatePolicy};
use sha2::{Digest, Sha256};

/// What applies to an agent: the most specific policy, or stable at any time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveUpdatePolicy {
    pub channel: UpdateChannel,
    pub pinned_version: Option<String>,
    pub maintenance_only: bool,
    /// Where it comes from (`None`: the default).
    pub scope: Option<PolicyScope>,
}

impl Default for EffectiveUpdatePolicy {
    fn default() -> Self {
        Self {
            channel: UpdateChannel::Stable,
            pinned_version: None,
            maintenance_only: false,
            scope: None,
        }
    }
}

/// The agent's policy: its own, else its site's, its client's, the organization's.
pub fn effective(policies: &[UpdatePolicy], agent: &RolloutCandidate) -> EffectiveUpdatePolicy {
    let of = |scope: PolicyScope, target: Option<uuid::Uuid>| {
        policies
            .iter()
            .find(|p| p.scope == scope && p.target_id == target)
    };
    [
        of(PolicyScope::Agent, Some(agent.agent_id.0)),
        of(PolicyScope::Site, Some(agent.site_id.0)),
        of(PolicyScope::Client, Some(agent.client_id.0)),
        of(PolicyScope::Global, None),
    ]
    .into_iter()
    .flatten()
    .next()
    .map(|p| EffectiveUpdatePolicy {
        channel: p.channel,
        pinned_version: p.pinned_version.clone(),
        maintenance_only: p.maintenance_only,
        scope: Some(p.scope),
    })
    .unwrap_or_default()
}

/// Whether an agent under `policy` takes `version` from a rollout.
pub fn takes(policy: &EffectiveUpdatePolicy, version: &semver::Version) -> bool {
    match policy.channel {
        UpdateChannel::Stable => version.pre.is_empty(),
        UpdateChannel::Beta => true,
        UpdateChannel::Pinned => policy
            .pinned_version
            .as_deref()
            .and_then(|pinned| semver::Version::parse(pinned).ok())
            .is_some_and(|pinned| &pinned == version),
        UpdateChannel::Manual => false,
    }
}

/// Where an agent falls in a rollout, 0 to 9999: fixed for the rollout, so
/// an agent stays in its wave across ticks and restarts, and spread evenly
/// (a hash), so the first wave is no particular site's machines.
pub fn bucket(rollout: RolloutId, agent: AgentId) -> u32 {
    let digest = Sha256::new()
        .chain_update(rollout.0.as_bytes())
        .chain_update(agent.0.as_bytes())
        .finalize();
    let head = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    head % 10_000
}

/// The wave (index into `waves`, cumulative percentages ending at 100) a
/// bucket falls in.
pub fn wave_of(bucket: u32, waves: &[u8]) -> u32 {
    let index = waves
        .iter()
        .position(|percent| bucket < u32::from(*percent) * 100)
        .unwrap_or(waves.len().saturating_sub(1));
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// Checks a rollout's waves: 1 to 10 ascending percentages from 1 to 100,
/// the last 100.
pub fn validate_waves(waves: &[u8]) -> Result<(), String> {
    if waves.is_empty() || waves.len() > 10 {
        return Err("waves must hold 1 to 10 percentages".into());
    }
    if waves.iter().any(|w| *w == 0 || *w > 100) {
        return Err("each wave is a percentage from 1 to 100".into());
    }
    if waves.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err("waves must grow: each reaches a larger share of the fleet".into());
    }
    if waves.last() != Some(&100) {
        return Err("the last wave must reach 100% of the agents".into());
    }
    Ok(())
}

/// One wave's update attempts, by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WaveCount {
    pub installed: u32,
    /// Refused, failed or rolled back.
    pub failed: u32,
    pub rolled_back: u32,
    /// Not final yet.
    pub open: u32,
}

impl WaveCount {
    pub fn add(&mut self, state: UpdateState) {
        match state {
            UpdateState::Installed => self.installed += 1,
            UpdateState::RolledBack => {
                self.rolled_back += 1;
                self.failed += 1;
            }
            UpdateState::Refused | UpdateState::Failed => self.failed += 1,
            UpdateState::Offered | UpdateState::Downloading | UpdateState::Staged => {
                self.open += 1;
            }
        }
    }

    pub fn finished(&self) -> u32 {
        self.installed + self.failed
    }
}

/// What the health gate makes of the current wave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Updates are still under way, or reachable agents have not had theirs.
    Wait,
    /// The wave is healthy: on to the next (or done after the last).
    Promote,
    /// Too many of the wave's updates failed or rolled back.
    Halt(String),
}

/// How many more watchdog restarts per 100 updated agents the release may
/// show than the same agents' previous version over as long a time. Some
/// restarts are ordinary (a machine's own trouble, an operator's kill); a
/// release that crashes shows as many more than before on the same machines.
pub const MAX_EXTRA_RESTARTS_PER_100_AGENTS: u32 = 10;
/// Fewer restarts on the release than this are never a verdict: one or two
/// restarts happen on healthy machines (an operator's kill, a reboot).
pub const MIN_RELEASE_RESTARTS: u32 = 3;
/// The release must also restart more than this many times as often as the
/// previous version did: a fleet that restarts at a steady rate shows counts
/// that differ by chance, not by the release.
pub const RESTART_RATE_FACTOR: u32 = 2;

/// The health gate: halt as soon as the wave's failures exceed
/// `max_failure_percent` of its finished updates, or as soon as the agents
/// the rollout updated restart more often on the release than they did on
/// their previous version over as long a time, by more than
/// [`MAX_EXTRA_RESTARTS_PER_100_AGENTS`], at least [`MIN_RELEASE_RESTARTS`]
/// and more than [`RESTART_RATE_FACTOR`] times as many; promote once nothing is open, no
/// reachable agent of the wave still waits for its update, and the wave gave
/// evidence: at least one finished update, unless it has no agents left to
/// update. (Agents offline meanwhile get it when they connect; they do not
/// hold the fleet back, but a wave whose agents are all offline waits for
/// one of them rather than pass untested.)
pub fn gate(
    wave: u32,
    count: WaveCount,
    waiting: u32,
    waiting_reachable: u32,
    max_failure_percent: u8,
    version: &str,
    restarts: RolloutRestarts,
) -> Gate {
    let finished = count.finished();
    if finished > 0 && count.failed * 100 > u32::from(max_failure_percent) * finished {
        return Gate::Halt(format!(
            "wave {}: {} of {} updates failed ({} rolled back), over the {}% allowed",
            wave + 1,
            count.failed,
            finished,
            count.rolled_back,
            max_failure_percent
        ));
    }
    if let Some(reason) = crashes(wave, version, restarts) {
        return Gate::Halt(reason);
    }
    if count.open == 0 && waiting_reachable == 0 && (finished > 0 || waiting == 0) {
        Gate::Promote
    } else {
        Gate::Wait
    }
}

/// Why the release crashes more than the version before, if it does.
fn crashes(wave: u32, version: &str, restarts: RolloutRestarts) -> Option<String> {
    let extra = u64::from(restarts.on_release.saturating_sub(restarts.on_previous));
    let allowed = u64::from(MAX_EXTRA_RESTARTS_PER_100_AGENTS) * u64::from(restarts.agents);
    let steady = u64::from(restarts.on_release)
        <= u64::from(RESTART_RATE_FACTOR) * u64::from(restarts.on_previous);
    if restarts.agents == 0
        || restarts.on_release < MIN_RELEASE_RESTARTS
        || steady
        || extra * 100 <= allowed
    {
        return None;
    }
    let agents = match restarts.agents {
        1 => "the 1 agent".to_string(),
        n => format!("the {n} agents"),
    };
    let times = |n: u32| match n {
        1 => "once".to_string(),
        n => format!("{n} times"),
    };
    Some(format!(
        "wave {}: {agents} updated to {version} restarted {} on it, against {} on the previous \
         version over as long before the update, more than the {} extra restarts per 100 agents \
         allowed",
        wave + 1,
        times(restarts.on_release),
        times(restarts.on_previous),
        MAX_EXTRA_RESTARTS_PER_100_AGENTS
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use gururmm_protocol::{ClientId, OrganizationId, SiteId, UpdatePolicyId};

    fn candidate() -> RolloutCandidate {
        RolloutCandidate {
            agent_id: AgentId::new(),
            client_id: ClientId::new(),
            site_id: SiteId::new(),
            os_family: "linux".into(),
            arch: "x86_64".into(),
            agent_version: "1.0.0".into(),
        }
    }

    fn policy(
        scope: PolicyScope,
        target: Option<uuid::Uuid>,
        channel: UpdateChannel,
    ) -> UpdatePolicy {
        UpdatePolicy {
            id: UpdatePolicyId::new(),
            organization_id: OrganizationId::new(),
            scope,
            target_id: target,
            channel,
            pinned_version: Some("1.1.0".into()),
            maintenance_only: false,
            updated_at: Utc::now(),
            updated_by_email: "a@b.c".into(),
        }
    }

    #[test]
    fn the_most_specific_policy_applies() {
        let agent = candidate();
        assert_eq!(effective(&[], &agent), EffectiveUpdatePolicy::default());
        let mut policies = vec![policy(PolicyScope::Global, None, UpdateChannel::Manual)];
        assert_eq!(effective(&policies, &agent).channel, UpdateChannel::Manual);
        policies.push(policy(
            PolicyScope::Client,
            Some(agent.client_id.0),
            UpdateChannel::Beta,
        ));
        assert_eq!(effective(&policies, &agent).channel, UpdateChannel::Beta);
        policies.push(policy(
            PolicyScope::Site,
            Some(agent.site_id.0),
            UpdateChannel::Stable,
        ));
        assert_eq!(effective(&policies, &agent).scope, Some(PolicyScope::Site));
        policies.push(policy(
            PolicyScope::Agent,
            Some(agent.agent_id.0),
            UpdateChannel::Pinned,
        ));
        assert_eq!(effective(&policies, &agent).channel, UpdateChannel::Pinned);
        // Another agent's, site's or client's policy does not apply.
        assert_eq!(
            effective(&policies, &candidate()).channel,
            UpdateChannel::Manual
        );
    }

    #[test]
    fn channels_take_the_releases_they_name() {
        let stable = semver::Version::parse("1.1.0").unwrap();
        let beta = semver::Version::parse("1.2.0-beta.1").unwrap();
        let with = |channel| EffectiveUpdatePolicy {
            channel,
            pinned_version: Some("1.1.0".into()),
            ..EffectiveUpdatePolicy::default()
        };
        assert!(takes(&with(UpdateChannel::Stable), &stable));
        assert!(!takes(&with(UpdateChannel::Stable), &beta));
        assert!(
            takes(&with(UpdateChannel::Beta), &beta) && takes(&with(UpdateChannel::Beta), &stable)
        );
        assert!(takes(&with(UpdateChannel::Pinned), &stable));
        assert!(!takes(&with(UpdateChannel::Pinned), &beta));
        assert!(!takes(&with(UpdateChannel::Manual), &stable));
    }

    #[test]
    fn waves_split_the_fleet_by_their_percentages() {
        let waves = [1, 10, 50, 100];
        assert_eq!(wave_of(0, &waves), 0);
        assert_eq!(wave_of(99, &waves), 0);
        assert_eq!(wave_of(100, &waves), 1);
        assert_eq!(wave_of(999, &waves), 1);
        assert_eq!(wave_of(4999, &waves), 2);
        assert_eq!(wave_of(9999, &waves), 3);
        let rollout = RolloutId::new();
        let mut per_wave = [0u32; 4];
        for _ in 0..10_000 {
            per_wave[wave_of(bucket(rollout, AgentId::new()), &waves) as usize] += 1;
        }
        // About 1%, 9%, 40% and 50%.
        assert!((50..=170).contains(&per_wave[0]), "{per_wave:?}");
        assert!((3_700..=4_300).contains(&per_wave[2]), "{per_wave:?}");
        let agent = AgentId::new();
        assert_eq!(bucket(rollout, agent), bucket(rollout, agent), "stable");
    }

    #[test]
    fn waves_are_checked() {
        assert!(validate_waves(&[1, 10, 50, 100]).is_ok());
        assert!(validate_waves(&[100]).is_ok());
        for bad in [
            &[][..],
            &[10, 5, 100],
            &[0, 100],
            &[10, 50],
            &[50, 50, 100],
            &[101],
        ] {
            assert!(validate_waves(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_gate_halts_on_failures_and_promotes_a_settled_healthy_wave() {
        let calm = RolloutRestarts::default();
        let count = |installed, failed, open| WaveCount {
            installed,
            failed,
            rolled_back: failed,
            open,
        };
        assert_eq!(gate(0, count(0, 0, 1), 1, 0, 10, "2.0.0", calm), Gate::Wait);
        assert_eq!(
            gate(0, count(1, 0, 0), 1, 1, 10, "2.0.0", calm),
            Gate::Wait,
            "a reachable agent waits"
        );
        assert_eq!(
            gate(0, count(1, 0, 0), 0, 0, 10, "2.0.0", calm),
            Gate::Promote
        );
        assert_eq!(
            gate(0, count(1, 0, 0), 5, 0, 10, "2.0.0", calm),
            Gate::Promote,
            "offline agents do not hold it"
        );
        assert_eq!(
            gate(0, count(0, 0, 0), 0, 0, 10, "2.0.0", calm),
            Gate::Promote,
            "nothing left to update"
        );
        assert_eq!(
            gate(0, count(0, 0, 0), 3, 0, 10, "2.0.0", calm),
            Gate::Wait,
            "no evidence yet: all offline"
        );
        assert_eq!(
            gate(1, count(9, 1, 0), 0, 0, 10, "2.0.0", calm),
            Gate::Promote,
            "10% is allowed"
        );
        let Gate::Halt(reason) = gate(1, count(8, 2, 3), 0, 0, 10, "2.0.0", calm) else {
            panic!("20% failed halts at once");
        };
        assert_eq!(
            reason,
            "wave 2: 2 of 10 updates failed (2 rolled back), over the 10% allowed"
        );
        assert!(matches!(
            gate(0, count(0, 1, 0), 0, 0, 0, "2.0.0", calm),
            Gate::Halt(_)
        ));
    }

    #[test]
    fn the_gate_halts_when_the_release_restarts_more_than_the_version_before() {
        let installed = WaveCount {
            installed: 20,
            ..WaveCount::default()
        };
        let judge = |agents, on_release, on_previous| {
            gate(
                1,
                installed,
                0,
                0,
                10,
                "2.0.0",
                RolloutRestarts {
                    agents,
                    on_release,
                    on_previous,
                },
            )
        };
        assert_eq!(judge(20, 0, 0), Gate::Promote, "no restarts");
        assert_eq!(
            judge(20, 2, 0),
            Gate::Promote,
            "10 more per 100 agents is allowed"
        );
        assert_eq!(
            judge(20, 9, 7),
            Gate::Promote,
            "as many more as allowed over restarts that were there before"
        );
        assert_eq!(
            judge(20, 3, 9),
            Gate::Promote,
            "fewer than before is better"
        );
        assert_eq!(judge(0, 0, 0), Gate::Promote, "no evidence, no verdict");
        assert_eq!(
            judge(1, 2, 0),
            Gate::Promote,
            "one or two restarts are not a verdict"
        );
        assert_eq!(
            judge(100, 120, 100),
            Gate::Promote,
            "a fleet restarting at its steady rate, counts differing by chance"
        );
        let Gate::Halt(reason) = judge(20, 10, 4) else {
            panic!("6 more restarts on 20 agents, 2.5 times as many, halts");
        };
        assert_eq!(
            reason,
            "wave 2: the 20 agents updated to 2.0.0 restarted 10 times on it, against 4 times on \
             the previous version over as long before the update, more than the 10 extra restarts \
             per 100 agents allowed"
        );
        let Gate::Halt(one) = judge(1, 3, 0) else {
            panic!("one agent restarting three times on the release halts");
        };
        assert!(
            one.contains("the 1 agent updated to 2.0.0 restarted 3 times on it, against 0 times"),
            "{one}"
        );
        // Crashes halt while updates are still under way, as failures do.
        let open = WaveCount {
            installed: 1,
            open: 4,
            ..WaveCount::default()
        };
        let restarts = RolloutRestarts {
            agents: 1,
            on_release: 3,
            on_previous: 0,
        };
        assert!(matches!(
            gate(0, open, 4, 0, 10, "2.0.0", restarts),
            Gate::Halt(_)
        ));
        // Failures over the limit are named first.
        let failed = WaveCount {
            installed: 1,
            failed: 1,
            rolled_back: 1,
            open: 0,
        };
        let Gate::Halt(both) = gate(0, failed, 0, 0, 10, "2.0.0", restarts) else {
            panic!("halts");
        };
        assert!(both.contains("updates failed"), "{both}");
    }
}
