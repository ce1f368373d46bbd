//! The SQL of [`crate::InstallerLinkStore`].

use super::*;
use crate::installer_links::*;
use crate::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::InstallerLinkId;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const LINK_COLUMNS: &str =
    "id, kind, organization_id, site_id, enrollment_key_id, enrollment_key_sealed, \
     created_by_email, created_at, expires_at";

type LinkRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
);

fn into_link(row: LinkRow) -> StoreResult<InstallerLink> {
    let (id, kind, org, site, key, sealed, created_by, created_at, expires_at) = row;
    Ok(InstallerLink {
        id: parse_id(&id)?,
        kind: InstallerKind::parse(&kind)
            .ok_or_else(|| corrupt(format!("unknown installer link kind {kind:?}")))?,
        organization_id: parse_id(&org)?,
        site_id: parse_id(&site)?,
        enrollment_key_id: parse_id(&key)?,
        enrollment_key_sealed: sealed,
        created_by_email: created_by,
        created_at: from_millis(created_at),
        expires_at: from_millis(expires_at),
    })
}

#[async_trait]
impl<DB: SqlDatabase> InstallerLinkStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn create_installer_link(
        &self,
        link: NewInstallerLink,
        max_per_organization: i64,
    ) -> StoreResult<InstallerLinkCreation> {
        let id = InstallerLinkId::new();
        let org = link.organization_id.to_string();
        let now = millis(link.created_at);
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM installer_links WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        // Takes the organization's row for the rest of the transaction (on
        // PostgreSQL; SQLite has one writer anyway), so two requests cannot
        // both pass the count below before either inserts.
        sqlx::query("UPDATE organizations SET name = name WHERE id = $1")
            .bind(&org)
            .execute(&mut *tx)
            .await?;
        let (count, next_expiry): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(expires_at) FROM installer_links WHERE organization_id = $1",
        )
        .bind(&org)
        .fetch_one(&mut *tx)
        .await?;
        if count >= max_per_organization {
            tx.commit().await?;
            return Ok(InstallerLinkCreation::TooMany {
                next_expiry: from_millis(next_expiry.unwrap_or(now)),
            });
        }
        let row: Option<LinkRow> = sqlx::query_as(&format!(
            "INSERT INTO installer_links (id, organization_id, site_id, enrollment_key_id, token_hash, \
             enrollment_key_sealed, created_by_email, created_at, expires_at, kind) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 \
             WHERE EXISTS (SELECT 1 FROM sites WHERE id = $3 AND organization_id = $2) \
             AND EXISTS (SELECT 1 FROM enrollment_keys WHERE id = $4 AND site_id = $3 \
                         AND organization_id = $2) \
             RETURNING {LINK_COLUMNS}"
        ))
        .bind(id.to_string())
        .bind(&org)
        .bind(link.site_id.to_string())
        .bind(link.enrollment_key_id.to_string())
        .bind(&link.token_hash)
        .bind(&link.enrollment_key_sealed)
        .bind(&link.created_by_email)
        .bind(now)
        .bind(millis(link.expires_at))
        .bind(link.kind.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let created = into_link(row.ok_or(StoreError::NotFound)?)?;
        tx.commit().await?;
        Ok(InstallerLinkCreation::Created(created))
    }

    async fn find_installer_link(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<InstallerLink>> {
        // A read by an unknown token writes nothing (anyone may try one);
        // a link found expired is deleted (the others go when links are made).
        let row: Option<LinkRow> = sqlx::query_as(&format!(
            "SELECT {LINK_COLUMNS} FROM installer_links WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?;
        let Some(link) = row.map(into_link).transpose()? else {
            return Ok(None);
        };
        if link.expires_at > now {
            return Ok(Some(link));
        }
        sqlx::query("DELETE FROM installer_links WHERE id = $1")
            .bind(link.id.to_string())
            .execute(&self.write)
            .await?;
        Ok(None)
    }
}
