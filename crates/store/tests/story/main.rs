//! The whole `Store` trait as stories, one module per area, each run against
//! every available backend (SQLite always; PostgreSQL when
//! `GURURMM_TEST_DATABASE_URL` is set, which CI requires) on a fresh database.

use chrono::Utc;
use gururmm_protocol::{OrganizationId, OsInfo};
use gururmm_store::testing::TestDatabase;
use gururmm_store::*;
use std::future::Future;
use std::sync::Arc;

mod agents;
mod audit;
mod commands;
mod custom_fields;
mod database;
mod enrollment;
mod installer_links;
mod inventory_file;
mod maintenance;
mod metrics;
mod monitoring;
mod notifications;
mod rollouts;
mod scripts_and_jobs;
mod software_names;
mod tenancy;
mod users;

/// Runs `story` on a fresh database of every available backend.
async fn on_every_backend<F, Fut>(story: F)
where
    F: Fn(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    for database in TestDatabase::all().await {
        story(database.store().await).await;
    }
}

fn facts(hostname: &str) -> AgentFacts {
    AgentFacts {
        hostname: hostname.into(),
        os: OsInfo {
            family: "linux".into(),
            name: "Debian".into(),
            version: "12".into(),
            kernel: Some("6.1".into()),
        },
        arch: "x86_64".into(),
        agent_version: "0.1.0".into(),
        public_ip: None,
        serial_number: None,
    }
}

/// A technician of `org` (all clients, no custom role) signing in as `email`.
async fn technician(store: &dyn Store, org: OrganizationId, email: &str) -> User {
    store
        .create_user(NewUser {
            organization_id: org,
            email: email.into(),
            password_hash: "h".into(),
            role: Role::Technician,
            custom_role: None,
            clients: None,
        })
        .await
        .unwrap()
}

/// Where the enrollment, agent and metric stories start: two organizations,
/// and in the first a client "Acme Inc" with a site "HQ".
struct Tenants {
    org: Organization,
    other_org: Organization,
    acme: Client,
    site: Site,
}

impl Tenants {
    async fn create(store: &dyn Store) -> Self {
        let org = store.create_organization("MSP One").await.unwrap();
        let other_org = store.create_organization("MSP Two").await.unwrap();
        let acme = store.create_client(org.id, "Acme Inc").await.unwrap();
        let site = store.create_site(org.id, acme.id, "HQ").await.unwrap();
        Self {
            org,
            other_org,
            acme,
            site,
        }
    }

    /// A device of `site` enrolling with the secret `secret-of-<device>`.
    fn new_agent(&self, device: &str, host: &str) -> NewAgent {
        NewAgent {
            organization_id: self.org.id,
            client_id: self.acme.id,
            site_id: self.site.id,
            device_id: device.into(),
            secret_hash: format!("secret-of-{device}"),
            facts: facts(host),
            enrolled_at: Utc::now(),
        }
    }
}
