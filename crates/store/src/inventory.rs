//! What each agent is and runs, as it last reported (issue 17). The small
//! sections are kept as JSON per agent; packages are rows naming entries of a
//! server-wide package table, so the fleet can be searched by package and
//! version. The rules (what a report means, deltas, events) are the server's
//! (`services/inventory.rs`); this is their state.

use crate::model::{ListQuery, NewAgentEvent, Page};
use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, ClientId, OrganizationId, SiteId};

/// One agent's inventory apart from its packages. The sections are JSON (the
/// protocol's types, written and read by the server).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryRecord {
    pub agent_id: AgentId,
    /// When the agent collected the report this state is.
    pub collected_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub hardware: Option<String>,
    pub os: Option<String>,
    pub domain: Option<String>,
    pub virtualization: Option<String>,
    /// JSON arrays.
    pub services: String,
    pub users: String,
    pub groups: String,
    pub package_count: i64,
    pub service_count: i64,
    pub truncated: bool,
}

/// A package as stored for the fleet: `id` is the server's hash of the
/// identifying fields, `version_key` sorts in version order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SoftwarePackage {
    pub id: i64,
    pub source: String,
    pub name: String,
    pub arch: String,
    pub version: String,
    pub publisher: String,
    pub version_key: Vec<u8>,
}

/// A package on one agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstalledPackage {
    pub package: SoftwarePackage,
    /// As the package database gives it (`YYYY-MM-DD`).
    pub install_date: Option<String>,
}

/// What changes when a delta is applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SoftwareChanges {
    pub added: Vec<InstalledPackage>,
    /// Package ids.
    pub removed: Vec<i64>,
    /// The package id the agent had, and what it has now (an upgrade).
    pub changed: Vec<(i64, InstalledPackage)>,
}

impl SoftwareChanges {
    /// How many software rows applying them writes.
    pub fn len(&self) -> usize {
        self.added.len() + self.removed.len() + self.changed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What became of a delta.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeltaApplied {
    Applied,
    /// Applied before (the agent sent it again): nothing changed now.
    AlreadyApplied,
    /// The stored state is not the one the delta was computed against.
    BaseMismatch,
}

/// Which agents' packages a fleet search reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SoftwareFilter {
    /// Exact package name, any case.
    pub name: Option<String>,
    /// Case-insensitive substring of the name (when `name` is not given).
    pub name_contains: Option<String>,
    /// [`SoftwarePackage::version_key`] bounds: below `version_lt`, at or
    /// above `version_gte`.
    pub version_lt: Option<Vec<u8>>,
    pub version_gte: Option<Vec<u8>>,
    pub client_id: Option<ClientId>,
    pub site_id: Option<SiteId>,
    /// A client-scoped caller's clients (`None`: the whole organization).
    pub clients: Option<Vec<ClientId>>,
}

/// One package on one agent, found by a fleet search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SoftwareHit {
    pub agent_id: AgentId,
    pub hostname: String,
    pub client_id: ClientId,
    pub site_id: SiteId,
    pub package: SoftwarePackage,
}

/// One package name across the fleet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SoftwareSummary {
    pub name: String,
    /// Agents with any version of it.
    pub agents: i64,
    /// Distinct versions installed.
    pub versions: i64,
}

#[async_trait]
pub trait InventoryStore {
    /// The agent's inventory; `None` before its first report.
    /// [`crate::StoreError::NotFound`] when the agent is not the organization's.
    async fn get_inventory(
        &self,
        org: OrganizationId,
        agent: AgentId,
    ) -> StoreResult<Option<InventoryRecord>>;

    /// The collection time of the agent's stored inventory (the gateway's
    /// check before a delta), whatever its organization.
    async fn inventory_collected_at(&self, agent: AgentId) -> StoreResult<Option<DateTime<Utc>>>;

    /// Replaces the agent's inventory and packages with a full report. Written
    /// in short transactions (the record last), so a large report never holds
    /// the writer long; a report cut short by a crash is sent again whole.
    /// Their commits do not wait for the disk (PostgreSQL): a stored report
    /// lost to a crash is asked for again when the agent's next delta names
    /// a state the server does not hold.
    async fn put_full_inventory(
        &self,
        record: &InventoryRecord,
        packages: &[InstalledPackage],
    ) -> StoreResult<()>;

    /// Applies changes computed against the state collected at `base`: one
    /// write per changed package, then the record and `events` together.
    async fn apply_inventory_delta(
        &self,
        record: &InventoryRecord,
        base: DateTime<Utc>,
        changes: &SoftwareChanges,
        events: &[NewAgentEvent],
    ) -> StoreResult<DeltaApplied>;

    /// The agent's packages by name (`query.search`: a substring of the name).
    /// [`crate::StoreError::NotFound`] when the agent is not the organization's.
    async fn agent_software(
        &self,
        org: OrganizationId,
        agent: AgentId,
        query: &ListQuery,
    ) -> StoreResult<Page<InstalledPackage>>;

    /// The agents having packages that match, by hostname then name and version.
    async fn search_software(
        &self,
        org: OrganizationId,
        filter: &SoftwareFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Page<SoftwareHit>>;

    /// Package names with how many agents have them and in how many versions,
    /// most installed first (`query.search`: a substring of the name). The
    /// agents are counted per client and name as reports, deltas, moves and
    /// deletions change them, so this reads those counts, not every row.
    async fn software_summary(
        &self,
        org: OrganizationId,
        clients: Option<&[ClientId]>,
        query: &ListQuery,
    ) -> StoreResult<Page<SoftwareSummary>>;

    /// Adds the changes reports have journaled to the summary's counts
    /// (the server does every few seconds; [`Self::software_summary`] does
    /// first); how many journal rows.
    async fn fold_software_name_counts(&self) -> StoreResult<u64>;

    /// Removes packages no agent has any more (and names no agent counts); how
    /// many packages.
    async fn delete_unused_software_packages(&self) -> StoreResult<u64>;
}
