//! The SQL of [`crate::AgentStore`].

use super::commands::COMMAND_COLUMNS;
use super::rows::*;
use super::*;
use crate::model::*;
use crate::{AgentFacets, AgentStore, CustomFieldScope, OfflineAgent, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, ClientId, NetworkInterface, OrganizationId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};
use std::collections::HashMap;

/// What authenticates an agent, with the times its samples are checked against.
pub(crate) const CREDENTIALS_SELECT: &str = "SELECT a.id, a.organization_id, a.device_id, a.secret_hash, a.enrolled_at, \
     (SELECT l.collected_at FROM agent_latest_samples l WHERE l.agent_id = a.id) AS latest_sample_at \
     FROM agents a";

const AGENT_SELECT: &str =
    "SELECT a.id, a.organization_id, a.client_id, c.name AS client_name, a.site_id, \
     s.name AS site_name, a.hostname, a.alias, a.tags, a.os_family, a.os_name, a.os_version, a.os_kernel, a.arch, \
     a.agent_version, a.public_ip, a.online, a.last_seen, a.enrolled_at, a.cpu_percent, \
     a.memory_used_bytes, a.memory_total_bytes, a.booted_at, a.disk_used_percent, a.logged_in_users, \
     a.local_ip, a.serial_number, (SELECT COUNT(*) FROM alerts al WHERE al.agent_id = a.id AND al.status <> 'resolved') AS open_alerts \
     FROM agents a JOIN sites s ON s.id = a.site_id JOIN clients c ON c.id = a.client_id";

/// The list's filter (`WHERE …` on `$1..$n`) and the values it binds, in
/// order. A condition is written only when it is asked for: the unfiltered
/// list and its total are then read from the index on (organization, lower
/// hostname, id, client, site, online) alone, which any mention of the alias
/// or tags columns would prevent. The search matches the hostname, the
/// alias, either address, the logged-in users and the serial number. A tag is found as `"tag"` in the JSON text of `tags`: tags are
/// lowercase and never hold `"` or `\` (the server refuses them), so that
/// text marks exactly one whole element.
fn agent_filter(
    org: OrganizationId,
    filter: &AgentFilter,
    search: Option<&str>,
) -> (String, Vec<Param>) {
    use std::fmt::Write;
    let mut sql = String::from("WHERE a.organization_id = $1");
    let mut params: Vec<Param> = vec![org.to_string().into()];
    let pattern = like_pattern(search);
    if pattern != "%" {
        params.push(pattern.into());
        let n = params.len();
        let _ = write!(
            sql,
            " AND (LOWER(a.hostname) LIKE ${n} ESCAPE '\\' OR LOWER(a.alias) LIKE ${n} ESCAPE '\\' \
             OR a.public_ip LIKE ${n} ESCAPE '\\' OR a.local_ip LIKE ${n} ESCAPE '\\' \
             OR LOWER(a.logged_in_users) LIKE ${n} ESCAPE '\\' OR LOWER(a.serial_number) LIKE ${n} ESCAPE '\\')"
        );
    }
    if let Some(client) = filter.client_id {
        params.push(client.to_string().into());
        let _ = write!(sql, " AND a.client_id = ${}", params.len());
    }
    sql.push_str(&clients_clause("a.client_id", filter.clients.as_deref()));
    if let Some(site) = filter.site_id {
        params.push(site.to_string().into());
        let _ = write!(sql, " AND a.site_id = ${}", params.len());
    }
    if let Some(online) = filter.online {
        params.push(Some(online).into());
        let _ = write!(sql, " AND a.online = ${}", params.len());
    }
    if let Some(tag) = &filter.tag {
        params.push(tag_pattern(tag).into());
        let _ = write!(sql, " AND a.tags LIKE ${} ESCAPE '\\'", params.len());
    }
    if let Some(family) = &filter.os_family {
        params.push(family.clone().into());
        let _ = write!(sql, " AND a.os_family = ${}", params.len());
    }
    if let Some(version) = &filter.agent_version {
        params.push(version.clone().into());
        let _ = write!(sql, " AND a.agent_version = ${}", params.len());
    }
    let mut custom = Vec::new();
    for condition in &filter.custom_values {
        let target = match condition.scope {
            CustomFieldScope::Agent => "a.id",
            CustomFieldScope::Site => "a.site_id",
            CustomFieldScope::Client => "a.client_id",
        };
        params.push(condition.field_id.to_string().into());
        params.push(condition.value.clone().into());
        let (field, value) = (params.len() - 1, params.len());
        custom.push(format!(
            "EXISTS (SELECT 1 FROM custom_field_values v WHERE v.field_id = ${field} \
             AND v.target_id = {target} AND LOWER(v.value) = LOWER(${value}))"
        ));
    }
    if !custom.is_empty() {
        let _ = write!(sql, " AND ({})", custom.join(" OR "));
    }
    (sql, params)
}

/// What the open-alerts order sorts by inside the page's id query (a join
/// with the organization's unresolved alerts counted per agent, see
/// [`order_joins`]).
const OPEN_ALERTS_KEY: &str = "COALESCE(oa.n, 0)";

/// `ORDER BY` of the agent list, with `open_alerts` as the key of that order.
/// The hostname order, ascending or not, is read from the list's index; every
/// other order sorts the organization's matching agents (see
/// docs/benchmarks.md), with empty values last either way and the hostname
/// and id breaking ties.
fn agent_order(order: AgentOrder, open_alerts: &str) -> String {
    let dir = |descending: bool| if descending { "DESC" } else { "ASC" };
    let forward = dir(order.descending);
    if order.sort == AgentSort::Hostname {
        return format!("LOWER(a.hostname) {forward}, a.id {forward}");
    }
    let keys: &[&str] = match order.sort {
        AgentSort::Hostname => unreachable!("answered above"),
        AgentSort::Alias => &["LOWER(a.alias)"],
        AgentSort::Client => &["LOWER(c.name)"],
        AgentSort::Site => &["LOWER(s.name)", "LOWER(c.name)"],
        AgentSort::Status => &["a.online"],
        AgentSort::Os => &["a.os_family", "LOWER(a.os_name)", "a.os_version"],
        AgentSort::AgentVersion => &["a.agent_version"],
        AgentSort::LastSeen => &["a.last_seen"],
        AgentSort::Uptime => &["a.booted_at"],
        AgentSort::Cpu => &["a.cpu_percent"],
        AgentSort::Memory => {
            &["CAST(a.memory_used_bytes AS DOUBLE PRECISION) / NULLIF(a.memory_total_bytes, 0)"]
        }
        AgentSort::Disk => &["a.disk_used_percent"],
        AgentSort::PublicIp => &["a.public_ip"],
        AgentSort::LocalIp => &["a.local_ip"],
        AgentSort::Serial => &["LOWER(a.serial_number)"],
        AgentSort::User => &["LOWER(a.logged_in_users)"],
        AgentSort::OpenAlerts => &[open_alerts],
        AgentSort::EnrolledAt => &["a.enrolled_at"],
    };
    // The longest uptime is the earliest boot.
    let key_dir = dir(order.descending != (order.sort == AgentSort::Uptime));
    let mut sql = keys
        .iter()
        .map(|key| format!("{key} {key_dir} NULLS LAST"))
        .collect::<Vec<_>>()
        .join(", ");
    sql.push_str(", LOWER(a.hostname), a.id");
    sql
}

/// The joins the page's id query needs for its order (none for most: the
/// narrow query then reads the agents' rows or the list's index alone).
fn order_joins(sort: AgentSort) -> &'static str {
    match sort {
        AgentSort::Client | AgentSort::Site => {
            "JOIN sites s ON s.id = a.site_id JOIN clients c ON c.id = a.client_id"
        }
        AgentSort::OpenAlerts => {
            "LEFT JOIN (SELECT agent_id, COUNT(*) AS n FROM alerts \
             WHERE organization_id = $1 AND status <> 'resolved' AND agent_id IS NOT NULL \
             GROUP BY agent_id) oa ON oa.agent_id = a.id"
        }
        _ => "",
    }
}

/// `%"tag"%` with LIKE wildcards in the tag escaped (used with `ESCAPE '\'`).
fn tag_pattern(tag: &str) -> String {
    let mut pattern = String::with_capacity(tag.len() + 4);
    pattern.push_str("%\"");
    for ch in tag.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push_str("\"%");
    pattern
}

/// Ids per lookup query (well under both backends' limits on binds).
const LOOKUP_CHUNK: usize = 1000;

/// `(id, column)` of the organization's agents among `ids` (a text column
/// named by the caller, never by input), asked in chunks of [`LOOKUP_CHUNK`].
async fn agent_column<DB: SqlDatabase>(
    pool: &Pool<DB>,
    org: OrganizationId,
    ids: &[AgentId],
    column: &'static str,
) -> StoreResult<Vec<(String, String)>>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let placeholders = (2..chunk.len() + 2)
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT id, {column} FROM agents WHERE organization_id = $1 AND id IN ({placeholders})"
        );
        let mut query = sqlx::query_as::<DB, (String, String)>(&sql).bind(org.to_string());
        for id in chunk {
            query = query.bind(id.to_string());
        }
        found.extend(query.fetch_all(pool).await?);
    }
    Ok(found)
}

/// Agents per presence transaction: about a millisecond of the writer each.
const PRESENCE_CHUNK: usize = 100;

#[async_trait]
impl<DB: SqlDatabase> AgentStore for SqlStore<DB>
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
    async fn enroll_agent(&self, new: NewAgent) -> StoreResult<AgentId> {
        let facts = &new.facts;
        let id = AgentId::new();
        sqlx::query(
            "INSERT INTO agents (id, organization_id, client_id, site_id, device_id, secret_hash, \
             hostname, os_family, os_name, os_version, os_kernel, arch, agent_version, public_ip, \
             serial_number, enrolled_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(id.to_string())
        .bind(new.organization_id.to_string())
        .bind(new.client_id.to_string())
        .bind(new.site_id.to_string())
        .bind(&new.device_id)
        .bind(&new.secret_hash)
        .bind(&facts.hostname)
        .bind(&facts.os.family)
        .bind(&facts.os.name)
        .bind(&facts.os.version)
        .bind(&facts.os.kernel)
        .bind(&facts.arch)
        .bind(&facts.agent_version)
        .bind(&facts.public_ip)
        .bind(&facts.serial_number)
        .bind(millis(new.enrolled_at))
        .execute(&self.write)
        .await
        .map_err(|e| unique_violation_to_conflict(e, "the device already has an agent"))?;
        Ok(id)
    }

    async fn get_agent_credentials(&self, id: AgentId) -> StoreResult<Option<AgentCredentials>> {
        let row: Option<CredentialsRow> =
            sqlx::query_as(&format!("{CREDENTIALS_SELECT} WHERE a.id = $1"))
                .bind(id.to_string())
                .fetch_optional(&self.read)
                .await?;
        row.map(CredentialsRow::into_credentials).transpose()
    }

    async fn update_agent_facts(&self, id: AgentId, facts: &AgentFacts) -> StoreResult<()> {
        sqlx::query(
            // Unchanged facts (the usual reconnect) write nothing: a fleet reconnecting
            // together would otherwise queue one write per agent.
            "UPDATE agents SET hostname = $1, os_family = $2, os_name = $3, os_version = $4, os_kernel = $5, \
             arch = $6, agent_version = $7, public_ip = $8, serial_number = $10 WHERE id = $9 \
             AND (hostname IS DISTINCT FROM $1 OR os_family IS DISTINCT FROM $2 OR os_name IS DISTINCT FROM $3 \
             OR os_version IS DISTINCT FROM $4 OR os_kernel IS DISTINCT FROM $5 OR arch IS DISTINCT FROM $6 \
             OR agent_version IS DISTINCT FROM $7 OR public_ip IS DISTINCT FROM $8 \
             OR serial_number IS DISTINCT FROM $10)",
        )
        .bind(&facts.hostname)
        .bind(&facts.os.family)
        .bind(&facts.os.name)
        .bind(&facts.os.version)
        .bind(&facts.os.kernel)
        .bind(&facts.arch)
        .bind(&facts.agent_version)
        .bind(&facts.public_ip)
        .bind(id.to_string())
        .bind(&facts.serial_number)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn set_agent_interfaces(
        &self,
        id: AgentId,
        interfaces: &[NetworkInterface],
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE agents SET interfaces = $1, local_ip = $3 \
             WHERE id = $2 AND interfaces IS DISTINCT FROM $1",
        )
        .bind(to_json(&interfaces)?)
        .bind(id.to_string())
        .bind(gururmm_protocol::primary_local_address(interfaces))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn list_agents(
        &self,
        org: OrganizationId,
        filter: &AgentFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Agent>> {
        // Two steps: the page's ids are sorted in a narrow query (the keys
        // and ids of the matching agents only), then only the page's rows are
        // read whole, with their names and open alerts. Sorting whole rows
        // made PostgreSQL spill 10,000 of them to disk and count every
        // agent's alerts, 140 ms a page instead of 30.
        let joins = order_joins(filter.order.sort);
        let inner_order = agent_order(filter.order, OPEN_ALERTS_KEY);
        let outer_order = agent_order(filter.order, "open_alerts");
        let (filter, params) = agent_filter(org, filter, query.search.as_deref());
        let next = params.len() + 1;
        let rows_sql = format!(
            "{AGENT_SELECT} WHERE a.id IN (SELECT a.id FROM agents a {joins} {filter} \
             ORDER BY {inner_order} LIMIT ${next} OFFSET ${}) ORDER BY {outer_order}",
            next + 1
        );
        let count_sql = format!("SELECT COUNT(*) FROM agents a {filter}");
        self.page_of(&rows_sql, &count_sql, params, query, AgentRow::into_agent)
            .await
    }

    async fn agent_hostnames(
        &self,
        org: OrganizationId,
        ids: &[AgentId],
    ) -> StoreResult<Vec<(AgentId, String)>> {
        agent_column(&self.read, org, ids, "hostname")
            .await?
            .into_iter()
            .map(|(id, hostname)| Ok((parse_id(&id)?, hostname)))
            .collect()
    }

    async fn agent_clients(
        &self,
        org: OrganizationId,
        ids: &[AgentId],
    ) -> StoreResult<HashMap<AgentId, ClientId>> {
        agent_column(&self.read, org, ids, "client_id")
            .await?
            .into_iter()
            .map(|(id, client)| Ok((parse_id(&id)?, parse_id(&client)?)))
            .collect()
    }

    async fn agent_ids(
        &self,
        org: OrganizationId,
        filter: &AgentFilter,
        limit: i64,
    ) -> StoreResult<Vec<AgentId>> {
        let (filter, params) = agent_filter(org, filter, None);
        let sql = format!(
            "SELECT a.id FROM agents a {filter} ORDER BY LOWER(a.hostname), a.id LIMIT ${}",
            params.len() + 1
        );
        let mut ids = sqlx::query_scalar::<DB, String>(&sql);
        for param in params {
            ids = match param {
                Param::Text(value) => ids.bind(value),
                Param::Bool(value) => ids.bind(value),
            };
        }
        let rows = ids.bind(limit).fetch_all(&self.read).await?;
        rows.iter().map(|id| parse_id(id)).collect()
    }

    async fn agent_facets(
        &self,
        org: OrganizationId,
        clients: Option<&[ClientId]>,
    ) -> StoreResult<AgentFacets> {
        let scope = clients_clause("client_id", clients);
        let counted = |column: &str| {
            format!(
                "SELECT {column}, COUNT(*) FROM agents WHERE organization_id = $1{scope} \
                 GROUP BY {column} ORDER BY COUNT(*) DESC, {column}"
            )
        };
        let os_families = sqlx::query_as::<DB, (String, i64)>(&counted("os_family"))
            .bind(org.to_string())
            .fetch_all(&self.read)
            .await?;
        let agent_versions = sqlx::query_as::<DB, (String, i64)>(&counted("agent_version"))
            .bind(org.to_string())
            .fetch_all(&self.read)
            .await?;
        // Tags are a JSON array per agent: the distinct sets are few, and are
        // counted here rather than in each backend's JSON functions.
        let sets = sqlx::query_as::<DB, (String, i64)>(&counted("tags"))
            .bind(org.to_string())
            .fetch_all(&self.read)
            .await?;
        let mut tags: std::collections::BTreeMap<String, i64> = Default::default();
        for (set, agents) in sets {
            for tag in from_json::<Vec<String>>(&set, "agents.tags")? {
                *tags.entry(tag).or_default() += agents;
            }
        }
        let mut tags: Vec<(String, i64)> = tags.into_iter().collect();
        tags.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(AgentFacets {
            os_families,
            agent_versions,
            tags,
        })
    }

    async fn get_agent(&self, org: OrganizationId, id: AgentId) -> StoreResult<AgentDetail> {
        let row: Option<AgentRow> = sqlx::query_as(&format!(
            "{AGENT_SELECT} WHERE a.organization_id = $1 AND a.id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        let agent = row.ok_or(StoreError::NotFound)?.into_agent()?;
        let (device_id, interfaces, latest_sample, notes): (
            String,
            String,
            Option<String>,
            Option<String>,
        ) = sqlx::query_as(
            "SELECT device_id, interfaces, \
             (SELECT sample FROM agent_latest_samples WHERE agent_id = agents.id), \
             (SELECT notes FROM agent_notes WHERE agent_id = agents.id) \
             FROM agents WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_one(&self.read)
        .await?;
        Ok(AgentDetail {
            agent,
            notes: notes.unwrap_or_default(),
            device_id,
            interfaces: from_json(&interfaces, "agents.interfaces")?,
            latest_sample: latest_sample
                .map(|sample| from_json(&sample, "agent_latest_samples.sample"))
                .transpose()?,
        })
    }

    async fn update_agent(
        &self,
        org: OrganizationId,
        id: AgentId,
        update: &AgentUpdate,
    ) -> StoreResult<AgentDetail> {
        // A move to another client moves its software names' counts.
        let _inventory_file = match update.site_id {
            Some(_) => self.quiet_inventory().await?,
            None => None,
        };
        let mut tx = self.write.begin().await?;
        let found: Option<String> =
            sqlx::query_scalar("SELECT id FROM agents WHERE organization_id = $1 AND id = $2")
                .bind(org.to_string())
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        if found.is_none() {
            return Err(StoreError::NotFound);
        }
        if let Some(alias) = &update.alias {
            sqlx::query("UPDATE agents SET alias = $3 WHERE organization_id = $1 AND id = $2")
                .bind(org.to_string())
                .bind(id.to_string())
                .bind(alias.as_deref())
                .execute(&mut *tx)
                .await?;
        }
        if let Some(tags) = &update.tags {
            sqlx::query("UPDATE agents SET tags = $3 WHERE organization_id = $1 AND id = $2")
                .bind(org.to_string())
                .bind(id.to_string())
                .bind(to_json(tags)?)
                .execute(&mut *tx)
                .await?;
        }
        match update.notes.as_deref() {
            None => {}
            Some("") => {
                sqlx::query("DELETE FROM agent_notes WHERE agent_id = $1")
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            Some(notes) => {
                sqlx::query(
                    "INSERT INTO agent_notes (agent_id, notes) VALUES ($1, $2) \
                     ON CONFLICT (agent_id) DO UPDATE SET notes = excluded.notes",
                )
                .bind(id.to_string())
                .bind(notes)
                .execute(&mut *tx)
                .await?;
            }
        }
        if let Some(site) = update.site_id {
            // An agent moved to another client takes its software names'
            // counts along (the fleet software summary is by client).
            let clients: Option<(String, String)> = sqlx::query_as(
                "SELECT a.client_id, s.client_id FROM agents a JOIN sites s \
                 ON s.organization_id = a.organization_id AND s.id = $3 \
                 WHERE a.organization_id = $1 AND a.id = $2",
            )
            .bind(org.to_string())
            .bind(id.to_string())
            .bind(site.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            let other_client = clients.is_some_and(|(from, to)| from != to);
            if other_client {
                super::software_names::count_agent_names(&mut tx, &id.to_string(), -1).await?;
            }
            // The site names its client; a site of another organization matches nothing.
            let moved = sqlx::query(
                "UPDATE agents SET site_id = $3, \
                 client_id = (SELECT s.client_id FROM sites s WHERE s.organization_id = $1 AND s.id = $3) \
                 WHERE organization_id = $1 AND id = $2 \
                 AND EXISTS (SELECT 1 FROM sites s WHERE s.organization_id = $1 AND s.id = $3)",
            )
            .bind(org.to_string())
            .bind(id.to_string())
            .bind(site.to_string())
            .execute(&mut *tx)
            .await
            // The site was deleted while this ran (PostgreSQL checks the key at the write).
            .map_err(missing_reference_to_not_found)?
            .rows_affected();
            if moved == 0 {
                return Err(StoreError::NotFound);
            }
            if other_client {
                super::software_names::count_agent_names(&mut tx, &id.to_string(), 1).await?;
            }
            // Problems still open are the agent's where it now is (the overview
            // counts them by client); resolved ones stay where they happened.
            sqlx::query(
                "UPDATE alerts SET site_id = $3, \
                 client_id = (SELECT a.client_id FROM agents a WHERE a.id = $2) \
                 WHERE organization_id = $1 AND agent_id = $2 AND status <> 'resolved'",
            )
            .bind(org.to_string())
            .bind(id.to_string())
            .bind(site.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.get_agent(org, id).await
    }

    async fn delete_agent(
        &self,
        org: OrganizationId,
        id: AgentId,
        deleted_by_email: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<CommandRecord>> {
        let _inventory_file = self.quiet_inventory().await?;
        let mut tx = self.write.begin().await?;
        // The tombstone first: it copies the names the history is read with.
        let kept = sqlx::query(
            "INSERT INTO deleted_agents (id, organization_id, hostname, client_name, site_name, os_name, \
             enrolled_at, deleted_at, deleted_by_email) \
             SELECT a.id, a.organization_id, a.hostname, c.name, s.name, a.os_name, a.enrolled_at, $3, $4 \
             FROM agents a JOIN sites s ON s.id = a.site_id JOIN clients c ON c.id = a.client_id \
             WHERE a.organization_id = $1 AND a.id = $2",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(millis(now))
        .bind(deleted_by_email)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if kept == 0 {
            return Err(StoreError::NotFound);
        }
        // What it was still to run or running will never report.
        let ended: Vec<CommandRow> = sqlx::query_as(&format!(
            "UPDATE commands SET status = 'interrupted', error = 'the agent was deleted', finished_at = $1 \
             WHERE agent_id = $2 AND status IN ('queued', 'running') \
             RETURNING {COMMAND_COLUMNS}, '' AS stdout, '' AS stderr"
        ))
        .bind(millis(now))
        .bind(id.to_string())
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM agent_events WHERE organization_id = $1 AND agent_id = $2")
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        // Its policy assignment, maintenance windows and custom field values
        // go; its alerts end (resolved by whoever deleted it) and stay in the history.
        for scoped in [
            "policy_assignments",
            "maintenance_windows",
            "custom_field_values",
        ] {
            sqlx::query(&format!(
                "DELETE FROM {scoped} WHERE organization_id = $1 AND target_id = $2"
            ))
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE alerts SET status = 'resolved', resolved_at = $3, resolved_by_email = $4 \
             WHERE organization_id = $1 AND agent_id = $2 AND status <> 'resolved'",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(millis(now))
        .bind(deleted_by_email)
        .execute(&mut *tx)
        .await?;
        // Its software names stop counting and its inventory goes (SQLite
        // keeps the inventory in a file of its own, where no foreign key
        // reaches the agents; its software rows follow its key); its secret,
        // samples and waiting re-enrollments go with the row.
        super::inventory::forget_agent_inventory(&mut tx, &id.to_string()).await?;
        sqlx::query("DELETE FROM agents WHERE organization_id = $1 AND id = $2")
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        command_rows(ended)
    }

    async fn record_agent_event(&self, event: NewAgentEvent) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO agent_events (organization_id, agent_id, kind, message, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(event.organization_id.to_string())
        .bind(event.agent_id.to_string())
        .bind(&event.kind)
        .bind(&event.message)
        .bind(millis(event.created_at))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn list_agent_events(
        &self,
        org: OrganizationId,
        id: AgentId,
        limit: i64,
    ) -> StoreResult<Vec<AgentEvent>> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT kind, message, created_at FROM agent_events WHERE organization_id = $1 AND agent_id = $2 \
             ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(kind, message, at)| AgentEvent {
                kind,
                message,
                created_at: from_millis(at),
            })
            .collect())
    }

    async fn delete_agent_events_before(&self, cutoff: DateTime<Utc>) -> StoreResult<u64> {
        Ok(
            sqlx::query("DELETE FROM agent_events WHERE created_at < $1")
                .bind(millis(cutoff))
                .execute(&self.write)
                .await?
                .rows_affected(),
        )
    }

    async fn offline_agents(&self, before: DateTime<Utc>) -> StoreResult<Vec<OfflineAgent>> {
        let rows: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
            "SELECT id, organization_id, client_id, site_id, hostname, last_seen FROM agents \
             WHERE online = FALSE AND last_seen < $1",
        )
        .bind(millis(before))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(id, org, client, site, hostname, last_seen)| {
                Ok(OfflineAgent {
                    placement: PlacementRow {
                        id,
                        organization_id: org,
                        client_id: client,
                        site_id: site,
                    }
                    .into_placement()?,
                    hostname,
                    last_seen: from_millis(last_seen),
                })
            })
            .collect()
    }

    async fn write_presence(&self, updates: &[PresenceUpdate]) -> StoreResult<()> {
        // Short transactions, so a large flush (a fleet reconnecting) never holds
        // the one writer long and a command's write waits at most one chunk.
        for chunk in updates.chunks(PRESENCE_CHUNK) {
            let values = values_list::<DB>(chunk.len(), 3);
            // Most updates only refresh the last-seen time: setting that column
            // alone leaves the indexes untouched (`online` is in the list's index,
            // which every row that sets it rewrites, changed or not).
            let seen = format!(
                "WITH v (id, online, seen) AS ({values}) \
                 UPDATE agents SET last_seen = v.seen FROM v WHERE agents.id = v.id"
            );
            let online = format!(
                "WITH v (id, online, seen) AS ({values}) \
                 UPDATE agents SET online = v.online FROM v WHERE agents.id = v.id AND agents.online <> v.online"
            );
            let mut tx = self.write.begin().await?;
            for sql in [&seen, &online] {
                let mut query = sqlx::query(sql);
                for update in chunk {
                    query = query
                        .bind(update.agent_id.to_string())
                        .bind(update.online)
                        .bind(millis(update.last_seen));
                }
                query.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    async fn mark_all_agents_offline(&self) -> StoreResult<()> {
        sqlx::query("UPDATE agents SET online = FALSE WHERE online = TRUE")
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
