//! Saved views of the dashboard's lists: a technician's (or the team's)
//! filters, order and columns under a name.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{OrganizationId, SavedViewId, UserId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedView {
    pub id: SavedViewId,
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    /// The owner's email, for shared views.
    pub owner_email: String,
    /// Which list (`agents`).
    pub list: String,
    pub name: String,
    /// The list's filters and order, as its URL query (`status=offline&sort=cpu`).
    pub query: String,
    /// The columns shown, in order; `None` keeps the viewer's own.
    pub columns: Option<Vec<String>>,
    pub shared: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewSavedView {
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    pub list: String,
    pub name: String,
    pub query: String,
    pub columns: Option<Vec<String>>,
    pub shared: bool,
}

#[async_trait]
pub trait SavedViewStore {
    /// [`crate::StoreError::Conflict`] when the user already has a view of
    /// that list with the name (without regard to case), or `max_per_user`.
    async fn create_saved_view(
        &self,
        view: NewSavedView,
        max_per_user: i64,
    ) -> StoreResult<SavedView>;
    /// The user's own views of the list and those shared in the
    /// organization, by name.
    async fn list_saved_views(
        &self,
        org: OrganizationId,
        user: UserId,
        list: &str,
    ) -> StoreResult<Vec<SavedView>>;
    /// A view the user may see (their own, or shared).
    async fn get_saved_view(
        &self,
        org: OrganizationId,
        user: UserId,
        id: SavedViewId,
    ) -> StoreResult<SavedView>;
    async fn delete_saved_view(&self, org: OrganizationId, id: SavedViewId) -> StoreResult<()>;
}
