//! The SQL of [`crate::InvitationStore`].

use super::rows::{client_scope, client_scope_column, custom_role_ref};
use super::*;
use crate::invitations::*;
use crate::model::{Role, User};
use crate::{InvitationStore, StoreError, StoreResult, UserStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{InvitationId, OrganizationId, UserId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const INVITATION_SELECT: &str =
    "SELECT i.id, i.organization_id, o.name, i.kind, i.email, i.role, i.user_id, \
     i.created_by_email, i.created_at, i.expires_at, r.id, r.name, i.client_ids \
     FROM invitations i JOIN organizations o ON o.id = i.organization_id \
     LEFT JOIN roles r ON r.id = i.custom_role_id";

type InvitationRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn into_invitation(row: InvitationRow) -> StoreResult<Invitation> {
    let (
        id,
        org,
        org_name,
        kind,
        email,
        role,
        user,
        created_by,
        created_at,
        expires_at,
        role_id,
        role_name,
        client_ids,
    ) = row;
    Ok(Invitation {
        id: parse_id(&id)?,
        organization_id: parse_id(&org)?,
        organization_name: org_name,
        kind: InvitationKind::parse(&kind)
            .ok_or_else(|| corrupt(format!("unknown invitation kind {kind}")))?,
        email,
        role: Role::parse_stored(&role).ok_or_else(|| corrupt(format!("unknown role {role}")))?,
        custom_role: custom_role_ref(role_id, role_name)?,
        clients: client_scope(client_ids.as_deref())?,
        user_id: user.as_deref().map(parse_id).transpose()?,
        created_by_email: created_by,
        created_at: from_millis(created_at),
        expires_at: from_millis(expires_at),
    })
}

#[async_trait]
impl<DB: SqlDatabase> InvitationStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    Self: UserStore,
{
    async fn create_invitation(&self, new: NewInvitation) -> StoreResult<Invitation> {
        let id = InvitationId::new();
        let mut tx = self.write.begin().await?;
        // One open link per email and kind: a new one replaces the earlier.
        sqlx::query(
            "DELETE FROM invitations WHERE organization_id = $1 AND kind = $2 AND email = $3 \
             AND used_at IS NULL",
        )
        .bind(new.organization_id.to_string())
        .bind(new.kind.as_str())
        .bind(new.email.to_lowercase())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO invitations (id, organization_id, kind, token_hash, email, role, user_id, \
             created_by_email, created_at, expires_at, custom_role_id, client_ids) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(id.to_string())
        .bind(new.organization_id.to_string())
        .bind(new.kind.as_str())
        .bind(&new.token_hash)
        .bind(new.email.to_lowercase())
        .bind(new.role.as_str())
        .bind(new.user_id.map(|u| u.to_string()))
        .bind(&new.created_by_email)
        .bind(millis(Utc::now()))
        .bind(millis(new.expires_at))
        .bind(new.custom_role.map(|r| r.to_string()))
        .bind(client_scope_column(new.clients.as_deref())?)
        .execute(&mut *tx)
        .await
        .map_err(missing_reference_to_not_found)?;
        tx.commit().await?;
        let row: InvitationRow = sqlx::query_as(&format!("{INVITATION_SELECT} WHERE i.id = $1"))
            .bind(id.to_string())
            .fetch_one(&self.write)
            .await?;
        into_invitation(row)
    }

    async fn list_invitations(
        &self,
        org: OrganizationId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Invitation>> {
        let rows: Vec<InvitationRow> = sqlx::query_as(&format!(
            "{INVITATION_SELECT} WHERE i.organization_id = $1 AND i.kind = 'invitation' \
             AND i.used_at IS NULL AND i.expires_at > $2 ORDER BY i.created_at DESC, i.id"
        ))
        .bind(org.to_string())
        .bind(millis(now))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(into_invitation).collect()
    }

    async fn delete_invitation(&self, org: OrganizationId, id: InvitationId) -> StoreResult<()> {
        let deleted = sqlx::query(
            "DELETE FROM invitations WHERE organization_id = $1 AND id = $2 AND used_at IS NULL",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .execute(&self.write)
        .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn find_invitation(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Invitation>> {
        let row: Option<InvitationRow> = sqlx::query_as(&format!(
            "{INVITATION_SELECT} WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2"
        ))
        .bind(token_hash)
        .bind(millis(now))
        .fetch_optional(&self.read)
        .await?;
        row.map(into_invitation).transpose()
    }

    async fn redeem_invitation(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<User> {
        let mut tx = self.write.begin().await?;
        // Marking it used first takes the row: a second redemption finds it used.
        let claimed = sqlx::query(
            "UPDATE invitations SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL \
             AND expires_at > $1",
        )
        .bind(millis(now))
        .bind(token_hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            return Err(StoreError::NotFound);
        }
        let row: InvitationRow =
            sqlx::query_as(&format!("{INVITATION_SELECT} WHERE i.token_hash = $1"))
                .bind(token_hash)
                .fetch_one(&mut *tx)
                .await?;
        let invitation = into_invitation(row)?;
        let user_id = match invitation.kind {
            InvitationKind::Invitation => {
                let id = UserId::new();
                sqlx::query(
                    "INSERT INTO users (id, organization_id, email, password_hash, role, created_at, \
                     custom_role_id, client_ids) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(id.to_string())
                .bind(invitation.organization_id.to_string())
                .bind(&invitation.email)
                .bind(password_hash)
                .bind(invitation.role.as_str())
                .bind(millis(now))
                .bind(invitation.custom_role.as_ref().map(|r| r.id.to_string()))
                .bind(client_scope_column(invitation.clients.as_deref())?)
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_violation_to_conflict(e, "this email already has an account; sign in with it"))?;
                id
            }
            InvitationKind::PasswordReset => {
                let id = invitation.user_id.ok_or(StoreError::NotFound)?;
                let updated = sqlx::query(
                    "UPDATE users SET password_hash = $1 WHERE id = $2 AND organization_id = $3",
                )
                .bind(password_hash)
                .bind(id.to_string())
                .bind(invitation.organization_id.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    return Err(StoreError::NotFound);
                }
                super::users::end_sessions(&mut tx, id).await?;
                id
            }
        };
        tx.commit().await?;
        Ok(self.get_user(user_id).await?.user)
    }
}
