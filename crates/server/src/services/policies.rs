//! Monitoring policies: the rules a policy's content must follow, and
//! [`Policies`], which knows every organization's policies and assignments and
//! answers an agent's effective policy and its `checks` frame from memory.
//!
//! The cache of an organization is filled on first use and dropped by
//! [`Policies::invalidate`], which every change of a policy, an assignment or a
//! script a check runs calls; the caller then tells the organization's
//! connected agents (`Presence::policy_changed`), which ask again.

use crate::services::effective_policy::{self, EffectivePolicy};
use crate::services::error::{ServiceError, ServiceResult};
use crate::text::valid_name;
use gururmm_protocol::checks::{self, CheckKind, CheckScript, CheckSpec};
use gururmm_protocol::{
    AgentId, ClientId, OrganizationId, PolicyId, ScriptId, ServerFrame, SiteId,
};
use gururmm_store::{
    AgentPlacement, CheckDefinition, Policy, PolicyAssignment, PolicyBody, PolicyFields, Store,
    StoreError,
};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Most characters of a policy's description.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// Most notification routes of one policy.
pub const MAX_NOTIFY_ROUTES: usize = 20;
/// Most failing runs in a row a check may wait for before alerting.
pub const MAX_FAIL_AFTER: u32 = 100;
/// Shortest and longest offline grace period.
pub const OFFLINE_GRACE_SECONDS: std::ops::RangeInclusive<u32> = 60..=30 * 24 * 3600;
/// Longest re-notify interval (a week).
pub const MAX_RENOTIFY_MINUTES: u32 = 7 * 24 * 60;
/// Metric intervals a policy may set.
pub const METRICS_INTERVAL_SECONDS: std::ops::RangeInclusive<u32> = 5..=3600;

/// Checks a policy's name, description and body, naming the field at fault.
/// Scripts the checks run must be the organization's.
pub async fn validate(
    store: &dyn Store,
    org: OrganizationId,
    name: &str,
    description: String,
    body: PolicyBody,
) -> ServiceResult<PolicyFields> {
    let name = valid_name(name)?;
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ServiceError::invalid(format!(
            "description must be at most {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    if body.checks.len() + body.template_checks.len() > checks::MAX_CHECKS_PER_AGENT {
        return Err(ServiceError::invalid(format!(
            "checks: at most {} checks per policy",
            checks::MAX_CHECKS_PER_AGENT
        )));
    }
    let mut body = body;
    let mut names = HashSet::new();
    for (index, check) in body.checks.iter_mut().enumerate() {
        validate_check(store, org, &format!("checks[{index}]"), check).await?;
        if !names.insert(check.name.clone()) {
            return Err(ServiceError::invalid(format!(
                "checks[{index}].name: is used by another check of this policy"
            )));
        }
    }
    for (index, used) in body.template_checks.iter().enumerate() {
        let at = |field: &str, message: &str| {
            ServiceError::invalid(format!("template_checks[{index}].{field}: {message}"))
        };
        let template = match store
            .get_check_template(org, gururmm_protocol::CheckTemplateId(used.template_id))
            .await
        {
            Ok(template) => template,
            Err(StoreError::NotFound) => return Err(at("template_id", "no such check template")),
            Err(error) => return Err(ServiceError::internal(error)),
        };
        let name = match &used.name {
            Some(name) => check_name(name).map_err(|message| at("name", &message))?,
            None => template.definition.name,
        };
        if !names.insert(name) {
            return Err(at("name", "is used by another check of this policy"));
        }
    }
    if body
        .offline_alert_after_seconds
        .is_some_and(|s| !OFFLINE_GRACE_SECONDS.contains(&s))
    {
        return Err(ServiceError::invalid(format!(
            "offline_alert_after_seconds: must be {} to {}",
            OFFLINE_GRACE_SECONDS.start(),
            OFFLINE_GRACE_SECONDS.end()
        )));
    }
    if body
        .renotify_minutes
        .is_some_and(|m| m > MAX_RENOTIFY_MINUTES)
    {
        return Err(ServiceError::invalid(format!(
            "renotify_minutes: must be 0 to {MAX_RENOTIFY_MINUTES}"
        )));
    }
    if body
        .metrics_interval_seconds
        .is_some_and(|s| !METRICS_INTERVAL_SECONDS.contains(&s))
    {
        return Err(ServiceError::invalid(format!(
            "metrics_interval_seconds: must be {} to {}",
            METRICS_INTERVAL_SECONDS.start(),
            METRICS_INTERVAL_SECONDS.end()
        )));
    }
    if let Some(routes) = &body.notify {
        if routes.len() > MAX_NOTIFY_ROUTES {
            return Err(ServiceError::invalid(format!(
                "notify: at most {MAX_NOTIFY_ROUTES} routes"
            )));
        }
        for (index, route) in routes.iter().enumerate() {
            let id = gururmm_protocol::NotificationChannelId(route.channel_id);
            match store.get_channel(org, id).await {
                Ok(_) => {}
                Err(StoreError::NotFound) => {
                    return Err(ServiceError::invalid(format!(
                        "notify[{index}].channel_id: no such notification channel"
                    )))
                }
                Err(error) => return Err(ServiceError::internal(error)),
            }
        }
    }
    Ok(PolicyFields {
        name,
        description,
        body,
    })
}

/// A check's name: trimmed, at most [`checks::MAX_NAME_CHARS`], nothing hidden.
fn check_name(name: &str) -> Result<String, String> {
    let trimmed = valid_name(name).map_err(|e| e.to_string())?;
    if trimmed != name || name.chars().count() > checks::MAX_NAME_CHARS {
        return Err(format!(
            "must be at most {} characters, without surrounding spaces",
            checks::MAX_NAME_CHARS
        ));
    }
    Ok(trimmed)
}

/// Checks one check of a policy or template, naming the field under `at`
/// (`checks[2]`); a service or process check without its own target is given
/// its name. Scripts must be the organization's.
pub async fn validate_check(
    store: &dyn Store,
    org: OrganizationId,
    at: &str,
    check: &mut CheckDefinition,
) -> ServiceResult<()> {
    let fail =
        |field: &str, message: &str| ServiceError::invalid(format!("{at}.{field}: {message}"));
    check_name(&check.name).map_err(|message| fail("name", &message))?;
    check.kind = check.kind.clone().with_target_named(&check.name);
    if !(checks::MIN_INTERVAL_SECONDS..=checks::MAX_INTERVAL_SECONDS)
        .contains(&check.interval_seconds)
    {
        return Err(fail(
            "interval_seconds",
            &format!(
                "must be {} to {}",
                checks::MIN_INTERVAL_SECONDS,
                checks::MAX_INTERVAL_SECONDS
            ),
        ));
    }
    if check
        .timeout_seconds
        .is_some_and(|t| !(1..=checks::MAX_TIMEOUT_SECONDS).contains(&t))
    {
        return Err(fail(
            "timeout_seconds",
            &format!("must be 1 to {}", checks::MAX_TIMEOUT_SECONDS),
        ));
    }
    if !(1..=MAX_FAIL_AFTER).contains(&check.fail_after) {
        return Err(fail(
            "fail_after",
            &format!("must be 1 to {MAX_FAIL_AFTER}"),
        ));
    }
    check
        .kind
        .validate()
        .map_err(|error| fail(error.field, &error.message))?;
    if let CheckKind::Script(script) = &check.kind {
        match store.get_script(org, script.script_id).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(fail("script_id", "no such script in the library"))
            }
            Err(error) => return Err(ServiceError::internal(error)),
        }
    }
    Ok(())
}

/// One organization's policies, assignments, agents' places and the scripts checks run.
struct OrgPolicies {
    policies: HashMap<PolicyId, Policy>,
    assignments: Vec<PolicyAssignment>,
    /// Filled as agents are asked about (a new agent is added on first use).
    placements: Mutex<HashMap<AgentId, (ClientId, SiteId)>>,
    /// Check templates by id (their definitions, named as the template).
    templates: HashMap<uuid::Uuid, CheckDefinition>,
    scripts: HashMap<ScriptId, CheckScript>,
}

/// The checks an agent runs, as sent, with the settings its policy gives.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentChecks {
    pub frame: ServerFrame,
    pub revision: String,
    pub metrics_interval_seconds: Option<u32>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An organization's entry: filled once by whoever asks first; everyone
/// asking meanwhile waits for that one read instead of reading too (a policy
/// change wakes every connected agent of the organization at once).
type OrgCell = Arc<tokio::sync::OnceCell<Arc<OrgPolicies>>>;

pub struct Policies {
    store: Arc<dyn Store>,
    cache: Mutex<HashMap<OrganizationId, OrgCell>>,
}

impl Policies {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<OrganizationId, OrgCell>> {
        lock(&self.cache)
    }

    /// Forgets what is known of the organization; the next question reads it again.
    pub fn invalidate(&self, org: OrganizationId) {
        self.lock().remove(&org);
    }

    async fn load(&self, org: OrganizationId) -> ServiceResult<Arc<OrgPolicies>> {
        let cell = self.lock().entry(org).or_default().clone();
        cell.get_or_try_init(|| self.read(org)).await.cloned()
    }

    /// Reads what the organization's policies need from the database.
    async fn read(&self, org: OrganizationId) -> ServiceResult<Arc<OrgPolicies>> {
        let store = self.store.as_ref();
        let assignments = store
            .list_policy_assignments(org)
            .await
            .map_err(ServiceError::internal)?;
        let (policies, placements, templates, scripts) = if assignments.is_empty() {
            (
                HashMap::new(),
                HashMap::new(),
                HashMap::new(),
                HashMap::new(),
            )
        } else {
            let policies: HashMap<PolicyId, Policy> = store
                .list_policies(org)
                .await
                .map_err(ServiceError::internal)?
                .into_iter()
                .map(|p| (p.id, p))
                .collect();
            let placements = store
                .agent_placements(org)
                .await
                .map_err(ServiceError::internal)?
                .into_iter()
                .map(|p| (p.agent_id, (p.client_id, p.site_id)))
                .collect();
            let templates: HashMap<uuid::Uuid, CheckDefinition> = store
                .list_check_templates(org)
                .await
                .map_err(ServiceError::internal)?
                .into_iter()
                .map(|t| (t.id.0, t.definition))
                .collect();
            let mut scripts = HashMap::new();
            for policy in policies.values() {
                for (check, _) in effective_policy::policy_checks(policy, &templates) {
                    let CheckKind::Script(script) = &check.kind else {
                        continue;
                    };
                    if scripts.contains_key(&script.script_id) {
                        continue;
                    }
                    match store.get_script(org, script.script_id).await {
                        Ok(found) => {
                            scripts.insert(
                                script.script_id,
                                CheckScript {
                                    command_type: found.current.command_type,
                                    body: found.current.body,
                                    interpreter: found.current.interpreter,
                                },
                            );
                        }
                        // Deleted since: the agent reports the check failing.
                        Err(StoreError::NotFound) => {}
                        Err(error) => return Err(ServiceError::internal(error)),
                    }
                }
            }
            (policies, placements, templates, scripts)
        };
        Ok(Arc::new(OrgPolicies {
            policies,
            assignments,
            placements: Mutex::new(placements),
            templates,
            scripts,
        }))
    }

    /// Where the agent sits: from the cache, or read (a newly enrolled agent).
    pub async fn placement_of(
        &self,
        org: OrganizationId,
        agent: AgentId,
    ) -> ServiceResult<AgentPlacement> {
        let known = self.load(org).await?;
        self.placement(org, agent, &known).await
    }

    async fn placement(
        &self,
        org: OrganizationId,
        agent: AgentId,
        known: &OrgPolicies,
    ) -> ServiceResult<AgentPlacement> {
        let cached = lock(&known.placements).get(&agent).copied();
        if let Some((client_id, site_id)) = cached {
            return Ok(AgentPlacement {
                agent_id: agent,
                organization_id: org,
                client_id,
                site_id,
            });
        }
        let placement = self
            .store
            .agent_placement(org, agent)
            .await
            .map_err(ServiceError::from_store("agent"))?;
        lock(&known.placements).insert(agent, (placement.client_id, placement.site_id));
        Ok(placement)
    }

    /// The agent's effective policy, with where each part comes from.
    pub async fn effective(
        &self,
        org: OrganizationId,
        agent: AgentId,
    ) -> ServiceResult<EffectivePolicy> {
        let known = self.load(org).await?;
        if known.assignments.is_empty() {
            // Still a 404 for an agent that is not the organization's.
            self.placement(org, agent, &known).await?;
            return Ok(EffectivePolicy::default());
        }
        let placement = self.placement(org, agent, &known).await?;
        Ok(effective_policy::resolve(
            &placement,
            &known.assignments,
            &known.policies,
            &known.templates,
        ))
    }

    /// The `checks` frame for the agent and the settings its policy gives.
    pub async fn agent_checks(
        &self,
        org: OrganizationId,
        agent: AgentId,
    ) -> ServiceResult<AgentChecks> {
        let effective = self.effective(org, agent).await?;
        let known = self.load(org).await?;
        let checks: Vec<CheckSpec> = effective
            .checks
            .iter()
            .take(checks::MAX_CHECKS_PER_AGENT)
            .map(|c| {
                let check = &c.check;
                CheckSpec {
                    name: check.name.clone(),
                    interval_seconds: check.interval_seconds,
                    timeout_seconds: check
                        .timeout_seconds
                        .unwrap_or_else(|| check.kind.default_timeout_seconds()),
                    kind: check.kind.clone(),
                    script: match &check.kind {
                        CheckKind::Script(s) => known.scripts.get(&s.script_id).cloned(),
                        _ => None,
                    },
                }
            })
            .collect();
        let encoded = serde_json::to_vec(&checks).map_err(ServiceError::internal)?;
        let revision = hex::encode(&Sha256::digest(&encoded)[..8]);
        Ok(AgentChecks {
            frame: ServerFrame::Checks {
                revision: revision.clone(),
                checks,
            },
            revision,
            metrics_interval_seconds: effective.metrics_interval_seconds.map(|s| s.value),
        })
    }
}
