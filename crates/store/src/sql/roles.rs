//! The SQL of [`crate::RoleStore`].

use super::rows::{from_json, to_json};
use super::*;
use crate::roles::*;
use crate::{Permission, RoleStore, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::Utc;
use gururmm_protocol::{OrganizationId, RoleId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

/// The roles' columns with the users and pending invitations holding them;
/// `{now}` is replaced by the current time in milliseconds (a number the
/// server makes, never input).
const ROLE_SELECT: &str = "SELECT r.id, r.organization_id, r.name, r.description, r.permissions, \
     r.created_at, r.updated_at, \
     (SELECT COUNT(*) FROM users u WHERE u.custom_role_id = r.id), \
     (SELECT COUNT(*) FROM invitations i WHERE i.custom_role_id = r.id \
      AND i.used_at IS NULL AND i.expires_at > {now}) \
     FROM roles r";

fn role_select() -> String {
    ROLE_SELECT.replace("{now}", &millis(Utc::now()).to_string())
}

type RoleRow = (String, String, String, String, String, i64, i64, i64, i64);

fn into_role(row: RoleRow) -> StoreResult<CustomRole> {
    let (id, org, name, description, permissions, created, updated, users, invitations) = row;
    Ok(CustomRole {
        id: parse_id(&id)?,
        organization_id: parse_id(&org)?,
        name,
        description,
        permissions: parse_permissions(&permissions)?,
        created_at: from_millis(created),
        updated_at: from_millis(updated),
        user_count: users,
        invitation_count: invitations,
    })
}

/// A permissions column (a JSON list of names; unknown names are dropped, so a
/// permission removed from the server grants nothing).
pub(crate) fn parse_permissions(text: &str) -> StoreResult<crate::PermissionSet> {
    let names: Vec<String> = from_json(text, "roles.permissions")?;
    Ok(names.iter().filter_map(|n| Permission::parse(n)).collect())
}

fn permissions_column(fields: &RoleFields) -> StoreResult<String> {
    let names: Vec<&str> = fields.permissions.iter().map(Permission::as_str).collect();
    to_json(&names)
}

const NAME_TAKEN: &str = "another role is named so";

#[async_trait]
impl<DB: SqlDatabase> RoleStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn create_role(
        &self,
        org: OrganizationId,
        fields: RoleFields,
    ) -> StoreResult<CustomRole> {
        let id = RoleId::new();
        let now = millis(Utc::now());
        sqlx::query(
            "INSERT INTO roles (id, organization_id, name, description, permissions, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(&fields.name)
        .bind(&fields.description)
        .bind(permissions_column(&fields)?)
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(|e| unique_violation_to_conflict(e, NAME_TAKEN))?;
        self.role_on(&self.write, org, id).await
    }

    async fn list_roles(&self, org: OrganizationId) -> StoreResult<Vec<CustomRole>> {
        let rows: Vec<RoleRow> = sqlx::query_as(&format!(
            "{} WHERE r.organization_id = $1 ORDER BY LOWER(r.name), r.id",
            role_select()
        ))
        .bind(org.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(into_role).collect()
    }

    async fn get_role(&self, org: OrganizationId, id: RoleId) -> StoreResult<CustomRole> {
        self.role_on(&self.read, org, id).await
    }

    async fn update_role(
        &self,
        org: OrganizationId,
        id: RoleId,
        fields: RoleFields,
    ) -> StoreResult<CustomRole> {
        let updated = sqlx::query(
            "UPDATE roles SET name = $1, description = $2, permissions = $3, updated_at = $4 \
             WHERE organization_id = $5 AND id = $6",
        )
        .bind(&fields.name)
        .bind(&fields.description)
        .bind(permissions_column(&fields)?)
        .bind(millis(Utc::now()))
        .bind(org.to_string())
        .bind(id.to_string())
        .execute(&self.write)
        .await
        .map_err(|e| unique_violation_to_conflict(e, NAME_TAKEN))?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        self.role_on(&self.write, org, id).await
    }

    async fn delete_role(&self, org: OrganizationId, id: RoleId) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        let (users, invitations): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM users WHERE custom_role_id = $1), \
             (SELECT COUNT(*) FROM invitations WHERE custom_role_id = $1 \
              AND used_at IS NULL AND expires_at > $2)",
        )
        .bind(id.to_string())
        .bind(millis(Utc::now()))
        .fetch_one(&mut *tx)
        .await?;
        let exists: Option<(String,)> =
            sqlx::query_as("SELECT id FROM roles WHERE organization_id = $1 AND id = $2")
                .bind(org.to_string())
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        if users > 0 || invitations > 0 {
            return Err(StoreError::Conflict(format!(
                "the role is held by {users} user(s) and {invitations} pending invitation(s); give them another role first"
            )));
        }
        // Used and expired links that named it go with it.
        sqlx::query("DELETE FROM invitations WHERE custom_role_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM roles WHERE organization_id = $1 AND id = $2")
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl<DB: SqlDatabase> SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn role_on(
        &self,
        pool: &sqlx::Pool<DB>,
        org: OrganizationId,
        id: RoleId,
    ) -> StoreResult<CustomRole> {
        let row: Option<RoleRow> = sqlx::query_as(&format!(
            "{} WHERE r.organization_id = $1 AND r.id = $2",
            role_select()
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(pool)
        .await?;
        into_role(row.ok_or(StoreError::NotFound)?)
    }
}
