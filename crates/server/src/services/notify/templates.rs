//! Subjects and bodies of notifications: minijinja templates over named
//! variables, with defaults, limits and a preview. Rendering is sandboxed (no
//! file access, a fuel limit against runaway loops) and its output is capped.

use crate::services::error::{ServiceError, ServiceResult};
use chrono::{DateTime, Utc};
use gururmm_store::{Alert, NotificationEvent};
use minijinja::Environment;
use serde::Serialize;

/// Most characters of a subject template and of a body template.
pub const MAX_SUBJECT_TEMPLATE_CHARS: usize = 500;
pub const MAX_BODY_TEMPLATE_CHARS: usize = 8_000;
/// Most characters of a rendered subject and body.
const MAX_SUBJECT_CHARS: usize = 300;
const MAX_BODY_CHARS: usize = 16_000;
/// Instructions one rendering may run.
const FUEL: u64 = 50_000;

pub const DEFAULT_SUBJECT: &str =
    "[{{ severity | upper }}] {% if event == \"resolved\" %}Resolved: {% elif event == \"reminder\" %}Still open: {% endif %}{{ title }}";

pub const DEFAULT_BODY: &str = "{{ title }}\n\n\
Status: {{ status }} ({{ event }})\n\
Severity: {{ severity }}\n\
Client: {{ client }}\n\
Site: {{ site }}\n\
Agent: {{ agent }}\n\
{% if check %}Check: {{ check }}\n{% endif %}\
Since: {{ since }}\n\
{% if resolved_at %}Resolved: {{ resolved_at }}\n{% endif %}\
{% if output %}\n{{ output }}\n{% endif %}\
{% if link %}\n{{ link }}\n{% endif %}";

/// The variables a template may use.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateVariables {
    /// `opened`, `resolved`, `reminder` or `test`.
    pub event: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub kind: String,
    pub client: String,
    pub site: String,
    pub agent: String,
    /// The check's name (empty for other alerts).
    pub check: String,
    /// When the alert opened (UTC).
    pub since: String,
    pub resolved_at: String,
    /// The latest output or explanation, at most 1,000 characters.
    pub output: String,
    /// The alert in the dashboard (empty without `public_url`).
    pub link: String,
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// At most `max_chars` characters, with an ellipsis when cut.
fn cut(text: &str, max_chars: usize) -> String {
    let kept = crate::text::truncate(text, max_chars);
    if kept.len() < text.len() {
        kept + "…"
    } else {
        kept
    }
}

impl TemplateVariables {
    pub fn of(alert: &Alert, event: NotificationEvent, public_url: Option<&str>) -> Self {
        Self {
            event: event.as_str().into(),
            title: alert.title.clone(),
            severity: alert.severity.as_str().into(),
            status: alert.status.as_str().into(),
            kind: alert.kind.as_str().into(),
            client: alert.client_name.clone().unwrap_or_default(),
            site: alert.site_name.clone().unwrap_or_default(),
            agent: alert.agent_hostname.clone().unwrap_or_default(),
            check: alert.check_name.clone().unwrap_or_default(),
            since: time(alert.opened_at),
            resolved_at: alert.resolved_at.map(time).unwrap_or_default(),
            output: cut(&alert.detail, 1000),
            link: public_url
                .map(|url| format!("{}/alerts/{}", url.trim_end_matches('/'), alert.id))
                .unwrap_or_default(),
        }
    }

    /// What a preview and a channel's test show.
    pub fn sample(event: NotificationEvent) -> Self {
        Self {
            event: event.as_str().into(),
            title: "disk failing on web-01".into(),
            severity: "critical".into(),
            status: "open".into(),
            kind: "check".into(),
            client: "Acme Inc".into(),
            site: "Head office".into(),
            agent: "web-01".into(),
            check: "disk".into(),
            since: time(Utc::now()),
            resolved_at: String::new(),
            output: "/ is 97% full (1.2 GiB free)".into(),
            link: String::new(),
        }
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    env
}

fn render_one(
    source: &str,
    variables: &TemplateVariables,
    max_chars: usize,
) -> Result<String, String> {
    let env = environment();
    let rendered = env
        .render_str(source, minijinja::value::Serde(variables))
        .map_err(|error| error.to_string())?;
    Ok(cut(rendered.trim(), max_chars))
}

/// Checks a channel's templates; names the field at fault.
pub fn validate(subject: Option<&str>, body: Option<&str>) -> ServiceResult<()> {
    let sample = TemplateVariables::sample(NotificationEvent::Opened);
    for (field, source, max) in [
        ("subject_template", subject, MAX_SUBJECT_TEMPLATE_CHARS),
        ("body_template", body, MAX_BODY_TEMPLATE_CHARS),
    ] {
        let Some(source) = source else { continue };
        if source.chars().count() > max {
            return Err(ServiceError::invalid(format!(
                "{field}: must be at most {max} characters"
            )));
        }
        render_one(source, &sample, usize::MAX)
            .map_err(|error| ServiceError::invalid(format!("{field}: {error}")))?;
    }
    Ok(())
}

/// A notification's subject and body. A template that fails at send time
/// (it rendered at save time, so only for data it did not foresee) falls
/// back to the default rather than losing the notification.
pub fn render(
    subject: Option<&str>,
    body: Option<&str>,
    variables: &TemplateVariables,
) -> (String, String) {
    let pick = |custom: Option<&str>, default: &str, max: usize| {
        custom
            .and_then(|source| render_one(source, variables, max).ok())
            .unwrap_or_else(|| render_one(default, variables, max).unwrap_or_default())
    };
    (
        pick(subject, DEFAULT_SUBJECT, MAX_SUBJECT_CHARS).replace(['\r', '\n'], " "),
        pick(body, DEFAULT_BODY, MAX_BODY_CHARS),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_name_what_happened() {
        let sample = TemplateVariables::sample(NotificationEvent::Opened);
        let (subject, body) = render(None, None, &sample);
        assert_eq!(subject, "[CRITICAL] disk failing on web-01");
        assert!(
            body.contains("Client: Acme Inc") && body.contains("Check: disk"),
            "{body}"
        );
        assert!(body.contains("/ is 97% full"));
        let resolved = TemplateVariables {
            event: "resolved".into(),
            ..sample
        };
        assert_eq!(
            render(None, None, &resolved).0,
            "[CRITICAL] Resolved: disk failing on web-01"
        );
    }

    #[test]
    fn custom_templates_use_variables_and_bad_ones_are_refused() {
        let sample = TemplateVariables::sample(NotificationEvent::Reminder);
        let (subject, body) = render(
            Some("{{ client }}/{{ agent }}: {{ check }} is {{ status }}"),
            Some("{% if event == 'reminder' %}Still {{ status }}{% endif %}"),
            &sample,
        );
        assert_eq!(subject, "Acme Inc/web-01: disk is open");
        assert_eq!(body, "Still open");
        assert!(validate(Some("{{ unclosed"), None).is_err());
        assert!(validate(None, Some(&"x".repeat(MAX_BODY_TEMPLATE_CHARS + 1))).is_err());
        // Runaway loops run out of fuel instead of hanging the server.
        let error = validate(
            None,
            Some(
                "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            ),
        );
        assert!(error.is_err());
        // A subject is one line.
        assert_eq!(render(Some("a\nb"), None, &sample).0, "a b");
    }
}
