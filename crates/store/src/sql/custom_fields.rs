//! The SQL of [`crate::CustomFieldStore`].

use super::rows::{from_json, to_json};
use super::*;
use crate::custom_fields::*;
use crate::{CustomFieldStore, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::Utc;
use gururmm_protocol::{AgentId, CustomFieldId, OrganizationId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const FIELD_COLUMNS: &str =
    "f.id, f.organization_id, f.scope, f.key, f.name, f.kind, f.choices, f.created_at";

/// Clients, then sites, then agents; by name within each.
const FIELD_ORDER: &str =
    "CASE f.scope WHEN 'client' THEN 0 WHEN 'site' THEN 1 ELSE 2 END, LOWER(f.name), f.id";

type FieldRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
);

fn into_field(row: FieldRow) -> StoreResult<CustomField> {
    let (id, org, scope, key, name, kind, choices, created_at) = row;
    Ok(CustomField {
        id: parse_id(&id)?,
        organization_id: parse_id(&org)?,
        scope: CustomFieldScope::parse(&scope)
            .ok_or_else(|| corrupt(format!("unknown custom field scope {scope}")))?,
        key,
        name,
        kind: CustomFieldKind::parse(&kind)
            .ok_or_else(|| corrupt(format!("unknown custom field kind {kind}")))?,
        choices: choices
            .map(|text| from_json(&text, "custom_fields.choices"))
            .transpose()?
            .unwrap_or_default(),
        created_at: from_millis(created_at),
    })
}

/// The table of a scope's targets.
fn target_table(scope: CustomFieldScope) -> &'static str {
    match scope {
        CustomFieldScope::Client => "clients",
        CustomFieldScope::Site => "sites",
        CustomFieldScope::Agent => "agents",
    }
}

/// The `choices` column of a field: a JSON array for choice fields, NULL otherwise.
fn choices_column(kind: CustomFieldKind, choices: &[String]) -> StoreResult<Option<String>> {
    match kind {
        CustomFieldKind::Choice => Some(to_json(&choices)).transpose(),
        _ => Ok(None),
    }
}

/// Agents per lookup of [`CustomFieldStore::agent_custom_values`].
const AGENT_CHUNK: usize = 1000;

#[async_trait]
impl<DB: SqlDatabase> CustomFieldStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn create_custom_field(
        &self,
        field: NewCustomField,
        max_per_organization: i64,
    ) -> StoreResult<CustomField> {
        let id = CustomFieldId::new();
        let org = field.organization_id.to_string();
        let mut tx = self.write.begin().await?;
        // The organization's row is taken for the transaction, so two
        // creations of the same key or name cannot both pass the checks below.
        let locked = sqlx::query("UPDATE organizations SET name = name WHERE id = $1")
            .bind(&org)
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let existing: Vec<(String, String, String)> =
            sqlx::query_as("SELECT scope, key, name FROM custom_fields WHERE organization_id = $1")
                .bind(&org)
                .fetch_all(&mut *tx)
                .await?;
        if i64::try_from(existing.len()).unwrap_or(i64::MAX) >= max_per_organization {
            return Err(StoreError::Conflict(format!(
                "the organization has {max_per_organization} custom fields already; delete one first"
            )));
        }
        let scope = field.scope.as_str();
        let same_scope = existing.iter().filter(|(s, _, _)| s == scope);
        let lowered = field.name.to_lowercase();
        for (_, key, name) in same_scope {
            if *key == field.key {
                return Err(StoreError::Conflict(format!(
                    "key: there is a {scope} field with the key {:?} already",
                    field.key
                )));
            }
            if name.to_lowercase() == lowered {
                return Err(StoreError::Conflict(format!(
                    "name: there is a {scope} field named {:?} already",
                    field.name
                )));
            }
        }
        sqlx::query(
            "INSERT INTO custom_fields (id, organization_id, scope, key, name, kind, choices, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.to_string())
        .bind(&org)
        .bind(scope)
        .bind(&field.key)
        .bind(&field.name)
        .bind(field.kind.as_str())
        .bind(choices_column(field.kind, &field.choices)?)
        .bind(millis(Utc::now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get_custom_field(field.organization_id, id).await
    }

    async fn list_custom_fields(
        &self,
        org: OrganizationId,
        scope: Option<CustomFieldScope>,
    ) -> StoreResult<Vec<CustomField>> {
        let rows: Vec<FieldRow> = sqlx::query_as(&format!(
            "SELECT {FIELD_COLUMNS} FROM custom_fields f WHERE f.organization_id = $1 \
             AND ($2 = '' OR f.scope = $2) ORDER BY {FIELD_ORDER}"
        ))
        .bind(org.to_string())
        .bind(scope.map(CustomFieldScope::as_str).unwrap_or_default())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(into_field).collect()
    }

    async fn get_custom_field(
        &self,
        org: OrganizationId,
        id: CustomFieldId,
    ) -> StoreResult<CustomField> {
        let row: Option<FieldRow> = sqlx::query_as(&format!(
            "SELECT {FIELD_COLUMNS} FROM custom_fields f WHERE f.organization_id = $1 AND f.id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.write)
        .await?;
        into_field(row.ok_or(StoreError::NotFound)?)
    }

    async fn update_custom_field(
        &self,
        org: OrganizationId,
        id: CustomFieldId,
        name: &str,
        choices: &[String],
    ) -> StoreResult<CustomField> {
        let mut tx = self.write.begin().await?;
        // Taking the field's row first orders this change with any write of
        // its values (which takes the same row), so no value of a removed
        // choice slips in between the count below and the update.
        let locked = sqlx::query(
            "UPDATE custom_fields SET name = name WHERE organization_id = $1 AND id = $2",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        if locked.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let row: FieldRow = sqlx::query_as(&format!(
            "SELECT {FIELD_COLUMNS} FROM custom_fields f WHERE f.id = $1"
        ))
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let field = into_field(row)?;
        let others: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM custom_fields WHERE organization_id = $1 AND scope = $2 AND id <> $3",
        )
        .bind(org.to_string())
        .bind(field.scope.as_str())
        .bind(id.to_string())
        .fetch_all(&mut *tx)
        .await?;
        let lowered = name.to_lowercase();
        if others.iter().any(|other| other.to_lowercase() == lowered) {
            return Err(StoreError::Conflict(format!(
                "name: there is a {} field named {name:?} already",
                field.scope.as_str()
            )));
        }
        if field.kind == CustomFieldKind::Choice {
            let values: Vec<String> =
                sqlx::query_scalar("SELECT value FROM custom_field_values WHERE field_id = $1")
                    .bind(id.to_string())
                    .fetch_all(&mut *tx)
                    .await?;
            let orphaned: Vec<&String> = values
                .iter()
                .filter(|value| !choices.contains(value))
                .collect();
            if let Some(first) = orphaned.first() {
                return Err(StoreError::Conflict(format!(
                    "choices: {} value(s) use a choice this list removes (such as {first:?}); \
                     change those values first",
                    orphaned.len()
                )));
            }
        }
        sqlx::query("UPDATE custom_fields SET name = $1, choices = $2 WHERE id = $3")
            .bind(name)
            .bind(choices_column(field.kind, choices)?)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.get_custom_field(org, id).await
    }

    async fn delete_custom_field(&self, org: OrganizationId, id: CustomFieldId) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        let deleted =
            sqlx::query("DELETE FROM custom_fields WHERE organization_id = $1 AND id = $2")
                .bind(org.to_string())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        // The foreign key cascades too; said here so no value outlives its
        // field whatever the connection's settings.
        sqlx::query("DELETE FROM custom_field_values WHERE field_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn custom_values(
        &self,
        org: OrganizationId,
        scope: CustomFieldScope,
        target: uuid::Uuid,
    ) -> StoreResult<Vec<(CustomField, Option<String>)>> {
        let table = target_table(scope);
        let owned: Option<String> = sqlx::query_scalar(&format!(
            "SELECT id FROM {table} WHERE organization_id = $1 AND id = $2"
        ))
        .bind(org.to_string())
        .bind(target.to_string())
        .fetch_optional(&self.read)
        .await?;
        if owned.is_none() {
            return Err(StoreError::NotFound);
        }
        let rows: Vec<(
            String,
            String,
            String,
            String,
            String,
            String,
            Option<String>,
            i64,
            Option<String>,
        )> = sqlx::query_as(&format!(
            "SELECT {FIELD_COLUMNS}, v.value FROM custom_fields f \
                 LEFT JOIN custom_field_values v ON v.field_id = f.id AND v.target_id = $3 \
                 WHERE f.organization_id = $1 AND f.scope = $2 ORDER BY {FIELD_ORDER}"
        ))
        .bind(org.to_string())
        .bind(scope.as_str())
        .bind(target.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(
                |(id, org, scope, key, name, kind, choices, created_at, value)| {
                    let field = into_field((id, org, scope, key, name, kind, choices, created_at))?;
                    Ok((field, value))
                },
            )
            .collect()
    }

    async fn set_custom_values(
        &self,
        org: OrganizationId,
        scope: CustomFieldScope,
        target: uuid::Uuid,
        values: &[(CustomFieldId, Option<String>)],
    ) -> StoreResult<()> {
        let table = target_table(scope);
        let org_text = org.to_string();
        let target_text = target.to_string();
        let mut tx = self.write.begin().await?;
        let owned: Option<String> = sqlx::query_scalar(&format!(
            "SELECT id FROM {table} WHERE organization_id = $1 AND id = $2"
        ))
        .bind(&org_text)
        .bind(&target_text)
        .fetch_optional(&mut *tx)
        .await?;
        if owned.is_none() {
            return Err(StoreError::NotFound);
        }
        for (field_id, value) in values {
            // Taking the field's row orders this write with a change of its
            // choices (see `update_custom_field`).
            let locked = sqlx::query(
                "UPDATE custom_fields SET name = name WHERE organization_id = $1 AND id = $2 AND scope = $3",
            )
            .bind(&org_text)
            .bind(field_id.to_string())
            .bind(scope.as_str())
            .execute(&mut *tx)
            .await?;
            if locked.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            let Some(value) = value else {
                sqlx::query(
                    "DELETE FROM custom_field_values WHERE field_id = $1 AND target_id = $2",
                )
                .bind(field_id.to_string())
                .bind(&target_text)
                .execute(&mut *tx)
                .await?;
                continue;
            };
            let (key, kind, choices): (String, String, Option<String>) =
                sqlx::query_as("SELECT key, kind, choices FROM custom_fields WHERE id = $1")
                    .bind(field_id.to_string())
                    .fetch_one(&mut *tx)
                    .await?;
            if kind == CustomFieldKind::Choice.as_str() {
                let choices: Vec<String> = choices
                    .map(|text| from_json(&text, "custom_fields.choices"))
                    .transpose()?
                    .unwrap_or_default();
                if !choices.contains(value) {
                    return Err(StoreError::Conflict(format!(
                        "{key}: {value:?} is no longer one of the field's choices"
                    )));
                }
            }
            sqlx::query(
                "INSERT INTO custom_field_values (organization_id, field_id, target_id, value) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (field_id, target_id) DO UPDATE SET value = excluded.value",
            )
            .bind(&org_text)
            .bind(field_id.to_string())
            .bind(&target_text)
            .bind(value.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn agent_custom_values(
        &self,
        org: OrganizationId,
        agents: &[AgentId],
        keys: &[String],
    ) -> StoreResult<Vec<AgentCustomValue>> {
        let mut found = Vec::new();
        if keys.is_empty() {
            return Ok(found);
        }
        let key_binds = (2..keys.len() + 2)
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        for chunk in agents.chunks(AGENT_CHUNK) {
            let first = keys.len() + 2;
            let agent_binds = (first..first + chunk.len())
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT a.id, f.key, f.scope, v.value FROM agents a \
                 JOIN custom_fields f ON f.organization_id = a.organization_id \
                 JOIN custom_field_values v ON v.field_id = f.id AND v.target_id = CASE f.scope \
                   WHEN 'agent' THEN a.id WHEN 'site' THEN a.site_id ELSE a.client_id END \
                 WHERE a.organization_id = $1 AND f.key IN ({key_binds}) AND a.id IN ({agent_binds})"
            );
            let mut query =
                sqlx::query_as::<DB, (String, String, String, String)>(&sql).bind(org.to_string());
            for key in keys {
                query = query.bind(key.as_str());
            }
            for agent in chunk {
                query = query.bind(agent.to_string());
            }
            for (agent, key, scope, value) in query.fetch_all(&self.read).await? {
                found.push(AgentCustomValue {
                    agent_id: parse_id(&agent)?,
                    key,
                    scope: CustomFieldScope::parse(&scope)
                        .ok_or_else(|| corrupt(format!("unknown custom field scope {scope}")))?,
                    value,
                });
            }
        }
        Ok(found)
    }
}
