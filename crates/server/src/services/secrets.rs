//! Secret values and who sees them.
//!
//! Three kinds of values are secrets: the environment of a command, the
//! default environment of a script, and parameters of type `secret` (their
//! default, and the values a run gives them). They reach the agent as they
//! are, but an API answer shows them only to a caller holding `view_secrets`;
//! everyone else gets [`HIDDEN`] in place of each value, so they see that a
//! value is set, never the value. The audit log never holds them (see
//! [`crate::services::audit::redacted`]), and a job keeps its secret
//! parameters' values hidden for everyone: the commands hold them.
//!
//! A caller who edits what they cannot read sends [`HIDDEN`] back for the
//! values they leave alone: [`keep_hidden`] puts the stored values back. A
//! hidden value where nothing is stored (a new command, a new script) is a
//! 422: running a command with the placeholder as its value would be a silent
//! mistake.

use crate::services::error::{ServiceError, ServiceResult};
use gururmm_store::{ParameterType, ScriptParameter, ScriptVersion};
use std::collections::BTreeMap;

/// What a caller without `view_secrets` sees in place of a secret value.
pub const HIDDEN: &str = "********";

/// Replaces every value of an environment with [`HIDDEN`].
pub fn hide_env(env: &mut BTreeMap<String, String>) {
    for value in env.values_mut() {
        *value = HIDDEN.to_string();
    }
}

/// Replaces the defaults of secret parameters with [`HIDDEN`].
pub fn hide_parameter_defaults(parameters: &mut [ScriptParameter]) {
    for parameter in parameters {
        if parameter.kind == ParameterType::Secret && parameter.default.is_some() {
            parameter.default = Some(HIDDEN.to_string());
        }
    }
}

/// A script version as a caller without `view_secrets` sees it.
pub fn hide_version(version: &mut ScriptVersion) {
    hide_env(&mut version.default_env);
    hide_parameter_defaults(&mut version.parameters);
}

/// Puts the stored values back where an edit sent [`HIDDEN`]: the default
/// environment's values by name, secret parameters' defaults by parameter
/// name. 422 where there is no stored value to keep (`stored` is `None` for a
/// new script).
pub fn keep_hidden(
    default_env: &mut BTreeMap<String, String>,
    parameters: &mut [ScriptParameter],
    stored: Option<&ScriptVersion>,
) -> ServiceResult<()> {
    for (name, value) in default_env.iter_mut() {
        if value == HIDDEN {
            match stored.and_then(|stored| stored.default_env.get(name)) {
                Some(kept) => value.clone_from(kept),
                None => return Err(hidden_without_value(&format!("default_env {name}"))),
            }
        }
    }
    for parameter in parameters.iter_mut() {
        if parameter.default.as_deref() != Some(HIDDEN) {
            continue;
        }
        let kept = stored
            .into_iter()
            .flat_map(|stored| &stored.parameters)
            .find(|p| p.name == parameter.name && p.kind == ParameterType::Secret)
            .and_then(|p| p.default.clone());
        match kept {
            Some(kept) => parameter.default = Some(kept),
            None => {
                return Err(hidden_without_value(&format!(
                    "the default of parameter {}",
                    parameter.name
                )))
            }
        }
    }
    Ok(())
}

/// Refuses [`HIDDEN`] as a value where nothing stored stands behind it.
pub fn refuse_hidden<'a>(
    what: &str,
    values: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> ServiceResult<()> {
    match values.into_iter().find(|(_, value)| *value == HIDDEN) {
        Some((name, _)) => Err(hidden_without_value(&format!("{what} {name}"))),
        None => Ok(()),
    }
}

fn hidden_without_value(what: &str) -> ServiceError {
    ServiceError::invalid(format!(
        "{what} is the placeholder of a hidden value ({HIDDEN}) and there is no stored value to keep; enter the value"
    ))
}

/// The values of a run's parameters as a job keeps them: those of secret
/// parameters hidden (for everyone; the commands hold them).
pub fn hide_secret_values(
    parameters: &[ScriptParameter],
    values: &mut BTreeMap<String, serde_json::Value>,
) {
    for parameter in parameters {
        if parameter.kind == ParameterType::Secret {
            if let Some(value) = values.get_mut(&parameter.name) {
                if !value.is_null() {
                    *value = serde_json::Value::String(HIDDEN.to_string());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use gururmm_protocol::{CommandType, RunAs};
    use serde_json::json;

    fn parameter(name: &str, kind: ParameterType, default: Option<&str>) -> ScriptParameter {
        ScriptParameter {
            name: name.into(),
            kind,
            default: default.map(Into::into),
            required: false,
            description: None,
            custom_field: None,
        }
    }

    fn version(env: &[(&str, &str)], parameters: Vec<ScriptParameter>) -> ScriptVersion {
        ScriptVersion {
            version: 1,
            command_type: CommandType::Shell,
            interpreter: None,
            body: "true".into(),
            parameters,
            default_env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            default_timeout_seconds: 300,
            run_as: RunAs::System,
            created_at: Utc::now(),
            created_by_email: "a@example.com".into(),
        }
    }

    #[test]
    fn hiding_keeps_names_and_hides_only_secret_defaults() {
        let mut v = version(
            &[("TOKEN", "s3cret")],
            vec![
                parameter("Key", ParameterType::Secret, Some("k3y")),
                parameter("Days", ParameterType::Number, Some("7")),
                parameter("Unset", ParameterType::Secret, None),
            ],
        );
        hide_version(&mut v);
        assert_eq!(v.default_env["TOKEN"], HIDDEN);
        assert_eq!(v.parameters[0].default.as_deref(), Some(HIDDEN));
        assert_eq!(v.parameters[1].default.as_deref(), Some("7"));
        assert_eq!(v.parameters[2].default, None, "no value: nothing to hide");
    }

    #[test]
    fn an_edit_sending_the_placeholder_keeps_the_stored_values() {
        let stored = version(
            &[("TOKEN", "s3cret")],
            vec![parameter("Key", ParameterType::Secret, Some("k3y"))],
        );
        let mut edited = version(
            &[("TOKEN", HIDDEN), ("NEW", "plain")],
            vec![parameter("Key", ParameterType::Secret, Some(HIDDEN))],
        );
        keep_hidden(
            &mut edited.default_env,
            &mut edited.parameters,
            Some(&stored),
        )
        .unwrap();
        assert_eq!(edited.default_env["TOKEN"], "s3cret");
        assert_eq!(edited.default_env["NEW"], "plain");
        assert_eq!(edited.parameters[0].default.as_deref(), Some("k3y"));
    }

    #[test]
    fn the_placeholder_without_a_stored_value_is_refused() {
        let stored = version(
            &[],
            vec![parameter("Key", ParameterType::String, Some("x"))],
        );
        let mut edited = version(&[("TOKEN", HIDDEN)], vec![]);
        assert!(keep_hidden(
            &mut edited.default_env,
            &mut edited.parameters,
            Some(&stored)
        )
        .is_err());
        // A parameter that was not secret before has no hidden default to keep.
        let mut edited = version(
            &[],
            vec![parameter("Key", ParameterType::Secret, Some(HIDDEN))],
        );
        assert!(keep_hidden(
            &mut edited.default_env,
            &mut edited.parameters,
            Some(&stored)
        )
        .is_err());
        // A new script has nothing stored.
        let mut edited = version(&[("TOKEN", HIDDEN)], vec![]);
        assert!(keep_hidden(&mut edited.default_env, &mut edited.parameters, None).is_err());
        let env = BTreeMap::from([("A".to_string(), HIDDEN.to_string())]);
        assert!(refuse_hidden("env", &env).is_err());
    }

    #[test]
    fn a_job_keeps_secret_values_hidden() {
        let parameters = vec![
            parameter("Key", ParameterType::Secret, None),
            parameter("Days", ParameterType::Number, None),
        ];
        let mut values = BTreeMap::from([
            ("Key".to_string(), json!("k3y")),
            ("Days".to_string(), json!(7)),
        ]);
        hide_secret_values(&parameters, &mut values);
        assert_eq!(values["Key"], json!(HIDDEN));
        assert_eq!(values["Days"], json!(7));
    }
}
