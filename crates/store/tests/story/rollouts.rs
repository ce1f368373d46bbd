//! Rollouts' crash evidence: the watchdog restarts of the agents a rollout
//! updated, on its release and over as long a time on their previous
//! version, counted per agent from its install (or from when the gate
//! started judging, if later), capped, and only for the rollout's installs.

use crate::{on_every_backend, Tenants};
use chrono::{DateTime, Duration, Utc};
use gururmm_protocol::{RolloutId, UpdateState, WatchdogEvent, WatchdogEventKind};
use gururmm_store::*;
use std::sync::Arc;

fn restart(at: DateTime<Utc>, kind: WatchdogEventKind) -> WatchdogEvent {
    WatchdogEvent {
        at,
        kind,
        version: None,
        detail: "exit code 1".into(),
    }
}

#[tokio::test]
async fn a_rollouts_restarts_are_counted_on_the_release_and_before_it() {
    on_every_backend(|store: Arc<dyn Store>| async move {
        let tenants = Tenants::create(store.as_ref()).await;
        let org = tenants.org.id;
        // Whole seconds: times are stored in milliseconds.
        let offered = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let minutes = |m: i64| offered + Duration::minutes(m);
        let rollout = store
            .create_rollout(NewRollout {
                organization_id: org,
                version: "9.0.0".into(),
                waves: vec![100],
                max_failure_percent: 10,
                created_by_email: "tech@msp.test".into(),
                created_at: offered,
            })
            .await
            .unwrap();
        let mut agents = Vec::new();
        for n in 0..3 {
            agents.push(
                store
                    .enroll_agent(tenants.new_agent(&format!("dev-roll-{n}"), "roll"))
                    .await
                    .unwrap(),
            );
        }
        let (installed, open, by_hand) = (agents[0], agents[1], agents[2]);
        for (agent, rollout_id) in [
            (installed, Some(rollout.id)),
            (open, Some(rollout.id)),
            (by_hand, None),
        ] {
            let (attempt, _) = store
                .create_agent_update(NewUpdateAttempt {
                    organization_id: org,
                    agent_id: agent,
                    version: "9.0.0".into(),
                    file: "gururmm-agent-9.0.0-linux-x86_64".into(),
                    from_version: "0.1.0".into(),
                    requested_by_email: None,
                    rollout_id,
                    wave: rollout_id.map(|_| 0),
                    created_at: offered,
                })
                .await
                .unwrap();
            if agent != open {
                store
                    .set_agent_update_state(
                        agent,
                        attempt.id,
                        UpdateState::Installed,
                        None,
                        "",
                        minutes(10),
                    )
                    .await
                    .unwrap()
                    .unwrap();
            }
        }
        // Every agent restarts at the same times; only the installed
        // rollout agent's restarts (not its repeated-failure summaries) count.
        let mut events: Vec<WatchdogEvent> = [-30, -15, -5, 12, 15, 25, 40]
            .into_iter()
            .map(|m| restart(minutes(m), WatchdogEventKind::Restarted))
            .collect();
        events.push(restart(minutes(13), WatchdogEventKind::RepeatedFailures));
        for agent in &agents {
            store
                .record_watchdog_events(org, *agent, &events, minutes(40))
                .await
                .unwrap();
        }

        let counted = |since: DateTime<Utc>, longest: Duration| {
            let store = store.clone();
            async move {
                store
                    .rollout_restarts(rollout.id, since, minutes(30), longest)
                    .await
                    .unwrap()
            }
        };
        let restarts = |on_release, on_previous| RolloutRestarts {
            agents: 1,
            on_release,
            on_previous,
        };
        // Twenty minutes on the release (12, 15, 25), the twenty before the
        // offer (-15, -5).
        assert_eq!(counted(offered, Duration::hours(1)).await, restarts(3, 2));
        // Judged from minute 14 on: sixteen minutes each side.
        assert_eq!(
            counted(minutes(14), Duration::hours(1)).await,
            restarts(2, 2)
        );
        // At most ten minutes each side.
        assert_eq!(
            counted(offered, Duration::minutes(10)).await,
            restarts(2, 1)
        );
        // A rollout without installs has no evidence.
        let other = store
            .rollout_restarts(RolloutId::new(), offered, minutes(30), Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(other, RolloutRestarts::default());
    })
    .await;
}
