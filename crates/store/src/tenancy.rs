//! An organization's clients and their sites.

use crate::model::*;
use crate::StoreResult;
use async_trait::async_trait;
use gururmm_protocol::{ClientId, OrganizationId, SiteId};

/// An organization's clients and their sites.
#[async_trait]
pub trait TenancyStore {
    /// Of `clients` only, when given (a client-scoped caller's).
    async fn list_clients(
        &self,
        org: OrganizationId,
        clients: Option<&[ClientId]>,
        query: &ListQuery,
    ) -> StoreResult<Page<Client>>;
    /// [`StoreError::Conflict`] when the organization has a client of that
    /// name, without regard to case (so do the renames below; names already
    /// alike from before this rule stay as they are).
    async fn create_client(&self, org: OrganizationId, name: &str) -> StoreResult<Client>;
    async fn get_client(&self, org: OrganizationId, id: ClientId) -> StoreResult<Client>;
    async fn rename_client(
        &self,
        org: OrganizationId,
        id: ClientId,
        name: &str,
    ) -> StoreResult<Client>;
    /// Deletes a client and its sites; [`StoreError::Conflict`] while agents remain.
    async fn delete_client(&self, org: OrganizationId, id: ClientId) -> StoreResult<()>;
    async fn list_sites(
        &self,
        org: OrganizationId,
        client: ClientId,
        query: &ListQuery,
    ) -> StoreResult<Page<Site>>;
    /// Sites of every client of the organization whose name matches the
    /// search, by name (the global search); of `clients` only, when given.
    async fn find_sites(
        &self,
        org: OrganizationId,
        clients: Option<&[ClientId]>,
        query: &ListQuery,
    ) -> StoreResult<Page<Site>>;
    /// [`StoreError::Conflict`] when the client has a site of that name, without regard to case.
    async fn create_site(
        &self,
        org: OrganizationId,
        client: ClientId,
        name: &str,
    ) -> StoreResult<Site>;
    async fn get_site(&self, org: OrganizationId, id: SiteId) -> StoreResult<Site>;
    async fn rename_site(&self, org: OrganizationId, id: SiteId, name: &str) -> StoreResult<Site>;
    /// [`StoreError::Conflict`] while agents remain in the site.
    async fn delete_site(&self, org: OrganizationId, id: SiteId) -> StoreResult<()>;
}
