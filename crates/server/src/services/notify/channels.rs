//! A channel's settings as the API takes and shows them, and as the store
//! keeps them (secret fields sealed). Secrets are write-only: the API shows
//! that a secret is set and a hint of the URL, never the value; an update
//! that leaves a secret out keeps the stored one.

use crate::sealing::SecretBox;
use crate::services::error::{ServiceError, ServiceResult};
use crate::text::valid_name;
use gururmm_store::{ChannelFields, ChannelKind, NotificationChannel};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Most recipients of an email channel.
pub const MAX_RECIPIENTS: usize = 20;
/// Most characters of a URL.
pub const MAX_URL_CHARS: usize = 2048;
/// Length of a webhook's signing secret.
pub const WEBHOOK_SECRET_CHARS: std::ops::RangeInclusive<usize> = 16..=200;

/// A channel's settings in a request; which fields apply depends on `kind`.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfigInput {
    /// Email: the recipients.
    #[serde(default)]
    pub to: Vec<String>,
    /// Webhook, Slack, Teams: where to post. Left out on an update: unchanged.
    #[serde(default)]
    pub url: Option<String>,
    /// Webhook: the HMAC-SHA256 signing secret (16 to 200 characters). Left out on an update: unchanged.
    #[serde(default)]
    pub secret: Option<String>,
}

/// A channel's settings as shown: no secret, the URL only as a hint.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChannelConfigView {
    pub to: Vec<String>,
    /// Scheme and host of the URL, e.g. `https://hooks.slack.com/…`.
    pub url_hint: Option<String>,
    pub has_secret: bool,
}

/// What the sender needs, secrets opened.
#[derive(Clone, Debug)]
pub struct OpenChannel {
    pub to: Vec<String>,
    pub url: Option<String>,
    pub secret: Option<String>,
}

fn hint(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) => format!(
            "{}://{}/…",
            parsed.scheme(),
            parsed.host_str().unwrap_or_default()
        ),
        Err(_) => "…".into(),
    }
}

fn check_url(url: &str) -> ServiceResult<()> {
    let invalid = |m: &str| Err(ServiceError::invalid(format!("config.url: {m}")));
    if url.chars().count() > MAX_URL_CHARS {
        return invalid(&format!("must be at most {MAX_URL_CHARS} characters"));
    }
    match reqwest::Url::parse(url) {
        Ok(parsed)
            if matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some() =>
        {
            Ok(())
        }
        _ => invalid("must be an http:// or https:// URL"),
    }
}

/// The stored config of a channel from a request, sealing secrets; `previous`
/// is the stored config an update starts from.
pub fn to_fields(
    sealer: &SecretBox,
    name: &str,
    kind: ChannelKind,
    input: ChannelConfigInput,
    subject_template: Option<String>,
    body_template: Option<String>,
    previous: Option<&NotificationChannel>,
) -> ServiceResult<ChannelFields> {
    let name = valid_name(name)?;
    super::templates::validate(subject_template.as_deref(), body_template.as_deref())?;
    let previous = previous.filter(|p| p.kind == kind).map(|p| &p.config);
    let kept = |field: &str| {
        previous
            .and_then(|c| c.get(field))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let config = match kind {
        ChannelKind::Email => {
            if input.url.is_some() || input.secret.is_some() {
                return Err(ServiceError::invalid(
                    "config: an email channel takes only `to`",
                ));
            }
            if input.to.is_empty() || input.to.len() > MAX_RECIPIENTS {
                return Err(ServiceError::invalid(format!(
                    "config.to: give 1 to {MAX_RECIPIENTS} addresses"
                )));
            }
            for address in &input.to {
                if address.parse::<lettre::Address>().is_err() {
                    return Err(ServiceError::invalid(format!(
                        "config.to: {address:?} is not an email address"
                    )));
                }
            }
            json!({"to": input.to})
        }
        ChannelKind::Webhook | ChannelKind::Slack | ChannelKind::Teams => {
            if !input.to.is_empty() {
                return Err(ServiceError::invalid(format!(
                    "config.to: a {} channel takes a url",
                    kind.as_str()
                )));
            }
            let url = match input.url {
                Some(url) => {
                    check_url(&url)?;
                    (sealer.seal(&url), hint(&url))
                }
                None => match (kept("url"), kept("url_hint")) {
                    (Some(sealed), Some(hint)) => (sealed, hint),
                    _ => return Err(ServiceError::invalid("config.url: required")),
                },
            };
            let mut config = json!({"url": url.0, "url_hint": url.1});
            if kind == ChannelKind::Webhook {
                let secret = match input.secret {
                    Some(secret) if WEBHOOK_SECRET_CHARS.contains(&secret.chars().count()) => {
                        sealer.seal(&secret)
                    }
                    Some(_) => {
                        return Err(ServiceError::invalid(format!(
                            "config.secret: must be {} to {} characters",
                            WEBHOOK_SECRET_CHARS.start(),
                            WEBHOOK_SECRET_CHARS.end()
                        )))
                    }
                    None => kept("secret").ok_or_else(|| {
                        ServiceError::invalid("config.secret: required, to sign each request")
                    })?,
                };
                config["secret"] = Value::String(secret);
            } else if input.secret.is_some() {
                return Err(ServiceError::invalid(format!(
                    "config.secret: a {} channel has no signing secret",
                    kind.as_str()
                )));
            }
            config
        }
    };
    Ok(ChannelFields {
        name,
        kind,
        config,
        subject_template,
        body_template,
    })
}

pub fn view(channel: &NotificationChannel) -> ChannelConfigView {
    let config = &channel.config;
    ChannelConfigView {
        to: config["to"]
            .as_array()
            .map(|to| {
                to.iter()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        url_hint: config["url_hint"].as_str().map(str::to_string),
        has_secret: config.get("secret").is_some(),
    }
}

/// The channel's settings with secrets opened.
pub fn open(sealer: &SecretBox, channel: &NotificationChannel) -> Result<OpenChannel, String> {
    let unseal = |field: &str| -> Result<Option<String>, String> {
        match channel.config.get(field).and_then(Value::as_str) {
            None => Ok(None),
            Some(sealed) => sealer
                .open(sealed)
                .map(Some)
                .map_err(|error| format!("{field}: {error}; enter it again")),
        }
    };
    Ok(OpenChannel {
        to: view(channel).to,
        url: unseal("url")?,
        secret: unseal("secret")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn sealer() -> SecretBox {
        SecretBox::from_hex(&"ab".repeat(32)).unwrap()
    }

    fn channel(fields: ChannelFields) -> NotificationChannel {
        NotificationChannel {
            id: gururmm_protocol::NotificationChannelId::new(),
            organization_id: gururmm_protocol::OrganizationId::new(),
            name: fields.name,
            kind: fields.kind,
            config: fields.config,
            subject_template: None,
            body_template: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn webhook_secrets_are_sealed_hidden_and_kept_on_update() {
        let sealer = sealer();
        let input = ChannelConfigInput {
            url: Some("https://hooks.example.test/path?token=t0k3n".into()),
            secret: Some("a signing secret!".into()),
            ..Default::default()
        };
        let fields = to_fields(
            &sealer,
            "Hook",
            ChannelKind::Webhook,
            input,
            None,
            None,
            None,
        )
        .unwrap();
        let stored = fields.config.to_string();
        assert!(
            !stored.contains("t0k3n") && !stored.contains("signing"),
            "{stored}"
        );
        let saved = channel(fields);
        let shown = view(&saved);
        assert_eq!(
            shown.url_hint.as_deref(),
            Some("https://hooks.example.test/…")
        );
        assert!(shown.has_secret);
        let opened = open(&sealer, &saved).unwrap();
        assert_eq!(opened.secret.as_deref(), Some("a signing secret!"));
        // An update without the secret and URL keeps them.
        let again = to_fields(
            &sealer,
            "Hook 2",
            ChannelKind::Webhook,
            ChannelConfigInput::default(),
            None,
            None,
            Some(&saved),
        )
        .unwrap();
        assert_eq!(
            open(&sealer, &channel(again)).unwrap().url.as_deref(),
            Some("https://hooks.example.test/path?token=t0k3n")
        );
    }

    #[test]
    fn bad_settings_name_the_field() {
        let sealer = sealer();
        let cases = [
            (
                ChannelKind::Email,
                ChannelConfigInput::default(),
                "config.to",
            ),
            (
                ChannelKind::Email,
                ChannelConfigInput {
                    to: vec!["not an address".into()],
                    ..Default::default()
                },
                "config.to",
            ),
            (
                ChannelKind::Webhook,
                ChannelConfigInput {
                    url: Some("ftp://x".into()),
                    secret: Some("s".repeat(20)),
                    ..Default::default()
                },
                "config.url",
            ),
            (
                ChannelKind::Webhook,
                ChannelConfigInput {
                    url: Some("https://x.test".into()),
                    secret: Some("short".into()),
                    ..Default::default()
                },
                "config.secret",
            ),
            (
                ChannelKind::Webhook,
                ChannelConfigInput {
                    url: Some("https://x.test".into()),
                    ..Default::default()
                },
                "config.secret",
            ),
            (
                ChannelKind::Slack,
                ChannelConfigInput::default(),
                "config.url",
            ),
            (
                ChannelKind::Teams,
                ChannelConfigInput {
                    url: Some("https://x.test".into()),
                    secret: Some("s".repeat(20)),
                    ..Default::default()
                },
                "config.secret",
            ),
        ];
        for (kind, input, field) in cases {
            let error = to_fields(&sealer, "C", kind, input, None, None, None).unwrap_err();
            assert!(error.to_string().starts_with(field), "{kind:?}: {error}");
        }
    }
}
