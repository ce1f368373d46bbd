//! The SQL of [`crate::WebauthnStore`].

use super::*;
use crate::webauthn::*;
use crate::{StoreError, StoreResult, WebauthnStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::UserId;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

type CredentialRow = (String, String, String, String, String, i64, Option<i64>);

fn into_credential(row: CredentialRow) -> StoreResult<WebauthnCredential> {
    let (id, user, credential_id, name, passkey, created, used) = row;
    Ok(WebauthnCredential {
        id: parse_id(&id)?,
        user_id: parse_id(&user)?,
        credential_id,
        name,
        passkey,
        created_at: from_millis(created),
        last_used_at: used.map(from_millis),
    })
}

#[async_trait]
impl<DB: SqlDatabase> WebauthnStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn list_webauthn_credentials(
        &self,
        user: UserId,
    ) -> StoreResult<Vec<WebauthnCredential>> {
        let rows: Vec<CredentialRow> = sqlx::query_as(
            "SELECT id, user_id, credential_id, name, passkey, created_at, last_used_at \
             FROM webauthn_credentials WHERE user_id = $1 ORDER BY created_at, id",
        )
        .bind(user.to_string())
        .fetch_all(&self.write)
        .await?;
        rows.into_iter().map(into_credential).collect()
    }

    async fn add_webauthn_credential(&self, credential: WebauthnCredential) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO webauthn_credentials (id, user_id, credential_id, name, passkey, \
             created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)",
        )
        .bind(credential.id.to_string())
        .bind(credential.user_id.to_string())
        .bind(&credential.credential_id)
        .bind(&credential.name)
        .bind(&credential.passkey)
        .bind(millis(credential.created_at))
        .execute(&self.write)
        .await
        .map_err(|error| {
            match unique_violation_to_conflict(error, "the key is registered already") {
                StoreError::Database(error) => missing_reference_to_not_found(error),
                other => other,
            }
        })?;
        Ok(())
    }

    async fn use_webauthn_credential(
        &self,
        user: UserId,
        credential_id: &str,
        passkey: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE webauthn_credentials SET passkey = $1, last_used_at = $2 \
             WHERE user_id = $3 AND credential_id = $4",
        )
        .bind(passkey)
        .bind(millis(at))
        .bind(user.to_string())
        .bind(credential_id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn delete_webauthn_credential(&self, user: UserId, id: uuid::Uuid) -> StoreResult<()> {
        let deleted =
            sqlx::query("DELETE FROM webauthn_credentials WHERE user_id = $1 AND id = $2")
                .bind(user.to_string())
                .bind(id.to_string())
                .execute(&self.write)
                .await?
                .rows_affected();
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_webauthn_credentials(&self, user: UserId) -> StoreResult<u64> {
        Ok(
            sqlx::query("DELETE FROM webauthn_credentials WHERE user_id = $1")
                .bind(user.to_string())
                .execute(&self.write)
                .await?
                .rows_affected(),
        )
    }

    async fn put_webauthn_challenge(
        &self,
        id: uuid::Uuid,
        challenge: WebauthnChallenge,
    ) -> StoreResult<()> {
        sqlx::query("DELETE FROM webauthn_challenges WHERE expires_at < $1")
            .bind(millis(Utc::now()))
            .execute(&self.write)
            .await?;
        sqlx::query(
            "INSERT INTO webauthn_challenges (id, user_id, purpose, name, state_sealed, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(challenge.user_id.to_string())
        .bind(&challenge.purpose)
        .bind(challenge.name.clone())
        .bind(&challenge.state_sealed)
        .bind(millis(challenge.expires_at))
        .execute(&self.write)
        .await
        .map_err(missing_reference_to_not_found)?;
        Ok(())
    }

    async fn take_webauthn_challenge(
        &self,
        id: uuid::Uuid,
        user: UserId,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<WebauthnChallenge>> {
        let row: Option<(Option<String>, String, i64)> = sqlx::query_as(
            "DELETE FROM webauthn_challenges WHERE id = $1 AND user_id = $2 AND purpose = $3 \
             RETURNING name, state_sealed, expires_at",
        )
        .bind(id.to_string())
        .bind(user.to_string())
        .bind(purpose)
        .fetch_optional(&self.write)
        .await?;
        Ok(row.filter(|(_, _, expires)| *expires >= millis(now)).map(
            |(name, state_sealed, expires)| WebauthnChallenge {
                user_id: user,
                purpose: purpose.to_owned(),
                name,
                state_sealed,
                expires_at: from_millis(expires),
            },
        ))
    }
}
