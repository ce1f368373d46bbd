//! The script library. Every change of code makes a new version; old ones stay.

use crate::model::*;
use crate::StoreResult;
use async_trait::async_trait;
use gururmm_protocol::OrganizationId;

/// The script library. Every change of code makes a new version; old ones stay.
#[async_trait]
pub trait ScriptStore {
    /// [`StoreError::Conflict`] when the name is taken in the organization.
    async fn create_script(
        &self,
        org: OrganizationId,
        fields: ScriptFields,
        code: ScriptVersion,
    ) -> StoreResult<Script>;
    async fn list_scripts(
        &self,
        org: OrganizationId,
        filter: &ScriptFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Script>>;
    async fn get_script(&self, org: OrganizationId, id: ScriptId) -> StoreResult<Script>;
    /// Updates the descriptive fields and, when `code` is given, adds it as the next version.
    async fn update_script(
        &self,
        org: OrganizationId,
        id: ScriptId,
        fields: ScriptFields,
        code: Option<ScriptVersion>,
    ) -> StoreResult<Script>;
    async fn delete_script(&self, org: OrganizationId, id: ScriptId) -> StoreResult<()>;
    /// Every version, newest first.
    async fn list_script_versions(
        &self,
        org: OrganizationId,
        id: ScriptId,
    ) -> StoreResult<Vec<ScriptVersion>>;
    /// One version of the organization's script; [`StoreError::NotFound`] when
    /// there is no such script or version.
    async fn get_script_version(
        &self,
        org: OrganizationId,
        id: ScriptId,
        version: i64,
    ) -> StoreResult<ScriptVersion>;
    /// The names of those of `ids` that are scripts of the organization (a
    /// deleted script has none), in no particular order.
    async fn script_names(
        &self,
        org: OrganizationId,
        ids: &[ScriptId],
    ) -> StoreResult<Vec<(ScriptId, String)>>;
}
