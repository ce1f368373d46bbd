//! The SQL of [`crate::SecondFactorStore`].

use super::*;
use crate::second_factor::*;
use crate::{SecondFactorStore, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::UserId;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

#[async_trait]
impl<DB: SqlDatabase> SecondFactorStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn totp_state(&self, user: UserId) -> StoreResult<TotpState> {
        let row: Option<(Option<String>, Option<String>, Option<i64>, i64)> = sqlx::query_as(
            "SELECT totp_pending, totp_secret, totp_enabled_at, \
             (SELECT COUNT(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL) \
             FROM users u WHERE id = $1",
        )
        .bind(user.to_string())
        .fetch_optional(&self.read)
        .await?;
        let (pending, secret, enabled_at, left) = row.ok_or(StoreError::NotFound)?;
        Ok(TotpState {
            pending,
            secret,
            enabled_at: enabled_at.map(from_millis),
            recovery_codes_left: left,
        })
    }

    async fn set_totp_pending(&self, user: UserId, sealed: Option<&str>) -> StoreResult<()> {
        let updated = sqlx::query("UPDATE users SET totp_pending = $1 WHERE id = $2")
            .bind(sealed)
            .bind(user.to_string())
            .execute(&self.write)
            .await?
            .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn enable_totp(
        &self,
        user: UserId,
        sealed: &str,
        recovery_code_hashes: &[String],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query(
            "UPDATE users SET totp_secret = $1, totp_pending = NULL, totp_enabled_at = $2, \
             totp_last_step = NULL WHERE id = $3",
        )
        .bind(sealed)
        .bind(millis(now))
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        for hash in recovery_code_hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user.to_string())
                .bind(hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn disable_totp(&self, user: UserId) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query(
            "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_enabled_at = NULL, \
             totp_last_step = NULL WHERE id = $1",
        )
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn accept_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool> {
        let accepted = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 \
             AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(user.to_string())
        .execute(&self.write)
        .await?
        .rows_affected();
        Ok(accepted == 1)
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let used = sqlx::query(
            "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 \
             AND used_at IS NULL",
        )
        .bind(millis(now))
        .bind(user.to_string())
        .bind(code_hash)
        .execute(&self.write)
        .await?
        .rows_affected();
        Ok(used == 1)
    }
}
