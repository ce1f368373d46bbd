//! The SQL of [`crate::UserStore`].

use super::rows::*;
use super::*;
use crate::model::*;
use crate::{StoreError, StoreResult, UserStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{OrganizationId, UserId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const USER_SELECT: &str =
    "SELECT u.id, u.organization_id, o.name AS organization_name, u.email, u.role, \
     u.created_at, u.password_hash FROM users u JOIN organizations o ON o.id = u.organization_id";

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
        };
        sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(org.id.to_string())
            .bind(&org.name)
            .bind(millis(org.created_at))
            .execute(&self.write)
            .await?;
        Ok(org)
    }

    async fn count_users(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.read)
            .await?)
    }

    async fn create_user(&self, user: NewUser) -> StoreResult<User> {
        let id = UserId::new();
        sqlx::query(
            "INSERT INTO users (id, organization_id, email, password_hash, role, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(user.organization_id.to_string())
        .bind(user.email.to_lowercase())
        .bind(&user.password_hash)
        .bind(user.role.as_str())
        .bind(millis(Utc::now()))
        .execute(&self.write)
        .await
        .map_err(|e| unique_violation_to_conflict(e, "a user with this email already exists"))?;
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
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user.to_string())
            .bind(millis(Utc::now()))
            .bind(millis(expires_at))
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn find_session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "{USER_SELECT} JOIN sessions se ON se.user_id = u.id WHERE se.token_hash = $1 AND se.expires_at > $2"
        ))
        .bind(token_hash)
        .bind(millis(now))
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(UserRow::into_user).transpose()?.map(|u| u.user))
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
}
