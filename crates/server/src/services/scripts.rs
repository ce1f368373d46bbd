//! Script library rules: parameter definitions, turning parameter values into
//! argv and environment (never into script text), building the commands of a
//! job, and restoring an old version's code as a new version.

use crate::services::commands::{validate, CommandSpec};
use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::Utc;
use gururmm_protocol::{CommandType, RunAs, VaultEntryId};
pub use gururmm_store::{ParameterType, ScriptParameter};
use gururmm_store::{Script, ScriptFields, ScriptId, ScriptVersion, User};
use serde_json::Value;
use std::collections::BTreeMap;

pub const MAX_PARAMETERS: usize = 32;
pub const MAX_PARAMETER_VALUE_BYTES: usize = 4096;
/// Most agents one job may target.
pub const MAX_JOB_AGENTS: i64 = 10_000;

fn valid_parameter_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 64
        && matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks a value against its parameter's type; returns the text passed on.
fn typed_value(parameter: &ScriptParameter, value: &Value) -> ServiceResult<String> {
    let text = match (parameter.kind, value) {
        (ParameterType::String | ParameterType::Secret, Value::String(text)) => text.clone(),
        (ParameterType::Number, Value::Number(number)) => number.to_string(),
        (ParameterType::Number, Value::String(text))
            if text.trim().parse::<f64>().is_ok_and(f64::is_finite) =>
        {
            text.trim().to_string()
        }
        (ParameterType::Boolean, Value::Bool(flag)) => flag.to_string(),
        (ParameterType::Boolean, Value::String(text))
            if matches!(text.as_str(), "true" | "false") =>
        {
            text.clone()
        }
        _ => {
            return Err(ServiceError::invalid(format!(
                "parameter {} must be a {}",
                parameter.name,
                match parameter.kind {
                    ParameterType::String | ParameterType::Secret => "string",
                    ParameterType::Number => "number",
                    ParameterType::Boolean => "boolean (true or false)",
                }
            )))
        }
    };
    if text == crate::services::secrets::HIDDEN {
        return Err(ServiceError::invalid(format!(
            "parameter {} has the placeholder of a hidden value ({}) as its value; enter the value, or leave it out for the default",
            parameter.name,
            crate::services::secrets::HIDDEN
        )));
    }
    if text.len() > MAX_PARAMETER_VALUE_BYTES || text.contains('\0') {
        return Err(ServiceError::invalid(format!(
            "parameter {} must be at most {MAX_PARAMETER_VALUE_BYTES} bytes, without NUL",
            parameter.name
        )));
    }
    Ok(text)
}

/// Checks parameter definitions (names, types of defaults, no duplicates).
pub fn validate_parameters(parameters: &[ScriptParameter]) -> ServiceResult<()> {
    if parameters.len() > MAX_PARAMETERS {
        return Err(ServiceError::invalid(format!(
            "at most {MAX_PARAMETERS} parameters"
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for parameter in parameters {
        if !valid_parameter_name(&parameter.name) {
            return Err(ServiceError::invalid(format!(
                "parameter name {:?} must start with a letter or underscore and hold only letters, digits and underscores",
                parameter.name
            )));
        }
        if !seen.insert(parameter.name.as_str()) {
            return Err(ServiceError::invalid(format!(
                "parameter {} is defined twice",
                parameter.name
            )));
        }
        if let Some(default) = &parameter.default {
            typed_value(parameter, &Value::String(default.clone()))?;
        }
        if let Some(key) = &parameter.custom_field {
            if crate::services::custom_fields::valid_key(key)
                .ok()
                .as_deref()
                != Some(key.as_str())
            {
                return Err(ServiceError::invalid(format!(
                    "parameter {}: custom_field must be a custom field's key (1 to 40 of a-z, digits and _, starting with a letter)",
                    parameter.name
                )));
            }
        }
        if parameter
            .description
            .as_ref()
            .is_some_and(|d| d.len() > 1024)
        {
            return Err(ServiceError::invalid(format!(
                "the description of {} is too long",
                parameter.name
            )));
        }
    }
    Ok(())
}

/// Parameter values → (argv in definition order, environment). A secret
/// parameter's value is in the environment only. Unknown names, missing
/// required values and wrong types are 422s.
pub fn bind_parameters(
    parameters: &[ScriptParameter],
    values: &BTreeMap<String, Value>,
) -> ServiceResult<(Vec<String>, BTreeMap<String, String>)> {
    if let Some(unknown) = values
        .keys()
        .find(|name| !parameters.iter().any(|p| &p.name == *name))
    {
        return Err(ServiceError::invalid(format!(
            "the script has no parameter {unknown}"
        )));
    }
    let mut args = Vec::with_capacity(parameters.len());
    let mut env = BTreeMap::new();
    for parameter in parameters {
        let value = match values.get(&parameter.name) {
            Some(Value::Null) | None => match &parameter.default {
                Some(default) => default.clone(),
                None if parameter.required => {
                    return Err(ServiceError::invalid(format!(
                        "parameter {} is required",
                        parameter.name
                    )))
                }
                None => String::new(),
            },
            Some(value) => typed_value(parameter, value)?,
        };
        if parameter.kind != ParameterType::Secret {
            args.push(value.clone());
        }
        env.insert(parameter.name.clone(), value);
    }
    Ok((args, env))
}

/// The one key of a run's value that names a vault entry instead of giving a value.
pub const VAULT_ENTRY_KEY: &str = "vault_entry_id";

/// Splits a run's values into those given as they are and the vault entries
/// named in their place (`{"vault_entry_id": "<uuid>"}`, by parameter name).
/// Only a secret parameter takes an entry: any other is a 422 naming it, as
/// is an object of another shape.
pub fn split_vault_references(
    parameters: &[ScriptParameter],
    values: &BTreeMap<String, Value>,
) -> ServiceResult<(BTreeMap<String, Value>, BTreeMap<String, VaultEntryId>)> {
    let mut given = BTreeMap::new();
    let mut references = BTreeMap::new();
    for (name, value) in values {
        let Value::Object(object) = value else {
            given.insert(name.clone(), value.clone());
            continue;
        };
        let Some(parameter) = parameters.iter().find(|p| &p.name == name) else {
            return Err(ServiceError::invalid(format!(
                "the script has no parameter {name}"
            )));
        };
        if parameter.kind != ParameterType::Secret {
            return Err(ServiceError::invalid(format!(
                "parameter {name}: only a secret parameter takes a vault entry; give a {} value",
                match parameter.kind {
                    ParameterType::Number => "number",
                    ParameterType::Boolean => "boolean",
                    ParameterType::String | ParameterType::Secret => "string",
                }
            )));
        }
        let id = match (object.len(), object.get(VAULT_ENTRY_KEY)) {
            (1, Some(Value::String(id))) => id.parse::<VaultEntryId>().map_err(|_| {
                ServiceError::invalid(format!(
                    "parameter {name}: {VAULT_ENTRY_KEY} must be a vault entry's id (a UUID)"
                ))
            })?,
            _ => {
                return Err(ServiceError::invalid(format!(
                    "parameter {name}: a vault entry is given as {{\"{VAULT_ENTRY_KEY}\": \"<uuid>\"}} and nothing else"
                )))
            }
        };
        references.insert(name.clone(), id);
    }
    Ok((given, references))
}

/// What a script version runs, as a command spec (reusing command validation).
pub fn as_command_spec(
    command_type: CommandType,
    interpreter: Option<String>,
    body: String,
    timeout_seconds: Option<u32>,
    run_as: RunAs,
    env: BTreeMap<String, String>,
    args: Vec<String>,
) -> ServiceResult<(CommandSpec, u32)> {
    let spec = CommandSpec {
        command_type,
        command: body,
        interpreter,
        timeout_seconds,
        run_as: Some(run_as),
        env,
        args,
        working_dir: None,
    };
    let timeout = validate(&spec)?;
    Ok((spec, timeout))
}

/// Whether two versions run the same thing the same way (type, interpreter,
/// body, parameters, default environment, timeout, run-as), whoever made them and when.
pub fn same_code(a: &ScriptVersion, b: &ScriptVersion) -> bool {
    a.command_type == b.command_type
        && a.interpreter == b.interpreter
        && a.body == b.body
        && a.parameters == b.parameters
        && a.default_env == b.default_env
        && a.default_timeout_seconds == b.default_timeout_seconds
        && a.run_as == b.run_as
}

/// Makes an old version's code the script's code again, as a new version made
/// by `user` now (versions are never rewritten, so the history shows the
/// restore). 409 when the current version already has that code.
pub async fn restore_version(
    state: &AppState,
    user: &User,
    id: ScriptId,
    version: i64,
) -> ServiceResult<Script> {
    let org = user.organization_id;
    let script = state
        .store
        .get_script(org, id)
        .await
        .map_err(ServiceError::from_store("script"))?;
    let old = state
        .store
        .get_script_version(org, id, version)
        .await
        .map_err(ServiceError::from_store("script version"))?;
    if same_code(&old, &script.current) {
        return Err(ServiceError::Conflict(format!(
            "version {} already has the code of version {version}",
            script.current.version
        )));
    }
    let fields = ScriptFields {
        name: script.name,
        description: script.description,
        category: script.category,
    };
    let code = ScriptVersion {
        version: 0,
        created_at: Utc::now(),
        created_by_email: user.email.clone(),
        ..old
    };
    let restored = state
        .store
        .update_script(org, id, fields, Some(code))
        .await
        .map_err(ServiceError::from_store("script"))?;
    tracing::info!(script = %id, from = version, to = restored.current.version, user = %user.id, "script version restored");
    Ok(restored)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameter(
        name: &str,
        kind: ParameterType,
        default: Option<&str>,
        required: bool,
    ) -> ScriptParameter {
        ScriptParameter {
            name: name.into(),
            kind,
            default: default.map(Into::into),
            required,
            description: None,
            custom_field: None,
        }
    }

    #[test]
    fn values_become_argv_in_definition_order_and_environment() {
        let parameters = vec![
            parameter("Path", ParameterType::String, None, true),
            parameter("Days", ParameterType::Number, Some("7"), false),
            parameter("DryRun", ParameterType::Boolean, None, false),
        ];
        let hostile = "'; rm -rf / #$(id)\n`x`";
        let values = BTreeMap::from([
            ("Path".to_string(), Value::String(hostile.into())),
            ("DryRun".into(), Value::Bool(true)),
        ]);
        let (args, env) = bind_parameters(&parameters, &values).unwrap();
        assert_eq!(args, [hostile, "7", "true"]);
        assert_eq!(env["Path"], hostile, "values pass untouched");
        assert_eq!(env["Days"], "7");
    }

    #[test]
    fn a_secret_value_is_in_the_environment_only() {
        let parameters = vec![
            parameter("Token", ParameterType::Secret, None, true),
            parameter("Days", ParameterType::Number, Some("7"), false),
        ];
        let values = BTreeMap::from([("Token".to_string(), Value::String("s3cret".into()))]);
        let (args, env) = bind_parameters(&parameters, &values).unwrap();
        assert_eq!(args, ["7"], "never on the command line");
        assert_eq!(env["Token"], "s3cret");
    }

    #[test]
    fn only_secret_parameters_take_a_vault_entry_and_only_in_its_one_shape() {
        let parameters = vec![
            parameter("Token", ParameterType::Secret, None, true),
            parameter("Days", ParameterType::Number, None, false),
        ];
        let id = VaultEntryId::new();
        let split = |values: Value| {
            let values: BTreeMap<String, Value> = serde_json::from_value(values).unwrap();
            split_vault_references(&parameters, &values).map_err(|e| e.to_string())
        };
        let (given, references) =
            split(serde_json::json!({"Token": {"vault_entry_id": id.to_string()}, "Days": 3}))
                .unwrap();
        assert_eq!(
            given,
            BTreeMap::from([("Days".to_string(), Value::from(3))])
        );
        assert_eq!(references, BTreeMap::from([("Token".to_string(), id)]));
        for (values, needle) in [
            (
                serde_json::json!({"Days": {"vault_entry_id": id.to_string()}}),
                "parameter Days: only a secret parameter",
            ),
            (
                serde_json::json!({"Token": {"vault_entry_id": "not-a-uuid"}}),
                "parameter Token: vault_entry_id must be",
            ),
            (
                serde_json::json!({"Token": {"vault_entry_id": id.to_string(), "x": 1}}),
                "parameter Token: a vault entry is given as",
            ),
            (
                serde_json::json!({"Token": {}}),
                "parameter Token: a vault entry is given as",
            ),
            (
                serde_json::json!({"Other": {"vault_entry_id": id.to_string()}}),
                "no parameter Other",
            ),
        ] {
            let error = split(values).unwrap_err();
            assert!(error.contains(needle), "{error:?} lacks {needle:?}");
        }
    }

    #[test]
    fn bad_values_and_definitions_are_clear_422s() {
        let parameters = vec![parameter("Count", ParameterType::Number, None, true)];
        let message = |values: BTreeMap<String, Value>| {
            bind_parameters(&parameters, &values)
                .unwrap_err()
                .to_string()
        };
        assert!(message(BTreeMap::new()).contains("Count is required"));
        assert!(message(BTreeMap::from([(
            "Count".into(),
            Value::String("ten".into())
        )]))
        .contains("must be a number"));
        assert!(
            message(BTreeMap::from([("Other".into(), Value::Bool(true))]))
                .contains("no parameter Other")
        );
        assert!(
            validate_parameters(&[parameter("1x", ParameterType::String, None, false)]).is_err()
        );
        assert!(validate_parameters(&[
            parameter("a", ParameterType::String, None, false),
            parameter("a", ParameterType::String, None, false)
        ])
        .is_err());
        assert!(
            validate_parameters(&[parameter("n", ParameterType::Number, Some("x"), false)])
                .is_err()
        );
    }
}
