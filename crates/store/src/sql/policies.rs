//! The SQL of [`crate::PolicyStore`].

use super::rows::*;
use super::*;
use crate::policies::*;
use crate::{PolicyStore, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::Utc;
use gururmm_protocol::{AgentId, CheckTemplateId, OrganizationId, PolicyAssignmentId, PolicyId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const POLICY_SELECT: &str =
    "SELECT id, organization_id, name, description, body, created_at, updated_at FROM policies";

const ASSIGNMENT_SELECT: &str =
    "SELECT a.id, a.organization_id, a.policy_id, p.name AS policy_name, \
     a.scope, a.target_id, CASE a.scope \
       WHEN 'client' THEN (SELECT c.name FROM clients c WHERE c.id = a.target_id) \
       WHEN 'site' THEN (SELECT s.name FROM sites s WHERE s.id = a.target_id) \
       WHEN 'agent' THEN (SELECT g.hostname FROM agents g WHERE g.id = a.target_id) \
     END AS target_name, a.block_inheritance, a.created_at, a.created_by_email \
     FROM policy_assignments a JOIN policies p ON p.id = a.policy_id";

const PLACEMENT_SELECT: &str = "SELECT id, organization_id, client_id, site_id FROM agents";

const TEMPLATE_SELECT: &str =
    "SELECT id, organization_id, name, description, definition, created_at, \
     updated_at FROM check_templates";

impl<DB: SqlDatabase> SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> f64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB>,
    for<'q> Option<f64>: Encode<'q, DB>,
    for<'q> Option<bool>: Encode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    /// A template, read on the writer (one just written may not be on a reader yet).
    async fn template_by_id(
        &self,
        org: OrganizationId,
        id: CheckTemplateId,
    ) -> StoreResult<CheckTemplate> {
        let row: Option<TemplateRow> = sqlx::query_as(&format!(
            "{TEMPLATE_SELECT} WHERE organization_id = $1 AND id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.write)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_template()
    }
}

#[async_trait]
impl<DB: SqlDatabase> PolicyStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> f64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB>,
    for<'q> Option<f64>: Encode<'q, DB>,
    for<'q> Option<bool>: Encode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn create_policy(
        &self,
        org: OrganizationId,
        fields: PolicyFields,
    ) -> StoreResult<Policy> {
        let id = PolicyId::new();
        let now = millis(Utc::now());
        sqlx::query(
            "INSERT INTO policies (id, organization_id, name, description, body, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(&fields.name)
        .bind(&fields.description)
        .bind(to_json(&fields.body)?)
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(|e| unique_violation_to_conflict(e, "a policy with this name already exists"))?;
        self.get_policy(org, id).await
    }

    async fn list_policies(&self, org: OrganizationId) -> StoreResult<Vec<Policy>> {
        let rows: Vec<PolicyRow> = sqlx::query_as(&format!(
            "{POLICY_SELECT} WHERE organization_id = $1 ORDER BY name, id"
        ))
        .bind(org.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(PolicyRow::into_policy).collect()
    }

    async fn get_policy(&self, org: OrganizationId, id: PolicyId) -> StoreResult<Policy> {
        let row: Option<PolicyRow> = sqlx::query_as(&format!(
            "{POLICY_SELECT} WHERE organization_id = $1 AND id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_policy()
    }

    async fn update_policy(
        &self,
        org: OrganizationId,
        id: PolicyId,
        fields: PolicyFields,
    ) -> StoreResult<Policy> {
        let updated = sqlx::query(
            "UPDATE policies SET name = $3, description = $4, body = $5, updated_at = $6 \
             WHERE organization_id = $1 AND id = $2",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(&fields.name)
        .bind(&fields.description)
        .bind(to_json(&fields.body)?)
        .bind(millis(Utc::now()))
        .execute(&self.write)
        .await
        .map_err(|e| unique_violation_to_conflict(e, "a policy with this name already exists"))?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.get_policy(org, id).await
    }

    async fn delete_policy(&self, org: OrganizationId, id: PolicyId) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM policy_assignments WHERE organization_id = $1 AND policy_id = $2")
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM policies WHERE organization_id = $1 AND id = $2")
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    async fn create_policy_assignment(
        &self,
        assignment: NewPolicyAssignment,
    ) -> StoreResult<PolicyAssignment> {
        let org = assignment.organization_id.to_string();
        // The policy and the target must both be the organization's.
        let policy: Option<String> =
            sqlx::query_scalar("SELECT id FROM policies WHERE organization_id = $1 AND id = $2")
                .bind(&org)
                .bind(assignment.policy_id.to_string())
                .fetch_optional(&self.read)
                .await?;
        if policy.is_none() {
            return Err(StoreError::NotFound);
        }
        let target = assignment
            .target_id
            .map(|id| id.to_string())
            .unwrap_or_default();
        let owner_table = match assignment.scope {
            PolicyScope::Global => None,
            PolicyScope::Client => Some("clients"),
            PolicyScope::Site => Some("sites"),
            PolicyScope::Agent => Some("agents"),
        };
        match (owner_table, assignment.target_id) {
            (None, None) => {}
            (Some(table), Some(_)) => {
                let owned: Option<String> = sqlx::query_scalar(&format!(
                    "SELECT id FROM {table} WHERE organization_id = $1 AND id = $2"
                ))
                .bind(&org)
                .bind(&target)
                .fetch_optional(&self.read)
                .await?;
                if owned.is_none() {
                    return Err(StoreError::NotFound);
                }
            }
            _ => return Err(StoreError::NotFound),
        }
        let id = PolicyAssignmentId::new();
        sqlx::query(
            "INSERT INTO policy_assignments (id, organization_id, policy_id, scope, target_id, \
             block_inheritance, created_at, created_by_email) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.to_string())
        .bind(&org)
        .bind(assignment.policy_id.to_string())
        .bind(assignment.scope.as_str())
        .bind(&target)
        .bind(assignment.block_inheritance)
        .bind(millis(assignment.created_at))
        .bind(&assignment.created_by_email)
        .execute(&self.write)
        .await
        .map_err(|e| unique_violation_to_conflict(e, "this scope already has a policy; remove that assignment first"))?;
        self.get_policy_assignment(assignment.organization_id, id)
            .await
    }

    async fn list_policy_assignments(
        &self,
        org: OrganizationId,
    ) -> StoreResult<Vec<PolicyAssignment>> {
        let rows: Vec<PolicyAssignmentRow> = sqlx::query_as(&format!(
            "{ASSIGNMENT_SELECT} WHERE a.organization_id = $1 ORDER BY a.created_at, a.id"
        ))
        .bind(org.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(PolicyAssignmentRow::into_assignment)
            .collect()
    }

    async fn get_policy_assignment(
        &self,
        org: OrganizationId,
        id: PolicyAssignmentId,
    ) -> StoreResult<PolicyAssignment> {
        let row: Option<PolicyAssignmentRow> = sqlx::query_as(&format!(
            "{ASSIGNMENT_SELECT} WHERE a.organization_id = $1 AND a.id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_assignment()
    }

    async fn delete_policy_assignment(
        &self,
        org: OrganizationId,
        id: PolicyAssignmentId,
    ) -> StoreResult<()> {
        let deleted =
            sqlx::query("DELETE FROM policy_assignments WHERE organization_id = $1 AND id = $2")
                .bind(org.to_string())
                .bind(id.to_string())
                .execute(&self.write)
                .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn create_check_template(
        &self,
        org: OrganizationId,
        description: &str,
        definition: &CheckDefinition,
    ) -> StoreResult<CheckTemplate> {
        let id = CheckTemplateId::new();
        let now = millis(Utc::now());
        sqlx::query(
            "INSERT INTO check_templates (id, organization_id, name, description, definition, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(definition.name.as_str())
        .bind(description)
        .bind(to_json(definition)?)
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(|e| {
            unique_violation_to_conflict(e, "a check template with this name already exists")
        })?;
        self.template_by_id(org, id).await
    }

    async fn list_check_templates(&self, org: OrganizationId) -> StoreResult<Vec<CheckTemplate>> {
        let rows: Vec<TemplateRow> = sqlx::query_as(&format!(
            "{TEMPLATE_SELECT} WHERE organization_id = $1 ORDER BY name, id"
        ))
        .bind(org.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(TemplateRow::into_template).collect()
    }

    async fn get_check_template(
        &self,
        org: OrganizationId,
        id: CheckTemplateId,
    ) -> StoreResult<CheckTemplate> {
        self.template_by_id(org, id).await
    }

    async fn update_check_template(
        &self,
        org: OrganizationId,
        id: CheckTemplateId,
        description: &str,
        definition: &CheckDefinition,
    ) -> StoreResult<CheckTemplate> {
        let updated = sqlx::query(
            "UPDATE check_templates SET name = $3, description = $4, definition = $5, updated_at = $6 \
             WHERE organization_id = $1 AND id = $2",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(definition.name.as_str())
        .bind(description)
        .bind(to_json(definition)?)
        .bind(millis(Utc::now()))
        .execute(&self.write)
        .await
        .map_err(|e| unique_violation_to_conflict(e, "a check template with this name already exists"))?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.template_by_id(org, id).await
    }

    async fn delete_check_template(
        &self,
        org: OrganizationId,
        id: CheckTemplateId,
    ) -> StoreResult<()> {
        let deleted =
            sqlx::query("DELETE FROM check_templates WHERE organization_id = $1 AND id = $2")
                .bind(org.to_string())
                .bind(id.to_string())
                .execute(&self.write)
                .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn agent_placements(&self, org: OrganizationId) -> StoreResult<Vec<AgentPlacement>> {
        let rows: Vec<PlacementRow> =
            sqlx::query_as(&format!("{PLACEMENT_SELECT} WHERE organization_id = $1"))
                .bind(org.to_string())
                .fetch_all(&self.read)
                .await?;
        rows.into_iter().map(PlacementRow::into_placement).collect()
    }

    async fn agent_placement(
        &self,
        org: OrganizationId,
        agent: AgentId,
    ) -> StoreResult<AgentPlacement> {
        let row: Option<PlacementRow> = sqlx::query_as(&format!(
            "{PLACEMENT_SELECT} WHERE organization_id = $1 AND id = $2"
        ))
        .bind(org.to_string())
        .bind(agent.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_placement()
    }
}
