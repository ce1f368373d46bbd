//! The SQL of [`crate::DiscoveryStore`], with its rows (a new area's rows
//! live beside its queries).

use super::rows::{from_json, to_json};
use super::*;
use crate::discovery::*;
use crate::{DiscoveryStore, StoreError, StoreResult};
use async_trait::async_trait;
use gururmm_protocol::{AgentId, DeviceId, DiscoveryScanId, OrganizationId, SiteId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const SCAN_COLUMNS: &str =
    "id, organization_id, site_id, agent_id, agent_hostname, ranges, ports, \
     timeout_ms, rate_per_second, status, done, total, hosts_found, new_devices, missing_devices, \
     message, created_at, created_by_email, started_at, finished_at";

const DEVICE_COLUMNS: &str = "id, organization_id, site_id, ip, ip_number, mac, vendor, hostname, \
     open_ports, os_guess, name, device_type, notes, first_seen, last_seen, first_seen_scan_id, \
     last_seen_scan_id";

#[derive(sqlx::FromRow)]
struct ScanRow {
    id: String,
    organization_id: String,
    site_id: String,
    agent_id: String,
    agent_hostname: String,
    ranges: String,
    ports: String,
    timeout_ms: i64,
    rate_per_second: i64,
    status: String,
    done: i64,
    total: i64,
    hosts_found: i64,
    new_devices: i64,
    missing_devices: i64,
    message: String,
    created_at: i64,
    created_by_email: String,
    started_at: Option<i64>,
    finished_at: Option<i64>,
}

/// A count column as the model's `u32` (the server never stores more).
fn count(value: i64, column: &str) -> StoreResult<u32> {
    u32::try_from(value).map_err(|_| corrupt(format!("{column} is out of range: {value}")))
}

impl ScanRow {
    fn into_scan(self) -> StoreResult<DiscoveryScan> {
        Ok(DiscoveryScan {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            site_id: parse_id(&self.site_id)?,
            agent_id: parse_id(&self.agent_id)?,
            agent_hostname: self.agent_hostname,
            ranges: from_json(&self.ranges, "discovery_scans.ranges")?,
            ports: from_json(&self.ports, "discovery_scans.ports")?,
            timeout_ms: count(self.timeout_ms, "timeout_ms")?,
            rate_per_second: count(self.rate_per_second, "rate_per_second")?,
            status: ScanStatus::parse(&self.status)
                .ok_or_else(|| corrupt(format!("unknown scan status {}", self.status)))?,
            done: count(self.done, "done")?,
            total: count(self.total, "total")?,
            hosts_found: count(self.hosts_found, "hosts_found")?,
            new_devices: count(self.new_devices, "new_devices")?,
            missing_devices: count(self.missing_devices, "missing_devices")?,
            message: self.message,
            created_at: from_millis(self.created_at),
            created_by_email: self.created_by_email,
            started_at: self.started_at.map(from_millis),
            finished_at: self.finished_at.map(from_millis),
        })
    }
}

#[derive(sqlx::FromRow)]
struct DeviceRow {
    id: String,
    organization_id: String,
    site_id: String,
    ip: String,
    ip_number: i64,
    mac: Option<String>,
    vendor: Option<String>,
    hostname: Option<String>,
    open_ports: String,
    os_guess: Option<String>,
    name: Option<String>,
    device_type: Option<String>,
    notes: String,
    first_seen: i64,
    last_seen: i64,
    first_seen_scan_id: String,
    last_seen_scan_id: String,
}

impl DeviceRow {
    fn into_device(self) -> StoreResult<DiscoveredDevice> {
        Ok(DiscoveredDevice {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            site_id: parse_id(&self.site_id)?,
            ip: self.ip,
            ip_number: count(self.ip_number, "ip_number")?,
            mac: self.mac,
            vendor: self.vendor,
            hostname: self.hostname,
            open_ports: from_json(&self.open_ports, "discovered_devices.open_ports")?,
            os_guess: self.os_guess,
            name: self.name,
            device_type: self.device_type,
            notes: self.notes,
            first_seen: from_millis(self.first_seen),
            last_seen: from_millis(self.last_seen),
            first_seen_scan_id: parse_id(&self.first_seen_scan_id)?,
            last_seen_scan_id: parse_id(&self.last_seen_scan_id)?,
        })
    }
}

#[async_trait]
impl<DB: SqlDatabase> DiscoveryStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn site_agent_addresses(
        &self,
        org: OrganizationId,
        site: SiteId,
        limit: u32,
    ) -> StoreResult<Vec<SiteAgentAddresses>> {
        let rows: Vec<(String, String, Option<String>, String)> = sqlx::query_as(
            "SELECT id, hostname, local_ip, interfaces FROM agents \
             WHERE organization_id = $1 AND site_id = $2 ORDER BY hostname, id LIMIT $3",
        )
        .bind(org.to_string())
        .bind(site.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(id, hostname, local_ip, interfaces)| {
                Ok(SiteAgentAddresses {
                    agent_id: parse_id(&id)?,
                    hostname,
                    local_ip,
                    interfaces: from_json(&interfaces, "agents.interfaces")?,
                })
            })
            .collect()
    }

    async fn create_discovery_scan(&self, scan: NewDiscoveryScan) -> StoreResult<DiscoveryScan> {
        let org = scan.organization_id.to_string();
        let owned: Option<String> =
            sqlx::query_scalar("SELECT id FROM sites WHERE organization_id = $1 AND id = $2")
                .bind(&org)
                .bind(scan.site_id.to_string())
                .fetch_optional(&self.write)
                .await?;
        if owned.is_none() {
            return Err(StoreError::NotFound);
        }
        let id = DiscoveryScanId::new();
        sqlx::query(&format!(
            "INSERT INTO discovery_scans ({SCAN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             'queued', 0, $10, 0, 0, 0, '', $11, $12, NULL, NULL)"
        ))
        .bind(id.to_string())
        .bind(&org)
        .bind(scan.site_id.to_string())
        .bind(scan.agent_id.to_string())
        .bind(scan.agent_hostname.as_str())
        .bind(to_json(&scan.ranges)?)
        .bind(to_json(&scan.ports)?)
        .bind(i64::from(scan.timeout_ms))
        .bind(i64::from(scan.rate_per_second))
        .bind(i64::from(scan.total))
        .bind(millis(scan.created_at))
        .bind(scan.created_by_email.as_str())
        .execute(&self.write)
        .await?;
        self.get_discovery_scan_on(&self.write, &id).await
    }

    async fn get_discovery_scan(
        &self,
        org: OrganizationId,
        id: DiscoveryScanId,
    ) -> StoreResult<DiscoveryScan> {
        let scan = self.get_discovery_scan_on(&self.read, &id).await?;
        if scan.organization_id != org {
            return Err(StoreError::NotFound);
        }
        Ok(scan)
    }

    async fn list_discovery_scans(
        &self,
        org: OrganizationId,
        site: SiteId,
        limit: u32,
    ) -> StoreResult<Vec<DiscoveryScan>> {
        let rows: Vec<ScanRow> = sqlx::query_as(&format!(
            "SELECT {SCAN_COLUMNS} FROM discovery_scans WHERE organization_id = $1 AND site_id = $2 \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        ))
        .bind(org.to_string())
        .bind(site.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(ScanRow::into_scan).collect()
    }

    async fn active_discovery_scans(&self, agent: AgentId) -> StoreResult<Vec<DiscoveryScan>> {
        let rows: Vec<ScanRow> = sqlx::query_as(&format!(
            "SELECT {SCAN_COLUMNS} FROM discovery_scans WHERE agent_id = $1 \
             AND status IN ('queued', 'running') ORDER BY created_at"
        ))
        .bind(agent.to_string())
        // A read at every agent's connect: on the readers, so a fleet
        // reconnecting at once does not queue on SQLite's one writer.
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(ScanRow::into_scan).collect()
    }

    async fn start_discovery_scan(
        &self,
        id: DiscoveryScanId,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE discovery_scans SET status = 'running', started_at = $2 \
             WHERE id = $1 AND status = 'queued'",
        )
        .bind(id.to_string())
        .bind(millis(at))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn record_discovery_progress(
        &self,
        id: DiscoveryScanId,
        done: u32,
        sightings: &[Sighting],
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let scan_id = id.to_string();
        let mut tx = self.write.begin().await?;
        let scan: Option<(String, String, String)> = sqlx::query_as(
            "SELECT organization_id, site_id, status FROM discovery_scans WHERE id = $1",
        )
        .bind(&scan_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((org, site, status)) = scan else {
            return Ok(false);
        };
        if !ScanStatus::parse(&status).is_some_and(ScanStatus::is_active) {
            return Ok(false);
        }
        let now = millis(at);
        for sighting in sightings {
            sqlx::query(&format!(
                "INSERT INTO discovered_devices ({DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, \
                 $8, $9, $10, NULL, NULL, '', $11, $11, $12, $12) \
                 ON CONFLICT (site_id, ip_number) DO UPDATE SET \
                 mac = COALESCE(excluded.mac, discovered_devices.mac), \
                 vendor = COALESCE(excluded.vendor, discovered_devices.vendor), \
                 hostname = COALESCE(excluded.hostname, discovered_devices.hostname), \
                 open_ports = excluded.open_ports, os_guess = excluded.os_guess, \
                 last_seen = excluded.last_seen, last_seen_scan_id = excluded.last_seen_scan_id"
            ))
            .bind(DeviceId::new().to_string())
            .bind(&org)
            .bind(&site)
            .bind(sighting.ip.to_string())
            .bind(i64::from(u32::from(sighting.ip)))
            .bind(sighting.mac.as_deref())
            .bind(sighting.vendor.as_deref())
            .bind(sighting.hostname.as_deref())
            .bind(to_json(&sighting.open_ports)?)
            .bind(sighting.os_guess.as_deref())
            .bind(now)
            .bind(&scan_id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE discovery_scans SET status = 'running', \
             started_at = COALESCE(started_at, $3), \
             done = CASE WHEN done < $2 THEN $2 ELSE done END, \
             hosts_found = (SELECT COUNT(*) FROM discovered_devices WHERE last_seen_scan_id = $1) \
             WHERE id = $1",
        )
        .bind(&scan_id)
        .bind(i64::from(done))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn finish_discovery_scan(
        &self,
        id: DiscoveryScanId,
        status: ScanStatus,
        message: &str,
        at: DateTime<Utc>,
        in_ranges: &(dyn Fn(u32) -> bool + Sync),
    ) -> StoreResult<bool> {
        if status.is_active() {
            return Err(StoreError::Conflict(format!(
                "a scan cannot finish as {}",
                status.as_str()
            )));
        }
        let scan_id = id.to_string();
        let mut tx = self.write.begin().await?;
        let scan: Option<(String, String)> =
            sqlx::query_as("SELECT site_id, status FROM discovery_scans WHERE id = $1")
                .bind(&scan_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((site, current)) = scan else {
            return Err(StoreError::NotFound);
        };
        if !ScanStatus::parse(&current).is_some_and(ScanStatus::is_active) {
            return Ok(false);
        }
        let (mut new_devices, mut missing_devices) = (0i64, 0i64);
        if status == ScanStatus::Completed {
            let devices: Vec<(i64, String, String)> = sqlx::query_as(
                "SELECT ip_number, first_seen_scan_id, last_seen_scan_id FROM discovered_devices \
                 WHERE site_id = $1",
            )
            .bind(&site)
            .fetch_all(&mut *tx)
            .await?;
            for (ip, first, last) in devices {
                if first == scan_id {
                    new_devices += 1;
                }
                if last != scan_id && u32::try_from(ip).is_ok_and(in_ranges) {
                    missing_devices += 1;
                }
            }
        }
        sqlx::query(
            "UPDATE discovery_scans SET status = $2, message = $3, finished_at = $4, \
             done = CASE WHEN $2 = 'completed' THEN total ELSE done END, \
             new_devices = $5, missing_devices = $6 WHERE id = $1",
        )
        .bind(&scan_id)
        .bind(status.as_str())
        .bind(message)
        .bind(millis(at))
        .bind(new_devices)
        .bind(missing_devices)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn list_discovered_devices(
        &self,
        org: OrganizationId,
        site: SiteId,
    ) -> StoreResult<Vec<DiscoveredDevice>> {
        let rows: Vec<DeviceRow> = sqlx::query_as(&format!(
            "SELECT {DEVICE_COLUMNS} FROM discovered_devices WHERE organization_id = $1 \
             AND site_id = $2 ORDER BY ip_number"
        ))
        .bind(org.to_string())
        .bind(site.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(DeviceRow::into_device).collect()
    }

    async fn get_discovered_device(
        &self,
        org: OrganizationId,
        id: DeviceId,
    ) -> StoreResult<DiscoveredDevice> {
        self.get_device_on(&self.read, org, id).await
    }

    async fn update_discovered_device(
        &self,
        org: OrganizationId,
        id: DeviceId,
        patch: &DevicePatch,
    ) -> StoreResult<DiscoveredDevice> {
        let current = self.get_device_on(&self.write, org, id).await?;
        let name = patch.name.clone().unwrap_or(current.name);
        let device_type = patch.device_type.clone().unwrap_or(current.device_type);
        let notes = patch.notes.clone().unwrap_or(current.notes);
        sqlx::query(
            "UPDATE discovered_devices SET name = $3, device_type = $4, notes = $5 \
             WHERE organization_id = $1 AND id = $2",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(name.as_deref())
        .bind(device_type.as_deref())
        .bind(notes.as_str())
        .execute(&self.write)
        .await?;
        self.get_device_on(&self.write, org, id).await
    }

    async fn delete_discovered_device(&self, org: OrganizationId, id: DeviceId) -> StoreResult<()> {
        let deleted =
            sqlx::query("DELETE FROM discovered_devices WHERE organization_id = $1 AND id = $2")
                .bind(org.to_string())
                .bind(id.to_string())
                .execute(&self.write)
                .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

impl<DB: SqlDatabase> SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: ColumnIndex<DB::Row>,
    for<'q> i64: Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn get_discovery_scan_on(
        &self,
        pool: &sqlx::Pool<DB>,
        id: &DiscoveryScanId,
    ) -> StoreResult<DiscoveryScan> {
        let row: Option<ScanRow> = sqlx::query_as(&format!(
            "SELECT {SCAN_COLUMNS} FROM discovery_scans WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(pool)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_scan()
    }

    async fn get_device_on(
        &self,
        pool: &sqlx::Pool<DB>,
        org: OrganizationId,
        id: DeviceId,
    ) -> StoreResult<DiscoveredDevice> {
        let row: Option<DeviceRow> = sqlx::query_as(&format!(
            "SELECT {DEVICE_COLUMNS} FROM discovered_devices WHERE organization_id = $1 AND id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(pool)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_device()
    }
}
