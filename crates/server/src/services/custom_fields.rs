//! Custom fields: the rules of a field's key, name and choices, each kind's
//! canonical value, setting a target's values, the agent list's filter, and
//! the values that reach each agent (its own, else its site's, else its
//! client's) for script parameters.

use crate::services::error::{ServiceError, ServiceResult};
use crate::text::{has_hidden_characters, valid_line};
use chrono::NaiveDate;
use gururmm_protocol::{AgentId, CustomFieldId, OrganizationId};
use gururmm_store::{
    CustomField, CustomFieldKind, CustomFieldScope, CustomValueMatch, NewCustomField, Store,
};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Most custom fields of one organization (over every scope).
pub const MAX_FIELDS_PER_ORGANIZATION: i64 = 100;
/// Most characters of a key.
pub const MAX_KEY_CHARS: usize = 40;
/// Most characters of a field's name, and of each choice.
pub const MAX_FIELD_NAME_CHARS: usize = 100;
pub const MAX_CHOICE_CHARS: usize = 100;
/// Most choices of a choice field.
pub const MAX_CHOICES: usize = 50;
/// Most characters of a text value.
pub const MAX_TEXT_CHARS: usize = 1_000;

/// Checks a key: 1 to 40 lowercase letters, digits and `_`, starting with a
/// letter (so a script may use it as a variable's name).
pub fn valid_key(key: &str) -> ServiceResult<String> {
    let key = key.trim();
    let well_formed = !key.is_empty()
        && key.chars().count() <= MAX_KEY_CHARS
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !well_formed {
        return Err(ServiceError::invalid(format!(
            "key must be 1 to {MAX_KEY_CHARS} of a-z, digits and _, starting with a letter"
        )));
    }
    Ok(key.to_string())
}

/// Checks a field's choices: a choice field has 1 to 50, each a line of 1 to
/// 100 characters, all different without regard to case; other kinds have none.
pub fn valid_choices(
    kind: CustomFieldKind,
    choices: Option<Vec<String>>,
) -> ServiceResult<Vec<String>> {
    let choices = choices.unwrap_or_default();
    if kind != CustomFieldKind::Choice {
        if !choices.is_empty() {
            return Err(ServiceError::invalid(format!(
                "choices: only a choice field has choices, not a {} field",
                kind.as_str()
            )));
        }
        return Ok(choices);
    }
    if choices.is_empty() || choices.len() > MAX_CHOICES {
        return Err(ServiceError::invalid(format!(
            "choices: a choice field has 1 to {MAX_CHOICES} choices"
        )));
    }
    let mut seen = std::collections::HashSet::new();
    let mut valid = Vec::with_capacity(choices.len());
    for (index, choice) in choices.iter().enumerate() {
        let choice = valid_line(&format!("choices[{index}]"), choice, MAX_CHOICE_CHARS)?;
        if !seen.insert(choice.to_lowercase()) {
            return Err(ServiceError::invalid(format!(
                "choices[{index}]: {choice:?} is listed twice"
            )));
        }
        valid.push(choice);
    }
    Ok(valid)
}

/// Checks a new field and creates it.
pub async fn create(
    store: &dyn Store,
    org: OrganizationId,
    scope: CustomFieldScope,
    key: &str,
    name: &str,
    kind: CustomFieldKind,
    choices: Option<Vec<String>>,
) -> ServiceResult<CustomField> {
    let field = NewCustomField {
        organization_id: org,
        scope,
        key: valid_key(key)?,
        name: valid_line("name", name, MAX_FIELD_NAME_CHARS)?,
        kind,
        choices: valid_choices(kind, choices)?,
    };
    store
        .create_custom_field(field, MAX_FIELDS_PER_ORGANIZATION)
        .await
        .map_err(ServiceError::from_store("custom field"))
}

/// Renames a field or changes its choices (what is not given stays).
pub async fn update(
    store: &dyn Store,
    org: OrganizationId,
    id: CustomFieldId,
    name: Option<&str>,
    choices: Option<Vec<String>>,
) -> ServiceResult<CustomField> {
    let field = store
        .get_custom_field(org, id)
        .await
        .map_err(ServiceError::from_store("custom field"))?;
    let name = match name {
        Some(name) => valid_line("name", name, MAX_FIELD_NAME_CHARS)?,
        None => field.name.clone(),
    };
    let choices = match choices {
        Some(choices) => valid_choices(field.kind, Some(choices))?,
        None => field.choices.clone(),
    };
    store
        .update_custom_field(org, id, &name, &choices)
        .await
        .map_err(ServiceError::from_store("custom field"))
}

/// A value in the canonical text of the field's kind, or why it is not one.
pub fn canonical_value(field: &CustomField, value: &Value) -> Result<String, String> {
    let text = match (field.kind, value) {
        (CustomFieldKind::Number, Value::Number(number)) => number.to_string(),
        (_, Value::String(text)) => text.trim().to_string(),
        (kind, _) => {
            return Err(match kind {
                CustomFieldKind::Number => "must be a number".into(),
                _ => "must be a string".into(),
            })
        }
    };
    canonical_text(field, &text)
}

/// Text (trimmed) in the canonical form of the field's kind, or why it is not one.
pub fn canonical_text(field: &CustomField, text: &str) -> Result<String, String> {
    let text = text.trim();
    match field.kind {
        CustomFieldKind::Text => {
            if text.chars().count() > MAX_TEXT_CHARS {
                Err(format!("must have at most {MAX_TEXT_CHARS} characters"))
            } else if has_hidden_characters(text) {
                Err("must be one line without control or invisible characters".into())
            } else {
                Ok(text.to_string())
            }
        }
        CustomFieldKind::Number => match text.parse::<f64>() {
            Ok(number) if number.is_finite() && text.len() <= 100 => {
                // Rust writes the shortest decimal that reads back as the same
                // number; -0 is 0.
                Ok(if number == 0.0 {
                    "0".into()
                } else {
                    number.to_string()
                })
            }
            _ => Err("must be a finite number such as 42 or -1.5".into()),
        },
        CustomFieldKind::Date => {
            let shaped = text.len() == 10
                && text.char_indices().all(|(i, c)| match i {
                    4 | 7 => c == '-',
                    _ => c.is_ascii_digit(),
                });
            match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(date) if shaped => Ok(date.format("%Y-%m-%d").to_string()),
                _ => Err("must be a date written YYYY-MM-DD".into()),
            }
        }
        CustomFieldKind::Choice => field
            .choices
            .iter()
            .find(|choice| choice.to_lowercase() == text.to_lowercase())
            .cloned()
            .ok_or_else(|| {
                let mut listed: Vec<&str> =
                    field.choices.iter().map(String::as_str).take(10).collect();
                if field.choices.len() > listed.len() {
                    listed.push("…");
                }
                format!("must be one of {}", listed.join(", "))
            }),
    }
}

/// Sets or clears (`null`, or an empty string) values of a client, site or
/// agent by key, and answers every field of the scope with the target's
/// value. Every bad value is named with its key in one 422 (`key: why`,
/// separated by `; `); an unknown key is one too.
pub async fn set_values(
    store: &dyn Store,
    org: OrganizationId,
    scope: CustomFieldScope,
    target: uuid::Uuid,
    values: &BTreeMap<String, Option<Value>>,
) -> ServiceResult<Vec<(CustomField, Option<String>)>> {
    let current = store
        .custom_values(org, scope, target)
        .await
        .map_err(ServiceError::from_store(scope.as_str()))?;
    if values.len() > MAX_FIELDS_PER_ORGANIZATION as usize {
        return Err(ServiceError::invalid(format!(
            "values: at most {MAX_FIELDS_PER_ORGANIZATION} at once"
        )));
    }
    let mut changes = Vec::with_capacity(values.len());
    let mut problems = Vec::new();
    for (key, value) in values {
        let Some((field, _)) = current.iter().find(|(field, _)| &field.key == key) else {
            problems.push(format!(
                "{}: no {} field has this key",
                crate::text::truncate(key, MAX_KEY_CHARS + 10),
                scope.as_str()
            ));
            continue;
        };
        match value {
            None => changes.push((field.id, None)),
            Some(value) => match canonical_value(field, value) {
                Ok(text) if text.is_empty() => changes.push((field.id, None)),
                Ok(text) => changes.push((field.id, Some(text))),
                Err(why) => problems.push(format!("{key}: {why}")),
            },
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::invalid(problems.join("; ")));
    }
    store
        .set_custom_values(org, scope, target, &changes)
        .await
        .map_err(ServiceError::from_store(scope.as_str()))?;
    store
        .custom_values(org, scope, target)
        .await
        .map_err(ServiceError::from_store(scope.as_str()))
}

/// The agent list's custom field filter: the fields with the key (of any
/// scope), each with the value in its kind's canonical form when it has one.
/// An unknown key is a 400.
pub async fn list_filter(
    store: &dyn Store,
    org: OrganizationId,
    key: &str,
    value: &str,
) -> ServiceResult<Vec<CustomValueMatch>> {
    let fields: Vec<CustomField> = store
        .list_custom_fields(org, None)
        .await
        .map_err(ServiceError::internal)?
        .into_iter()
        .filter(|field| field.key == key)
        .collect();
    if fields.is_empty() {
        return Err(ServiceError::BadRequest(format!(
            "custom_field: no custom field has the key {:?}",
            crate::text::truncate(key, MAX_KEY_CHARS + 10)
        )));
    }
    Ok(fields
        .into_iter()
        .map(|field| CustomValueMatch {
            value: canonical_text(&field, value).unwrap_or_else(|_| value.trim().to_string()),
            field_id: field.id,
            scope: field.scope,
        })
        .collect())
}

/// For each agent, the value of each key that reaches it: the agent's own
/// (an agent field), else its site's, else its client's. One store query for
/// all the agents.
pub async fn values_reaching(
    store: &dyn Store,
    org: OrganizationId,
    agents: &[AgentId],
    keys: &[String],
) -> ServiceResult<HashMap<AgentId, HashMap<String, String>>> {
    let found = store
        .agent_custom_values(org, agents, keys)
        .await
        .map_err(ServiceError::internal)?;
    let precedence = |scope: CustomFieldScope| match scope {
        CustomFieldScope::Agent => 0,
        CustomFieldScope::Site => 1,
        CustomFieldScope::Client => 2,
    };
    let mut best: HashMap<(AgentId, String), (u8, String)> = HashMap::new();
    for value in found {
        let rank = precedence(value.scope);
        let entry = best.entry((value.agent_id, value.key));
        match entry {
            std::collections::hash_map::Entry::Occupied(mut held) => {
                if rank < held.get().0 {
                    held.insert((rank, value.value));
                }
            }
            std::collections::hash_map::Entry::Vacant(free) => {
                free.insert((rank, value.value));
            }
        }
    }
    let mut reaching: HashMap<AgentId, HashMap<String, String>> = HashMap::new();
    for ((agent, key), (_, value)) in best {
        reaching.entry(agent).or_default().insert(key, value);
    }
    Ok(reaching)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn field(kind: CustomFieldKind, choices: &[&str]) -> CustomField {
        CustomField {
            id: CustomFieldId::new(),
            organization_id: OrganizationId::new(),
            scope: CustomFieldScope::Agent,
            key: "k".into(),
            name: "K".into(),
            kind,
            choices: choices.iter().map(|c| c.to_string()).collect(),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn values_are_stored_in_their_kinds_canonical_text() {
        let check = |kind, choices: &[&str], given: Value, expected: Result<&str, &str>| {
            let answer = canonical_value(&field(kind, choices), &given);
            match expected {
                Ok(text) => assert_eq!(answer.as_deref(), Ok(text), "{given}"),
                Err(part) => assert!(
                    answer.as_ref().is_err_and(|why| why.contains(part)),
                    "{given}: {answer:?}"
                ),
            }
        };
        use CustomFieldKind::*;
        check(Text, &[], Value::from("  rack 4 "), Ok("rack 4"));
        check(Text, &[], Value::from("two\nlines"), Err("one line"));
        check(
            Text,
            &[],
            Value::from("x".repeat(1001)),
            Err("at most 1000"),
        );
        check(Text, &[], Value::from(5), Err("must be a string"));
        check(Number, &[], Value::from("1.50"), Ok("1.5"));
        check(Number, &[], Value::from(" 1e3 "), Ok("1000"));
        check(Number, &[], Value::from(-0.0), Ok("0"));
        check(Number, &[], Value::from(42), Ok("42"));
        check(Number, &[], Value::from("inf"), Err("finite number"));
        check(Number, &[], Value::from("NaN"), Err("finite number"));
        check(Number, &[], Value::from("ten"), Err("finite number"));
        check(Number, &[], Value::Bool(true), Err("must be a number"));
        check(Date, &[], Value::from("2025-02-28"), Ok("2025-02-28"));
        check(Date, &[], Value::from("2025-02-30"), Err("YYYY-MM-DD"));
        check(Date, &[], Value::from("2025-2-3"), Err("YYYY-MM-DD"));
        check(Date, &[], Value::from("28.02.2025"), Err("YYYY-MM-DD"));
        check(Choice, &["Gold", "Silver"], Value::from("gold"), Ok("Gold"));
        check(
            Choice,
            &["Gold", "Silver"],
            Value::from("Bronze"),
            Err("one of Gold, Silver"),
        );
    }

    #[test]
    fn keys_and_choices_follow_their_rules() {
        assert_eq!(valid_key(" backup_path2 ").unwrap(), "backup_path2");
        for bad in [
            "",
            "Backup",
            "2fast",
            "with-dash",
            "with space",
            &"k".repeat(41),
        ] {
            assert!(valid_key(bad).is_err(), "{bad:?}");
        }
        assert!(valid_choices(CustomFieldKind::Choice, None).is_err());
        assert!(valid_choices(CustomFieldKind::Text, Some(vec!["a".into()])).is_err());
        assert_eq!(
            valid_choices(
                CustomFieldKind::Choice,
                Some(vec!["Gold".into(), "gold".into()])
            )
            .unwrap_err()
            .to_string(),
            "choices[1]: \"gold\" is listed twice"
        );
        let many = (0..51).map(|n| n.to_string()).collect();
        assert!(valid_choices(CustomFieldKind::Choice, Some(many)).is_err());
        assert_eq!(
            valid_choices(CustomFieldKind::Choice, Some(vec![" Gold ".into()])).unwrap(),
            ["Gold"]
        );
    }
}
