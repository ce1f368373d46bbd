//! An agent's effective policy: the policies assigned at the global, client,
//! site and agent scopes merged in that order, the most specific setting
//! winning, with where each part came from.
//!
//! Rules:
//! - At most one assignment per scope reaches an agent (the store keeps one
//!   per scope and target).
//! - An assignment with `block_inheritance` cuts off every less specific one.
//! - A setting that a policy leaves absent is inherited; checks merge by name:
//!   a check of the same name in a more specific policy replaces the earlier
//!   one, and with `enabled: false` turns it off.
//!
//! Pure: the caller brings the assignments and policies.

use gururmm_protocol::{PolicyAssignmentId, PolicyId};
use gururmm_store::{
    AgentPlacement, CheckDefinition, NotifyRoute, Policy, PolicyAssignment, PolicyScope,
};
use serde::Serialize;
use std::collections::HashMap;

/// The assignment, and so the scope and policy, a part of the effective policy comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PolicySource {
    pub scope: PolicyScope,
    pub assignment_id: PolicyAssignmentId,
    pub policy_id: PolicyId,
    pub policy_name: String,
}

/// A setting's value and the policy that set it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Sourced<T> {
    pub value: T,
    pub source: PolicySource,
}

/// A check as it reaches the agent, with the policy that defined it and those it replaced.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EffectiveCheck {
    #[serde(flatten)]
    pub check: CheckDefinition,
    pub source: PolicySource,
    /// The check template it was made from, if any.
    pub template_id: Option<uuid::Uuid>,
    /// Less specific policies whose check of this name this one replaced.
    pub overrides: Vec<PolicySource>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EffectivePolicy {
    /// The checks the agent runs.
    pub checks: Vec<EffectiveCheck>,
    /// Checks turned off by a more specific policy (`enabled: false`).
    pub disabled_checks: Vec<EffectiveCheck>,
    pub offline_alert_after_seconds: Option<Sourced<u32>>,
    pub notify: Option<Sourced<Vec<NotifyRoute>>>,
    pub renotify_minutes: Option<Sourced<u32>>,
    pub metrics_interval_seconds: Option<Sourced<u32>>,
    /// The assignments merged, least specific first.
    pub applied: Vec<PolicySource>,
    /// Assignments that would reach the agent but are cut off by a more
    /// specific one's block inheritance.
    pub blocked: Vec<PolicySource>,
}

impl EffectivePolicy {
    pub fn check(&self, name: &str) -> Option<&EffectiveCheck> {
        self.checks.iter().find(|c| c.check.name == name)
    }
}

/// Whether the assignment reaches an agent placed so.
fn reaches(assignment: &PolicyAssignment, placement: &AgentPlacement) -> bool {
    let target = assignment.target_id;
    match assignment.scope {
        PolicyScope::Global => target.is_none(),
        PolicyScope::Client => target == Some(placement.client_id.0),
        PolicyScope::Site => target == Some(placement.site_id.0),
        PolicyScope::Agent => target == Some(placement.agent_id.0),
    }
}

/// A policy's checks: its own, then those taken from templates (a template
/// that no longer exists is left out), each with the template it came from.
pub fn policy_checks(
    policy: &Policy,
    templates: &HashMap<uuid::Uuid, CheckDefinition>,
) -> Vec<(CheckDefinition, Option<uuid::Uuid>)> {
    let own = policy.body.checks.iter().map(|c| (c.clone(), None));
    let from_templates = policy.body.template_checks.iter().filter_map(|t| {
        let mut check = templates.get(&t.template_id)?.clone();
        if let Some(name) = &t.name {
            check.name.clone_from(name);
        }
        check.enabled = t.enabled;
        Some((check, Some(t.template_id)))
    });
    own.chain(from_templates).collect()
}

/// Merges the assignments that reach the agent; `templates` are the
/// organization's check templates by id.
pub fn resolve(
    placement: &AgentPlacement,
    assignments: &[PolicyAssignment],
    policies: &HashMap<PolicyId, Policy>,
    templates: &HashMap<uuid::Uuid, CheckDefinition>,
) -> EffectivePolicy {
    let mut reaching: Vec<(&PolicyAssignment, &Policy)> = assignments
        .iter()
        .filter(|a| a.organization_id == placement.organization_id && reaches(a, placement))
        .filter_map(|a| policies.get(&a.policy_id).map(|p| (a, p)))
        .collect();
    reaching.sort_by_key(|(a, _)| a.scope);
    let cut = reaching
        .iter()
        .rposition(|(a, _)| a.block_inheritance)
        .unwrap_or(0);
    let source = |a: &PolicyAssignment, p: &Policy| PolicySource {
        scope: a.scope,
        assignment_id: a.id,
        policy_id: p.id,
        policy_name: p.name.clone(),
    };
    let mut effective = EffectivePolicy {
        blocked: reaching[..cut].iter().map(|(a, p)| source(a, p)).collect(),
        ..EffectivePolicy::default()
    };
    // Name → (check, source, overrides), in first-defined order.
    let mut checks: Vec<EffectiveCheck> = Vec::new();
    for (assignment, policy) in &reaching[cut..] {
        let from = source(assignment, policy);
        effective.applied.push(from.clone());
        for (check, template_id) in policy_checks(policy, templates) {
            match checks.iter_mut().find(|c| c.check.name == check.name) {
                Some(existing) => {
                    let replaced = std::mem::replace(&mut existing.source, from.clone());
                    existing.overrides.push(replaced);
                    existing.check = check;
                    existing.template_id = template_id;
                }
                None => checks.push(EffectiveCheck {
                    check,
                    source: from.clone(),
                    template_id,
                    overrides: Vec::new(),
                }),
            }
        }
        let body = &policy.body;
        let set = |value: Option<u32>, slot: &mut Option<Sourced<u32>>| {
            if let Some(value) = value {
                *slot = Some(Sourced {
                    value,
                    source: from.clone(),
                });
            }
        };
        set(
            body.offline_alert_after_seconds,
            &mut effective.offline_alert_after_seconds,
        );
        set(body.renotify_minutes, &mut effective.renotify_minutes);
        set(
            body.metrics_interval_seconds,
            &mut effective.metrics_interval_seconds,
        );
        if let Some(routes) = &body.notify {
            effective.notify = Some(Sourced {
                value: routes.clone(),
                source: from.clone(),
            });
        }
    }
    (effective.checks, effective.disabled_checks) =
        checks.into_iter().partition(|c| c.check.enabled);
    effective
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use gururmm_protocol::checks::{CheckKind, ProcessCheck};
    use gururmm_protocol::{AgentId, ClientId, OrganizationId, SiteId};
    use gururmm_store::{PolicyBody, Severity};

    struct World {
        placement: AgentPlacement,
        policies: HashMap<PolicyId, Policy>,
        assignments: Vec<PolicyAssignment>,
        templates: HashMap<uuid::Uuid, CheckDefinition>,
    }

    fn check(name: &str, process: &str, enabled: bool) -> CheckDefinition {
        CheckDefinition {
            name: name.into(),
            kind: CheckKind::Process(ProcessCheck {
                process: Some(process.into()),
            }),
            interval_seconds: 60,
            timeout_seconds: None,
            fail_after: 1,
            severity: Severity::Critical,
            enabled,
        }
    }

    impl World {
        fn new() -> Self {
            Self {
                placement: AgentPlacement {
                    agent_id: AgentId::new(),
                    organization_id: OrganizationId::new(),
                    client_id: ClientId::new(),
                    site_id: SiteId::new(),
                },
                policies: HashMap::new(),
                assignments: Vec::new(),
                templates: HashMap::new(),
            }
        }

        /// Assigns a new policy named `name` with `body` at `scope` (targeting this agent's place).
        fn assign(&mut self, scope: PolicyScope, name: &str, body: PolicyBody, block: bool) {
            let p = &self.placement;
            let target = match scope {
                PolicyScope::Global => None,
                PolicyScope::Client => Some(p.client_id.0),
                PolicyScope::Site => Some(p.site_id.0),
                PolicyScope::Agent => Some(p.agent_id.0),
            };
            self.assign_to(scope, target, name, body, block);
        }

        fn assign_to(
            &mut self,
            scope: PolicyScope,
            target: Option<uuid::Uuid>,
            name: &str,
            body: PolicyBody,
            block: bool,
        ) {
            let policy = Policy {
                id: PolicyId::new(),
                organization_id: self.placement.organization_id,
                name: name.into(),
                description: String::new(),
                body,
                created_at: Utc::now(),
                updated_at: Utc::now(),
            };
            self.assignments.push(PolicyAssignment {
                id: PolicyAssignmentId::new(),
                organization_id: self.placement.organization_id,
                policy_id: policy.id,
                policy_name: policy.name.clone(),
                scope,
                target_id: target,
                target_name: None,
                block_inheritance: block,
                created_at: Utc::now(),
                created_by_email: "t@msp.test".into(),
            });
            self.policies.insert(policy.id, policy);
        }

        fn resolve(&self) -> EffectivePolicy {
            resolve(
                &self.placement,
                &self.assignments,
                &self.policies,
                &self.templates,
            )
        }
    }

    fn body(checks: Vec<CheckDefinition>, offline: Option<u32>) -> PolicyBody {
        PolicyBody {
            checks,
            offline_alert_after_seconds: offline,
            ..PolicyBody::default()
        }
    }

    /// (check name, process it checks, policy that set it)
    fn summary(effective: &EffectivePolicy) -> Vec<(String, String, String)> {
        effective
            .checks
            .iter()
            .map(|c| {
                let CheckKind::Process(p) = &c.check.kind else {
                    panic!("not a process check");
                };
                (
                    c.check.name.clone(),
                    p.process.clone().unwrap_or_default(),
                    c.source.policy_name.clone(),
                )
            })
            .collect()
    }

    fn names(sources: &[PolicySource]) -> Vec<&str> {
        sources.iter().map(|s| s.policy_name.as_str()).collect()
    }

    #[test]
    fn merges_from_global_to_agent_the_most_specific_winning() {
        let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        let mut world = World::new();
        world.assign(
            PolicyScope::Site,
            "Site",
            body(vec![check("ssh", "sshd-site", true)], None),
            false,
        );
        world.assign(
            PolicyScope::Global,
            "Global",
            body(
                vec![check("ssh", "sshd", true), check("cron", "cron", true)],
                Some(600),
            ),
            false,
        );
        world.assign(
            PolicyScope::Client,
            "Client",
            body(vec![check("web", "nginx", true)], Some(300)),
            false,
        );
        let effective = world.resolve();
        assert_eq!(
            summary(&effective),
            [
                s("ssh", "sshd-site", "Site"),
                s("cron", "cron", "Global"),
                s("web", "nginx", "Client")
            ]
        );
        assert_eq!(names(&effective.applied), ["Global", "Client", "Site"]);
        assert_eq!(
            names(&effective.check("ssh").unwrap().overrides),
            ["Global"]
        );
        let grace = effective.offline_alert_after_seconds.unwrap();
        assert_eq!(
            (grace.value, grace.source.policy_name.as_str()),
            (300, "Client")
        );
        assert_eq!(grace.source.scope, PolicyScope::Client);
    }

    #[test]
    fn block_inheritance_cuts_off_less_specific_scopes() {
        let mut world = World::new();
        world.assign(
            PolicyScope::Global,
            "Global",
            body(vec![check("cron", "cron", true)], Some(600)),
            false,
        );
        world.assign(
            PolicyScope::Client,
            "Client",
            body(vec![check("web", "nginx", true)], None),
            false,
        );
        world.assign(
            PolicyScope::Site,
            "Site",
            body(vec![check("db", "postgres", true)], None),
            true,
        );
        world.assign(
            PolicyScope::Agent,
            "Agent",
            body(vec![check("app", "app", true)], None),
            false,
        );
        let effective = world.resolve();
        assert_eq!(
            effective
                .checks
                .iter()
                .map(|c| c.check.name.as_str())
                .collect::<Vec<_>>(),
            ["db", "app"]
        );
        assert_eq!(names(&effective.blocked), ["Global", "Client"]);
        assert_eq!(names(&effective.applied), ["Site", "Agent"]);
        assert_eq!(
            effective.offline_alert_after_seconds, None,
            "the grace was global"
        );
    }

    #[test]
    fn a_disabled_check_removes_the_inherited_one_and_says_where() {
        let mut world = World::new();
        world.assign(
            PolicyScope::Global,
            "Global",
            body(
                vec![check("cron", "cron", true), check("ssh", "sshd", true)],
                None,
            ),
            false,
        );
        world.assign(
            PolicyScope::Agent,
            "No cron here",
            body(vec![check("cron", "cron", false)], None),
            false,
        );
        let effective = world.resolve();
        assert_eq!(
            effective
                .checks
                .iter()
                .map(|c| c.check.name.as_str())
                .collect::<Vec<_>>(),
            ["ssh"]
        );
        let disabled = &effective.disabled_checks[0];
        assert_eq!(
            (
                disabled.check.name.as_str(),
                disabled.source.policy_name.as_str()
            ),
            ("cron", "No cron here")
        );
        assert_eq!(names(&disabled.overrides), ["Global"]);
    }

    #[test]
    fn assignments_of_other_places_and_organizations_do_not_reach() {
        let mut world = World::new();
        world.assign_to(
            PolicyScope::Site,
            Some(SiteId::new().0),
            "Other site",
            body(vec![check("x", "x", true)], None),
            false,
        );
        world.assign_to(
            PolicyScope::Client,
            Some(ClientId::new().0),
            "Other client",
            body(vec![check("y", "y", true)], Some(5)),
            true,
        );
        world.assign(
            PolicyScope::Global,
            "Foreign",
            body(vec![check("z", "z", true)], None),
            false,
        );
        world.assignments.last_mut().unwrap().organization_id = OrganizationId::new();
        assert_eq!(world.resolve(), EffectivePolicy::default());
        // Removing the only assignment at a scope leaves nothing from it.
        let mut world = World::new();
        world.assign(
            PolicyScope::Client,
            "Client",
            body(vec![check("web", "nginx", true)], Some(60)),
            false,
        );
        assert_eq!(world.resolve().checks.len(), 1);
        world.assignments.clear();
        assert_eq!(world.resolve(), EffectivePolicy::default());
    }

    #[test]
    fn template_checks_take_the_template_as_it_is_under_their_own_name() {
        let mut world = World::new();
        let template = uuid::Uuid::new_v4();
        world.templates.insert(template, check("ssh", "sshd", true));
        let body = PolicyBody {
            template_checks: vec![
                gururmm_store::TemplateCheck {
                    template_id: template,
                    name: None,
                    enabled: true,
                },
                gururmm_store::TemplateCheck {
                    template_id: template,
                    name: Some("ssh-backup".into()),
                    enabled: true,
                },
                gururmm_store::TemplateCheck {
                    template_id: uuid::Uuid::new_v4(),
                    name: None,
                    enabled: true,
                },
            ],
            ..PolicyBody::default()
        };
        world.assign(PolicyScope::Global, "Global", body, false);
        let effective = world.resolve();
        assert_eq!(
            summary(&effective),
            [
                ("ssh".to_string(), "sshd".to_string(), "Global".to_string()),
                (
                    "ssh-backup".to_string(),
                    "sshd".to_string(),
                    "Global".to_string()
                )
            ],
            "a template that no longer exists is left out"
        );
        assert_eq!(effective.checks[0].template_id, Some(template));
        // A change of the template reaches the policy.
        world
            .templates
            .insert(template, check("ssh", "dropbear", true));
        assert_eq!(summary(&world.resolve())[0].1, "dropbear");
    }
}
