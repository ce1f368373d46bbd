//! The SQL of [`crate::InventoryStore`].

use super::software_names::{agent_names, count_agent_names, journal_names, NameChange};
use super::*;
use crate::inventory::*;
use crate::model::NewAgentEvent;
use crate::{StoreError, StoreResult};
use async_trait::async_trait;
use gururmm_protocol::{AgentId, OrganizationId};
use sqlx::{ColumnIndex, Connection as _, Decode, Encode, Executor, IntoArguments, Type};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Rows per transaction when an agent's packages are written through the
/// database's writers (PostgreSQL; a delta's inserts): a first inventory of
/// 1,500 packages is thirty short transactions, each taken while no other
/// write waits ([`SqlStore::yielding_writer`]), so a command's write waits
/// for one at most. The benchmark measured commands waiting 300 ms behind
/// 500-row statements of eight uploads at once, and a p99 of 86 ms behind
/// 100-row transactions in the pool's first-come order.
const SOFTWARE_CHUNK: usize = 50;

/// Rows per statement when a full report is one transaction (SQLite's
/// inventory file): 1,500 values, far below SQLite's 32,766.
const SOFTWARE_STATEMENT: usize = 500;

/// Package ids per query when asking which of a report's packages the
/// server holds already.
const KNOWN_CHUNK: usize = 500;

const RECORD_COLUMNS: &str = "agent_id, collected_at, received_at, hardware, os, domain, \
     virtualization, services, local_users, local_groups, package_count, service_count, truncated";

type RecordRow = (
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    i64,
    i64,
    bool,
);

fn into_record(row: RecordRow) -> StoreResult<InventoryRecord> {
    let (
        agent,
        collected,
        received,
        hardware,
        os,
        domain,
        virtualization,
        services,
        users,
        groups,
        packages,
        service_count,
        truncated,
    ) = row;
    Ok(InventoryRecord {
        agent_id: parse_id(&agent)?,
        collected_at: from_millis(collected),
        received_at: from_millis(received),
        hardware,
        os,
        domain,
        virtualization,
        services,
        users,
        groups,
        package_count: packages,
        service_count,
        truncated,
    })
}

const PACKAGE_COLUMNS: &str =
    "p.id, p.source, p.name, p.arch, p.version, p.publisher, p.version_key";

type PackageRow = (i64, String, String, String, String, String, Vec<u8>);

fn into_package(row: PackageRow) -> SoftwarePackage {
    let (id, source, name, arch, version, publisher, version_key) = row;
    SoftwarePackage {
        id,
        source,
        name,
        arch,
        version,
        publisher,
        version_key,
    }
}

#[async_trait]
impl<DB: SqlDatabase> InventoryStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Vec<u8>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn get_inventory(
        &self,
        org: OrganizationId,
        agent: AgentId,
    ) -> StoreResult<Option<InventoryRecord>> {
        self.agent_of(org, agent).await?;
        let row: Option<RecordRow> = sqlx::query_as(&format!(
            "SELECT {RECORD_COLUMNS} FROM agent_inventories WHERE agent_id = $1"
        ))
        .bind(agent.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.map(into_record).transpose()
    }

    async fn inventory_collected_at(&self, agent: AgentId) -> StoreResult<Option<DateTime<Utc>>> {
        let at: Option<i64> =
            sqlx::query_scalar("SELECT collected_at FROM agent_inventories WHERE agent_id = $1")
                .bind(agent.to_string())
                .fetch_optional(&self.read)
                .await?;
        Ok(at.map(from_millis))
    }

    async fn put_full_inventory(
        &self,
        record: &InventoryRecord,
        packages: &[InstalledPackage],
    ) -> StoreResult<()> {
        let agent = record.agent_id.to_string();
        self.put_packages(packages.iter().map(|p| &p.package))
            .await?;
        let key = self.inventory_key(&agent).await?;
        // The old state goes (the record, the rows, adjacent in the primary
        // key, and their names' counts), then each chunk's rows with the
        // names they bring (those no earlier chunk had), the record last.
        let mut named = HashSet::new();
        let mut steps = vec![FullStep::Forget];
        for chunk in packages.chunks(self.full_report_rows()) {
            let mut names: Vec<NameChange> = chunk
                .iter()
                .map(|installed| &installed.package.name)
                .filter_map(|name| {
                    let key = name.to_lowercase();
                    named.insert(key.clone()).then(|| (key, name.clone(), 1))
                })
                .collect();
            names.sort_unstable();
            steps.push(FullStep::Rows(chunk, names));
        }
        steps.push(FullStep::Record);
        // SQLite: one transaction on the inventory file's own writer (only
        // deltas and deletions wait for it), so the report replaces the old
        // state at once and each page it changes goes to the WAL once, not
        // once per chunk. Otherwise a transaction per step, each taken when
        // no other write waits, so a command's write waits for one at most;
        // the record comes back last, so a report cut short leaves a state
        // no delta applies to.
        let transactions: Vec<Vec<FullStep<'_>>> = if self.inventory_write.is_some() {
            vec![steps]
        } else {
            steps.into_iter().map(|step| vec![step]).collect()
        };
        for steps in transactions {
            let mut writer = self.inventory_writer().await?;
            let mut tx = begin_relaxed(&mut writer).await?;
            for step in steps {
                match step {
                    FullStep::Forget => {
                        let had = agent_names(&mut tx, key, -1).await?;
                        journal_names(&mut tx, &agent, &had).await?;
                        sqlx::query("DELETE FROM agent_inventories WHERE agent_id = $1")
                            .bind(&agent)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query("DELETE FROM agent_software WHERE agent_key = $1")
                            .bind(key)
                            .execute(&mut *tx)
                            .await?;
                    }
                    FullStep::Rows(chunk, names) => {
                        let sql = software_insert::<DB>(chunk.len());
                        bind_software(sqlx::query(&sql), key, chunk)
                            .execute(&mut *tx)
                            .await
                            .map_err(missing_reference_to_not_found)?;
                        journal_names(&mut tx, &agent, &names).await?;
                    }
                    FullStep::Record => upsert_record(&mut tx, record).await?,
                }
            }
            tx.commit().await?;
        }
        Ok(())
    }

    async fn apply_inventory_delta(
        &self,
        record: &InventoryRecord,
        base: DateTime<Utc>,
        changes: &SoftwareChanges,
        events: &[NewAgentEvent],
    ) -> StoreResult<DeltaApplied> {
        let agent = record.agent_id.to_string();
        match self.inventory_collected_at(record.agent_id).await? {
            Some(at) if at == record.collected_at => return Ok(DeltaApplied::AlreadyApplied),
            Some(at) if at == base => {}
            _ => return Ok(DeltaApplied::BaseMismatch),
        }
        let key = self.inventory_key(&agent).await?;
        // Which names the agent gains and loses: read before the writer is
        // taken (only this agent's uploads, one at a time, change its rows).
        let names = name_changes(&self.agent_package_names(key).await?, changes);
        self.put_packages(
            changes
                .added
                .iter()
                .chain(changes.changed.iter().map(|(_, new)| new))
                .map(|p| &p.package),
        )
        .await?;
        // The rows, the counts, the record and the change events in one
        // transaction: a delta is small (a day's upgrades), and applied twice
        // it would be wrong. The events are the database's (SQLite: the main
        // file), so the transaction is the database writer's; on SQLite it
        // holds the inventory file's writer meanwhile, so that file's lock
        // is free when the transaction asks for it.
        let _inventory_file = self.quiet_inventory().await?;
        let mut writer = self.yielding_writer().await?;
        let mut tx = writer.begin().await?;
        let still: Option<i64> =
            sqlx::query_scalar("SELECT collected_at FROM agent_inventories WHERE agent_id = $1")
                .bind(&agent)
                .fetch_optional(&mut *tx)
                .await?;
        if still != Some(millis(base)) {
            return Ok(DeltaApplied::BaseMismatch);
        }
        // A statement per kind of change and chunk, not per package: a day's
        // delta is a few round trips whatever it holds.
        for ids in changes.removed.chunks(KNOWN_CHUNK) {
            let sql = format!(
                "DELETE FROM agent_software WHERE package_id IN ({}) AND agent_key = {}",
                bind_list::<DB>(ids.len()),
                bind_after::<DB>(ids.len())
            );
            let mut query = sqlx::query(&sql);
            for id in ids {
                query = query.bind(*id);
            }
            query.bind(key).execute(&mut *tx).await?;
        }
        for upgrades in changes.changed.chunks(SOFTWARE_CHUNK) {
            let sql = format!(
                "UPDATE agent_software SET package_id = v.column2, install_date = v.column3 \
                 FROM ({}) AS v \
                 WHERE agent_software.agent_key = {} AND agent_software.package_id = v.column1",
                values_list::<DB>(upgrades.len(), 3),
                bind_after::<DB>(upgrades.len() * 3)
            );
            let mut query = sqlx::query(&sql);
            for (old, new) in upgrades {
                query = query
                    .bind(*old)
                    .bind(new.package.id)
                    .bind(new.install_date.as_deref());
            }
            query.bind(key).execute(&mut *tx).await?;
        }
        for chunk in changes.added.chunks(SOFTWARE_CHUNK) {
            let sql = software_insert::<DB>(chunk.len());
            bind_software(sqlx::query(&sql), key, chunk)
                .execute(&mut *tx)
                .await?;
        }
        journal_names(&mut tx, &agent, &names).await?;
        upsert_record(&mut tx, record).await?;
        for event in events {
            sqlx::query(
                "INSERT INTO agent_events (organization_id, agent_id, kind, message, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(event.organization_id.to_string())
            .bind(event.agent_id.to_string())
            .bind(&event.kind)
            .bind(&event.message)
            .bind(millis(event.created_at))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(DeltaApplied::Applied)
    }

    async fn agent_software(
        &self,
        org: OrganizationId,
        agent: AgentId,
        query: &ListQuery,
    ) -> StoreResult<Page<InstalledPackage>> {
        self.agent_of(org, agent).await?;
        let pattern = like_pattern(query.search.as_deref());
        let from = "FROM inventory_agents k JOIN agent_software s ON s.agent_key = k.agent_key \
                    JOIN software_packages p ON p.id = s.package_id \
                    WHERE k.agent_id = $1 AND p.name_key LIKE $2 ESCAPE '\\'";
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {from}"))
            .bind(agent.to_string())
            .bind(&pattern)
            .fetch_one(&self.read)
            .await?;
        let rows: Vec<(
            i64,
            String,
            String,
            String,
            String,
            String,
            Vec<u8>,
            Option<String>,
        )> = sqlx::query_as(&format!(
            "SELECT {PACKAGE_COLUMNS}, s.install_date {from} \
                 ORDER BY p.name_key, p.name, p.version_key, p.id LIMIT $3 OFFSET $4"
        ))
        .bind(agent.to_string())
        .bind(&pattern)
        .bind(query.limit)
        .bind(query.offset)
        .fetch_all(&self.read)
        .await?;
        let items = rows
            .into_iter()
            .map(
                |(id, source, name, arch, version, publisher, key, date)| InstalledPackage {
                    package: into_package((id, source, name, arch, version, publisher, key)),
                    install_date: date,
                },
            )
            .collect();
        Ok(Page { items, total })
    }

    async fn search_software(
        &self,
        org: OrganizationId,
        filter: &SoftwareFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Page<SoftwareHit>> {
        // The package rows of the name (an index range in version order),
        // then their agents; every value is bound, in this order.
        let mut clauses = String::from("a.organization_id = $1");
        let mut binds: Vec<Bound> = vec![Bound::Text(org.to_string())];
        let next = |binds: &mut Vec<Bound>, value: Bound| {
            binds.push(value);
            format!("${}", binds.len())
        };
        match (&filter.name, &filter.name_contains) {
            (Some(name), _) => {
                let slot = next(&mut binds, Bound::Text(name.to_lowercase()));
                clauses.push_str(&format!(" AND p.name_key = {slot}"));
            }
            (None, Some(part)) => {
                let slot = next(&mut binds, Bound::Text(like_pattern(Some(part))));
                clauses.push_str(&format!(" AND p.name_key LIKE {slot} ESCAPE '\\'"));
            }
            (None, None) => {}
        }
        if let Some(key) = &filter.version_lt {
            let slot = next(&mut binds, Bound::Bytes(key.clone()));
            clauses.push_str(&format!(" AND p.version_key < {slot}"));
        }
        if let Some(key) = &filter.version_gte {
            let slot = next(&mut binds, Bound::Bytes(key.clone()));
            clauses.push_str(&format!(" AND p.version_key >= {slot}"));
        }
        if let Some(client) = filter.client_id {
            let slot = next(&mut binds, Bound::Text(client.to_string()));
            clauses.push_str(&format!(" AND a.client_id = {slot}"));
        }
        if let Some(site) = filter.site_id {
            let slot = next(&mut binds, Bound::Text(site.to_string()));
            clauses.push_str(&format!(" AND a.site_id = {slot}"));
        }
        clauses.push_str(&clients_clause("a.client_id", filter.clients.as_deref()));
        let from = format!(
            "FROM software_packages p JOIN agent_software s ON s.package_id = p.id \
             JOIN inventory_agents k ON k.agent_key = s.agent_key \
             JOIN agents a ON a.id = k.agent_id WHERE {clauses}"
        );
        let count_sql = format!("SELECT COUNT(*) {from}");
        let mut count = sqlx::query_scalar::<DB, i64>(&count_sql);
        for bound in &binds {
            count = bound.bind_scalar(count);
        }
        let total = count.fetch_one(&self.read).await?;
        let limit_slot = binds.len() + 1;
        let rows_sql = format!(
            "SELECT a.id, a.hostname, a.client_id, a.site_id, {PACKAGE_COLUMNS} {from} \
             ORDER BY a.hostname, a.id, p.name_key, p.version_key, p.id \
             LIMIT ${limit_slot} OFFSET ${}",
            limit_slot + 1
        );
        type HitRow = (
            String,
            String,
            String,
            String,
            i64,
            String,
            String,
            String,
            String,
            String,
            Vec<u8>,
        );
        let mut rows = sqlx::query_as::<DB, HitRow>(&rows_sql);
        for bound in &binds {
            rows = bound.bind_row(rows);
        }
        let rows = rows.bind(limit).bind(offset).fetch_all(&self.read).await?;
        let items = rows
            .into_iter()
            .map(
                |(
                    agent,
                    hostname,
                    client,
                    site,
                    id,
                    source,
                    name,
                    arch,
                    version,
                    publisher,
                    key,
                )| {
                    Ok(SoftwareHit {
                        agent_id: parse_id(&agent)?,
                        hostname,
                        client_id: parse_id(&client)?,
                        site_id: parse_id(&site)?,
                        package: into_package((id, source, name, arch, version, publisher, key)),
                    })
                },
            )
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page { items, total })
    }

    async fn software_summary(
        &self,
        org: OrganizationId,
        clients: Option<&[ClientId]>,
        query: &ListQuery,
    ) -> StoreResult<Page<SoftwareSummary>> {
        // The counts kept with the rows (one per client and name), the
        // journal's changes added first, then the versions of the page's
        // names alone.
        self.fold().await?;
        let pattern = like_pattern(query.search.as_deref());
        let scope = clients_clause("client_id", clients);
        let grouped = format!(
            "SELECT name_key, MIN(name) AS name, SUM(agents) AS agents FROM software_name_counts \
             WHERE organization_id = $1 AND name_key LIKE $2 ESCAPE '\\' AND agents > 0{scope} \
             GROUP BY name_key"
        );
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM ({grouped}) g"))
            .bind(org.to_string())
            .bind(&pattern)
            .fetch_one(&self.read)
            .await?;
        let rows: Vec<(String, String, i64)> = sqlx::query_as(&format!(
            "SELECT name_key, name, CAST(agents AS BIGINT) FROM ({grouped}) g \
             ORDER BY agents DESC, name_key LIMIT $3 OFFSET $4"
        ))
        .bind(org.to_string())
        .bind(&pattern)
        .bind(query.limit)
        .bind(query.offset)
        .fetch_all(&self.read)
        .await?;
        if rows.is_empty() {
            return Ok(Page {
                items: Vec::new(),
                total,
            });
        }
        // The page's names' package rows (a few versions each), each kept if
        // an agent in scope has it: the first agent the index gives usually is.
        let versions_sql = format!(
            "SELECT p.name_key, COUNT(DISTINCT p.version) FROM software_packages p \
             WHERE p.name_key IN ({}) AND EXISTS (SELECT 1 FROM agent_software s \
             JOIN inventory_agents k ON k.agent_key = s.agent_key \
             JOIN agents a ON a.id = k.agent_id \
             WHERE s.package_id = p.id AND a.organization_id = {}{}) GROUP BY p.name_key",
            values_list::<DB>(rows.len(), 1),
            bind_after::<DB>(rows.len()),
            clients_clause("a.client_id", clients)
        );
        let mut versions_query = sqlx::query_as::<DB, (String, i64)>(&versions_sql);
        for (name_key, _, _) in &rows {
            versions_query = versions_query.bind(name_key.as_str());
        }
        let versions: HashMap<String, i64> = versions_query
            .bind(org.to_string())
            .fetch_all(&self.read)
            .await?
            .into_iter()
            .collect();
        let items = rows
            .into_iter()
            .map(|(name_key, name, agents)| SoftwareSummary {
                versions: versions.get(&name_key).copied().unwrap_or(0),
                name,
                agents,
            })
            .collect();
        Ok(Page { items, total })
    }

    async fn fold_software_name_counts(&self) -> StoreResult<u64> {
        self.fold().await
    }

    async fn delete_unused_software_packages(&self) -> StoreResult<u64> {
        let mut writer = self.inventory_writer().await?;
        // Inventory of agents deleted while it was being stored (SQLite's
        // inventory file has no foreign key to the agents: `delete_agent`
        // removes an agent's, but a report in flight may write after it).
        for orphans in [
            "DELETE FROM agent_inventories WHERE NOT EXISTS \
             (SELECT 1 FROM agents a WHERE a.id = agent_inventories.agent_id)",
            "DELETE FROM inventory_agents WHERE NOT EXISTS \
             (SELECT 1 FROM agents a WHERE a.id = inventory_agents.agent_id)",
        ] {
            sqlx::query(orphans).execute(&mut *writer).await?;
        }
        // Only the zeros: a count below zero is an agent's deletion or move
        // counted before the journal's rows of its reports are folded in.
        sqlx::query("DELETE FROM software_name_counts WHERE agents = 0")
            .execute(&mut *writer)
            .await?;
        let result = sqlx::query(
            "DELETE FROM software_packages WHERE NOT EXISTS \
             (SELECT 1 FROM agent_software s WHERE s.package_id = software_packages.id)",
        )
        .execute(&mut *writer)
        .await?;
        Ok(result.rows_affected())
    }
}

/// A part of storing a full report ([`InventoryStore::put_full_inventory`]).
enum FullStep<'a> {
    /// The agent's old record, rows and names' counts go.
    Forget,
    /// Rows, with the names no earlier step brought.
    Rows(&'a [InstalledPackage], Vec<NameChange>),
    /// The record, last.
    Record,
}

/// A value bound to the fleet search, in clause order.
enum Bound {
    Text(String),
    Bytes(Vec<u8>),
}

impl Bound {
    fn bind_scalar<'q, DB: SqlDatabase, O>(
        &'q self,
        query: sqlx::query::QueryScalar<'q, DB, O, DB::Arguments<'q>>,
    ) -> sqlx::query::QueryScalar<'q, DB, O, DB::Arguments<'q>>
    where
        String: Encode<'q, DB> + Type<DB>,
        Vec<u8>: Encode<'q, DB> + Type<DB>,
    {
        match self {
            Bound::Text(text) => query.bind(text.clone()),
            Bound::Bytes(bytes) => query.bind(bytes.clone()),
        }
    }

    fn bind_row<'q, DB: SqlDatabase, O>(
        &'q self,
        query: sqlx::query::QueryAs<'q, DB, O, DB::Arguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, DB, O, DB::Arguments<'q>>
    where
        String: Encode<'q, DB> + Type<DB>,
        Vec<u8>: Encode<'q, DB> + Type<DB>,
    {
        match self {
            Bound::Text(text) => query.bind(text.clone()),
            Bound::Bytes(bytes) => query.bind(bytes.clone()),
        }
    }
}

/// Adds `rows` packages to an agent's (bound by [`bind_software`]); one
/// already there is left as it is.
fn software_insert<DB: SqlDatabase>(rows: usize) -> String {
    format!(
        "INSERT INTO agent_software (agent_key, package_id, install_date) {} \
         ON CONFLICT (agent_key, package_id) DO NOTHING",
        values_list::<DB>(rows, 3)
    )
}

fn bind_software<'q, DB: SqlDatabase>(
    mut query: sqlx::query::Query<'q, DB, DB::Arguments<'q>>,
    agent: i64,
    chunk: &'q [InstalledPackage],
) -> sqlx::query::Query<'q, DB, DB::Arguments<'q>>
where
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
{
    for installed in chunk {
        query = query
            .bind(agent)
            .bind(installed.package.id)
            .bind(installed.install_date.as_deref());
    }
    query
}

/// Takes a deleted agent's inventory away: its names' counts, its record
/// and its rows.
pub(crate) async fn forget_agent_inventory<DB: SqlDatabase>(
    tx: &mut sqlx::Transaction<'_, DB>,
    agent: &str,
) -> StoreResult<()>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    count_agent_names(tx, agent, -1).await?;
    for sql in [
        "DELETE FROM agent_inventories WHERE agent_id = $1",
        "DELETE FROM inventory_agents WHERE agent_id = $1",
    ] {
        sqlx::query(sql).bind(agent).execute(&mut **tx).await?;
    }
    Ok(())
}

/// The placeholder of the value bound after `binds` others (SQLite's `?`
/// takes the next one; see [`SqlDatabase::NUMBERED_BINDS`]).
fn bind_after<DB: SqlDatabase>(binds: usize) -> String {
    if DB::NUMBERED_BINDS {
        format!("${}", binds + 1)
    } else {
        "?".to_owned()
    }
}

/// Begins a transaction on `writer` whose commit does not wait for the
/// disk ([`relax_commit`]): a full report's.
pub(super) async fn begin_relaxed<DB: SqlDatabase>(
    writer: &mut sqlx::pool::PoolConnection<DB>,
) -> StoreResult<sqlx::Transaction<'_, DB>>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    let mut tx = writer.begin().await?;
    relax_commit(&mut tx).await?;
    Ok(tx)
}

/// The names an agent gains (1) and loses (-1) with `changes`, by name key
/// (in order), from its packages before them (id: name key and name).
fn name_changes(
    before: &HashMap<i64, (String, String)>,
    changes: &SoftwareChanges,
) -> Vec<NameChange> {
    let per_name = |packages: &HashMap<i64, (String, String)>| {
        let mut counts: HashMap<String, (String, usize)> = HashMap::new();
        for (key, name) in packages.values() {
            counts
                .entry(key.clone())
                .or_insert_with(|| (name.clone(), 0))
                .1 += 1;
        }
        counts
    };
    // As the statements change the rows: a removal or an upgrade of a
    // package the agent does not have changes nothing.
    let mut after = before.clone();
    let entry = |installed: &InstalledPackage| {
        let package = &installed.package;
        (
            package.id,
            (package.name.to_lowercase(), package.name.clone()),
        )
    };
    for id in &changes.removed {
        after.remove(id);
    }
    for (old, new) in &changes.changed {
        if after.remove(old).is_some() {
            let (id, name) = entry(new);
            after.insert(id, name);
        }
    }
    for installed in &changes.added {
        let (id, name) = entry(installed);
        after.entry(id).or_insert(name);
    }
    let (had, has) = (per_name(before), per_name(&after));
    let mut names = BTreeMap::new();
    for (key, (name, _)) in &has {
        if !had.contains_key(key) {
            names.insert(key.clone(), (name.clone(), 1));
        }
    }
    for (key, (name, _)) in &had {
        if !has.contains_key(key) {
            names.insert(key.clone(), (name.clone(), -1));
        }
    }
    names
        .into_iter()
        .map(|(key, (name, by))| (key, name, by))
        .collect()
}

/// Writes the agent's record, replacing the one before.
async fn upsert_record<DB: SqlDatabase>(
    tx: &mut sqlx::Transaction<'_, DB>,
    record: &InventoryRecord,
) -> StoreResult<()>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
{
    sqlx::query(&format!(
        "INSERT INTO agent_inventories ({RECORD_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (agent_id) DO UPDATE SET collected_at = excluded.collected_at, \
         received_at = excluded.received_at, hardware = excluded.hardware, os = excluded.os, \
         domain = excluded.domain, virtualization = excluded.virtualization, \
         services = excluded.services, local_users = excluded.local_users, \
         local_groups = excluded.local_groups, package_count = excluded.package_count, \
         service_count = excluded.service_count, truncated = excluded.truncated"
    ))
    .bind(record.agent_id.to_string())
    .bind(millis(record.collected_at))
    .bind(millis(record.received_at))
    .bind(record.hardware.clone())
    .bind(record.os.clone())
    .bind(record.domain.clone())
    .bind(record.virtualization.clone())
    .bind(record.services.clone())
    .bind(record.users.clone())
    .bind(record.groups.clone())
    .bind(record.package_count)
    .bind(record.service_count)
    .bind(record.truncated)
    .execute(&mut **tx)
    .await
    .map_err(missing_reference_to_not_found)?;
    Ok(())
}

impl<DB: SqlDatabase> SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Vec<u8>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    /// [`StoreError::NotFound`] unless the agent is the organization's.
    async fn agent_of(&self, org: OrganizationId, agent: AgentId) -> StoreResult<()> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT id FROM agents WHERE id = $1 AND organization_id = $2")
                .bind(agent.to_string())
                .bind(org.to_string())
                .fetch_optional(&self.read)
                .await?;
        found.map(|_| ()).ok_or(StoreError::NotFound)
    }

    /// Rows per step of a full report: a statement's worth where the report
    /// is one transaction (SQLite), a short transaction's otherwise.
    fn full_report_rows(&self) -> usize {
        if self.inventory_write.is_some() {
            SOFTWARE_STATEMENT
        } else {
            SOFTWARE_CHUNK
        }
    }

    /// The agent's key in the software rows, made on its first report.
    /// [`StoreError::NotFound`] when the agent does not exist.
    async fn inventory_key(&self, agent: &str) -> StoreResult<i64> {
        let select = "SELECT agent_key FROM inventory_agents WHERE agent_id = $1";
        let known = sqlx::query_scalar(select)
            .bind(agent)
            .fetch_optional(&mut *self.inventory_reader().await?)
            .await?;
        if let Some(key) = known {
            return Ok(key);
        }
        // Only for an agent that exists (SQLite keeps the inventory in a
        // file of its own, without a foreign key to the agents).
        let mut writer = self.inventory_writer().await?;
        sqlx::query(
            "INSERT INTO inventory_agents (agent_id) SELECT id FROM agents WHERE id = $1 \
             ON CONFLICT (agent_id) DO NOTHING",
        )
        .bind(agent)
        .execute(&mut *writer)
        .await
        .map_err(missing_reference_to_not_found)?;
        sqlx::query_scalar(select)
            .bind(agent)
            .fetch_optional(&mut *writer)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// The agent's packages: id, name key and name.
    async fn agent_package_names(&self, key: i64) -> StoreResult<HashMap<i64, (String, String)>> {
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT p.id, p.name_key, p.name FROM agent_software s \
             JOIN software_packages p ON p.id = s.package_id WHERE s.agent_key = $1",
        )
        .bind(key)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, key, name)| (id, (key, name)))
            .collect())
    }

    /// Adds the packages the server does not hold yet (the same package from
    /// another agent is the same row).
    async fn put_packages<'p>(
        &self,
        packages: impl Iterator<Item = &'p SoftwarePackage>,
    ) -> StoreResult<()> {
        // In id order: two agents' inserts of the same new packages then
        // never wait for each other in opposite orders (PostgreSQL).
        let mut packages: Vec<&SoftwarePackage> = packages.collect();
        packages.sort_unstable_by_key(|package| package.id);
        packages.dedup_by_key(|package| package.id);
        // Most are known already (the same packages are on many machines):
        // looked up first, so the writer inserts only the new ones.
        let mut known = HashSet::new();
        let mut reader = self.inventory_reader().await?;
        for chunk in packages.chunks(KNOWN_CHUNK) {
            let sql = format!(
                "SELECT id FROM software_packages WHERE id IN ({})",
                bind_list::<DB>(chunk.len())
            );
            let mut query = sqlx::query_scalar::<DB, i64>(&sql);
            for package in chunk {
                query = query.bind(package.id);
            }
            known.extend(query.fetch_all(&mut *reader).await?);
        }
        drop(reader);
        packages.retain(|package| !known.contains(&package.id));
        for chunk in packages.chunks(SOFTWARE_CHUNK) {
            let sql = format!(
                "INSERT INTO software_packages \
                 (id, source, name, name_key, arch, version, publisher, version_key) {} \
                 ON CONFLICT (id) DO NOTHING",
                values_list::<DB>(chunk.len(), 8)
            );
            let mut query = sqlx::query(&sql);
            for package in chunk {
                query = query
                    .bind(package.id)
                    .bind(package.source.as_str())
                    .bind(package.name.as_str())
                    .bind(package.name.to_lowercase())
                    .bind(package.arch.as_str())
                    .bind(package.version.as_str())
                    .bind(package.publisher.as_str())
                    .bind(package.version_key.as_slice());
            }
            query.execute(&mut *self.inventory_writer().await?).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn installed(id: i64, name: &str) -> InstalledPackage {
        InstalledPackage {
            package: SoftwarePackage {
                id,
                source: "dpkg".into(),
                name: name.into(),
                arch: "amd64".into(),
                version: "1".into(),
                publisher: String::new(),
                version_key: Vec::new(),
            },
            install_date: None,
        }
    }

    #[test]
    fn a_delta_changes_a_name_s_count_only_when_the_agent_gains_or_loses_the_name() {
        // openssl in two architectures (ids 1, 2), bash (3).
        let before: HashMap<i64, (String, String)> = [
            (1, ("openssl".into(), "OpenSSL".into())),
            (2, ("openssl".into(), "OpenSSL".into())),
            (3, ("bash".into(), "bash".into())),
        ]
        .into();
        let changes =
            |added: Vec<InstalledPackage>,
             removed: Vec<i64>,
             changed: Vec<(i64, InstalledPackage)>| SoftwareChanges {
                added,
                removed,
                changed,
            };
        let counted = |changes: SoftwareChanges| -> Vec<(String, i64)> {
            name_changes(&before, &changes)
                .into_iter()
                .map(|(key, _, by)| (key, by))
                .collect()
        };
        let none: Vec<(String, i64)> = Vec::new();
        // An upgrade, and one architecture of two removed: same names.
        assert_eq!(
            counted(changes(vec![], vec![2], vec![(3, installed(4, "bash"))])),
            none
        );
        // A new name, and the last package of a name removed.
        assert_eq!(
            counted(changes(vec![installed(5, "Zsh")], vec![3], vec![])),
            [("bash".to_owned(), -1), ("zsh".to_owned(), 1)]
        );
        // Both architectures removed; an upgrade of a package it lacks changes nothing.
        assert_eq!(
            counted(changes(
                vec![],
                vec![1, 2],
                vec![(9, installed(10, "curl"))]
            )),
            [("openssl".to_owned(), -1)]
        );
        // A package it already has, added again, changes nothing.
        assert_eq!(
            counted(changes(vec![installed(3, "bash")], vec![], vec![])),
            none
        );
    }
}
