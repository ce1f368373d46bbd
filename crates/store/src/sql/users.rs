//! The SQL of [`crate::UserStore`].

use super::rows::*;
use super::*;
use crate::model::*;
use crate::{StoreError, StoreResult, UserStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{ClientId, OrganizationId, RoleId, UserId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const USER_SELECT: &str =
    "SELECT u.id, u.organization_id, o.name AS organization_name, u.email, u.role, \
     u.created_at, u.last_sign_in_at, u.disabled_at, COALESCE(u.totp_enabled_at, (SELECT MIN(w.created_at) FROM \
     webauthn_credentials w WHERE w.user_id = u.id)) AS second_factor_since, o.require_second_factor, \
     u.password_hash, r.id AS custom_role_id, r.name AS custom_role_name, \
     r.permissions AS custom_role_permissions, u.client_ids, u.operator, \
     o.suspended_at AS organization_suspended_at \
     FROM users u JOIN organizations o ON o.id = u.organization_id \
     LEFT JOIN roles r ON r.id = u.custom_role_id";

/// A session's user with what the session says of support access.
#[derive(sqlx::FromRow)]
struct SessionUserRow {
    #[sqlx(flatten)]
    user: UserRow,
    support_organization_id: Option<String>,
    support_reason: Option<String>,
    session_expires_at: i64,
}

/// How many hex digits of a session token's hash name the session.
const SESSION_ID_DIGITS: usize = 16;

#[async_trait]
impl<DB: SqlDatabase> UserStore for SqlStore<DB>
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
    async fn create_organization(&self, name: &str) -> StoreResult<Organization> {
        let org = Organization {
            id: OrganizationId::new(),
            name: name.to_string(),
            created_at: Utc::now(),
            require_second_factor: false,
            suspended_at: None,
        };
        sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(org.id.to_string())
            .bind(&org.name)
            .bind(millis(org.created_at))
            .execute(&self.write)
            .await?;
        Ok(org)
    }

    async fn list_organizations(&self) -> StoreResult<Vec<Organization>> {
        let rows: Vec<(String, String, i64, bool, Option<i64>)> = sqlx::query_as(
            "SELECT id, name, created_at, require_second_factor, suspended_at FROM organizations ORDER BY LOWER(name), id",
        )
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(into_organization).collect()
    }

    async fn organization_sizes(
        &self,
    ) -> StoreResult<std::collections::HashMap<OrganizationId, crate::OrganizationSize>> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT o.id, \
             (SELECT COUNT(*) FROM users u WHERE u.organization_id = o.id), \
             (SELECT COUNT(*) FROM agents a WHERE a.organization_id = o.id) \
             FROM organizations o",
        )
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(id, users, agents)| {
                Ok((parse_id(&id)?, crate::OrganizationSize { users, agents }))
            })
            .collect()
    }

    async fn get_organization(&self, id: OrganizationId) -> StoreResult<Organization> {
        let row: Option<(String, String, i64, bool, Option<i64>)> = sqlx::query_as(
            "SELECT id, name, created_at, require_second_factor, suspended_at FROM organizations WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        into_organization(row.ok_or(StoreError::NotFound)?)
    }

    async fn set_organization_suspended(
        &self,
        id: OrganizationId,
        at: Option<DateTime<Utc>>,
    ) -> StoreResult<Organization> {
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query("UPDATE organizations SET suspended_at = $1 WHERE id = $2")
            .bind(at.map(millis))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        if at.is_some() {
            sqlx::query(
                "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE organization_id = $1)",
            )
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.get_organization(id).await
    }

    async fn set_user_operator(&self, id: UserId, operator: bool) -> StoreResult<()> {
        let updated = sqlx::query("UPDATE users SET operator = $1 WHERE id = $2")
            .bind(operator)
            .bind(id.to_string())
            .execute(&self.write)
            .await?
            .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn update_organization(
        &self,
        id: OrganizationId,
        name: &str,
        require_second_factor: bool,
    ) -> StoreResult<Organization> {
        let updated = sqlx::query(
            "UPDATE organizations SET name = $1, require_second_factor = $2 WHERE id = $3",
        )
        .bind(name)
        .bind(require_second_factor)
        .bind(id.to_string())
        .execute(&self.write)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        self.get_organization(id).await
    }

    async fn count_users(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.read)
            .await?)
    }

    async fn create_user(&self, user: NewUser) -> StoreResult<User> {
        let id = UserId::new();
        sqlx::query(
            "INSERT INTO users (id, organization_id, email, password_hash, role, created_at, custom_role_id, \
             client_ids) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.to_string())
        .bind(user.organization_id.to_string())
        .bind(user.email.to_lowercase())
        .bind(&user.password_hash)
        .bind(user.role.as_str())
        .bind(millis(Utc::now()))
        .bind(user.custom_role.map(|r| r.to_string()))
        .bind(client_scope_column(user.clients.as_deref())?)
        .execute(&self.write)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(ref db) if db.is_foreign_key_violation() => StoreError::NotFound,
            e => unique_violation_to_conflict(e, "a user with this email already exists"),
        })?;
        Ok(self.get_user(id).await?.user)
    }

    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<UserWithPassword>> {
        let row: Option<UserRow> = sqlx::query_as(&format!("{USER_SELECT} WHERE u.email = $1"))
            .bind(email.trim().to_lowercase())
            .fetch_optional(&self.read)
            .await?;
        row.map(UserRow::into_user).transpose()
    }

    async fn get_user(&self, id: UserId) -> StoreResult<UserWithPassword> {
        let row: Option<UserRow> = sqlx::query_as(&format!("{USER_SELECT} WHERE u.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await?;
        row.ok_or(StoreError::NotFound)?.into_user()
    }

    async fn set_user_password(&self, id: UserId, password_hash: &str) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        end_sessions(&mut tx, id).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
        origin: &SessionOrigin,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, ip, user_agent) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(user.to_string())
        .bind(millis(Utc::now()))
        .bind(millis(expires_at))
        .bind(origin.ip.as_deref())
        .bind(origin.user_agent.as_deref())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn create_support_session(
        &self,
        token_hash: &str,
        user: UserId,
        org: OrganizationId,
        reason: &str,
        expires_at: DateTime<Utc>,
        origin: &SessionOrigin,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, ip, user_agent, \
             support_organization_id, support_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(token_hash)
        .bind(user.to_string())
        .bind(millis(Utc::now()))
        .bind(millis(expires_at))
        .bind(origin.ip.as_deref())
        .bind(origin.user_agent.as_deref())
        .bind(org.to_string())
        .bind(reason)
        .execute(&self.write)
        .await
        .map_err(missing_reference_to_not_found)?;
        Ok(())
    }

    async fn find_session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<User>> {
        let row: Option<SessionUserRow> = sqlx::query_as(&format!(
            "SELECT x.*, se.support_organization_id, se.support_reason, se.expires_at AS session_expires_at \
             FROM ({USER_SELECT}) x JOIN sessions se ON se.user_id = x.id \
             WHERE se.token_hash = $1 AND se.expires_at > $2"
        ))
        .bind(token_hash)
        .bind(millis(now))
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut user = row.user.into_user()?.user;
        if user.disabled_at.is_some() {
            return Ok(None);
        }
        if let Some(org) = row.support_organization_id {
            // Support: the operator acts in the organization supported, with
            // the support set, as long as the session lasts.
            let supported = self.get_organization(parse_id(&org)?).await?;
            user.support = Some(SupportAccess {
                home_organization_id: user.organization_id,
                home_organization_name: user.organization_name.clone(),
                reason: row.support_reason.unwrap_or_default(),
                expires_at: from_millis(row.session_expires_at),
            });
            user.organization_id = supported.id;
            user.organization_name = supported.name;
            user.organization_suspended = supported.suspended_at.is_some();
            user.role = Role::Admin;
            user.custom_role = None;
            user.clients = None;
            user.operator = false;
            user.must_set_up_second_factor = false;
            user.permissions = crate::support_permissions();
        }
        Ok(Some(user))
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(millis(now))
            .execute(&self.write)
            .await?;
        Ok(result.rows_affected())
    }

    async fn list_users(&self, org: OrganizationId) -> StoreResult<Vec<User>> {
        let rows: Vec<UserRow> = sqlx::query_as(&format!(
            "{USER_SELECT} WHERE u.organization_id = $1 ORDER BY u.email"
        ))
        .bind(org.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|row| row.into_user().map(|u| u.user))
            .collect()
    }

    async fn get_org_user(&self, org: OrganizationId, id: UserId) -> StoreResult<User> {
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "{USER_SELECT} WHERE u.organization_id = $1 AND u.id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        Ok(row.ok_or(StoreError::NotFound)?.into_user()?.user)
    }

    async fn count_active_owners(&self, org: OrganizationId) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE organization_id = $1 AND role = 'owner' AND disabled_at IS NULL",
        )
        .bind(org.to_string())
        .fetch_one(&self.read)
        .await?)
    }

    async fn set_user_access(
        &self,
        org: OrganizationId,
        id: UserId,
        role: Role,
        custom_role: Option<RoleId>,
        clients: Option<&[ClientId]>,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        // A custom role must be one of the user's organization.
        let updated = sqlx::query(
            "UPDATE users SET role = $1, custom_role_id = $2, client_ids = $5 \
             WHERE organization_id = $3 AND id = $4 \
             AND ($2 IS NULL OR EXISTS (SELECT 1 FROM roles r WHERE r.id = $2 AND r.organization_id = $3))",
        )
        .bind(role.as_str())
        .bind(custom_role.map(|r| r.to_string()))
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(client_scope_column(clients)?)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        end_sessions(&mut tx, id).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_user_disabled(
        &self,
        org: OrganizationId,
        id: UserId,
        disabled_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        let updated =
            sqlx::query("UPDATE users SET disabled_at = $1 WHERE organization_id = $2 AND id = $3")
                .bind(disabled_at.map(millis))
                .bind(org.to_string())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        if disabled_at.is_some() {
            end_sessions(&mut tx, id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn delete_user(&self, org: OrganizationId, id: UserId) -> StoreResult<()> {
        // Sessions and saved views go with the user (ON DELETE CASCADE); the
        // history tables keep the user's email as text.
        let deleted = sqlx::query("DELETE FROM users WHERE organization_id = $1 AND id = $2")
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(&self.write)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn record_sign_in(&self, id: UserId, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE users SET last_sign_in_at = $1 WHERE id = $2")
            .bind(millis(at))
            .bind(id.to_string())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn list_user_sessions(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<SessionInfo>> {
        let rows: Vec<(String, i64, i64, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT token_hash, created_at, expires_at, ip, user_agent FROM sessions \
             WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, token_hash",
        )
        .bind(user.to_string())
        .bind(millis(now))
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(hash, created_at, expires_at, ip, user_agent)| SessionInfo {
                    id: session_id(&hash),
                    created_at: from_millis(created_at),
                    expires_at: from_millis(expires_at),
                    ip,
                    user_agent,
                },
            )
            .collect())
    }

    async fn delete_user_session(&self, user: UserId, id: &str) -> StoreResult<String> {
        if id.len() != SESSION_ID_DIGITS || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::NotFound);
        }
        let hashes: Vec<String> =
            sqlx::query_scalar("SELECT token_hash FROM sessions WHERE user_id = $1")
                .bind(user.to_string())
                .fetch_all(&self.read)
                .await?;
        let hash = hashes
            .into_iter()
            .find(|hash| session_id(hash) == id.to_ascii_lowercase())
            .ok_or(StoreError::NotFound)?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash = $2")
            .bind(user.to_string())
            .bind(&hash)
            .execute(&self.write)
            .await?;
        Ok(hash)
    }

    async fn delete_other_sessions(&self, user: UserId, keep: &str) -> StoreResult<Vec<String>> {
        let hashes: Vec<String> = sqlx::query_scalar(
            "SELECT token_hash FROM sessions WHERE user_id = $1 AND token_hash <> $2",
        )
        .bind(user.to_string())
        .bind(keep)
        .fetch_all(&self.read)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user.to_string())
            .bind(keep)
            .execute(&self.write)
            .await?;
        Ok(hashes)
    }
}

fn into_organization(row: (String, String, i64, bool, Option<i64>)) -> StoreResult<Organization> {
    let (id, name, created_at, require_second_factor, suspended_at) = row;
    Ok(Organization {
        id: parse_id(&id)?,
        name,
        created_at: from_millis(created_at),
        require_second_factor,
        suspended_at: suspended_at.map(from_millis),
    })
}

/// Ends every session of `user` within the caller's transaction (a change to
/// what signs them in, or to what they may do).
pub(crate) async fn end_sessions<DB: SqlDatabase>(
    tx: &mut sqlx::Transaction<'_, DB>,
    user: UserId,
) -> StoreResult<()>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
{
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The name of a session: the start of its token's hash.
fn session_id(token_hash: &str) -> String {
    token_hash.chars().take(SESSION_ID_DIGITS).collect()
}
