//! Custom fields: defined per organization and scope (keys and names unique
//! per scope), values per client, site or agent, a choice list that cannot
//! drop a choice in use, values reaching agents from their site and client,
//! the agent list's filter, and values gone with their field or target.

use crate::{on_every_backend, Tenants};
use chrono::Utc;
use gururmm_protocol::OrganizationId;
use gururmm_store::*;
use std::sync::Arc;

fn new_field(
    org: OrganizationId,
    scope: CustomFieldScope,
    key: &str,
    kind: CustomFieldKind,
    choices: &[&str],
) -> NewCustomField {
    NewCustomField {
        organization_id: org,
        scope,
        key: key.into(),
        name: key.replace('_', " "),
        kind,
        choices: choices.iter().map(|c| c.to_string()).collect(),
    }
}

#[tokio::test]
async fn custom_fields_and_their_values_are_the_organizations() {
    on_every_backend(|store: Arc<dyn Store>| async move {
        let tenants = Tenants::create(store.as_ref()).await;
        let (org, other) = (tenants.org.id, tenants.other_org.id);
        use CustomFieldKind::*;
        use CustomFieldScope::*;
        let create = |field: NewCustomField| {
            let store = store.clone();
            async move { store.create_custom_field(field, 5).await }
        };
        let asset = create(new_field(org, Agent, "asset_tag", Text, &[]))
            .await
            .unwrap();
        let path_agent = create(new_field(org, Agent, "backup_path", Text, &[]))
            .await
            .unwrap();
        let path_site = create(new_field(org, Site, "backup_path", Text, &[]))
            .await
            .unwrap();
        let tier = create(new_field(org, Client, "tier", Choice, &["Gold", "Silver"]))
            .await
            .unwrap();
        assert_eq!(
            (tier.kind, tier.choices.clone()),
            (Choice, vec!["Gold".into(), "Silver".into()])
        );
        assert!(asset.choices.is_empty());

        // Keys and names are unique per scope; the limit counts every scope.
        for (field, message) in [
            (
                new_field(org, Agent, "asset_tag", Number, &[]),
                "key: there is a agent field with the key \"asset_tag\" already",
            ),
            (
                NewCustomField {
                    name: "ASSET TAG".into(),
                    ..new_field(org, Agent, "other", Text, &[])
                },
                "name: there is a agent field named \"ASSET TAG\" already",
            ),
        ] {
            match create(field).await {
                Err(StoreError::Conflict(refused)) => assert_eq!(refused, message),
                other => panic!("{other:?}"),
            }
        }
        create(new_field(org, Site, "asset_tag", Text, &[]))
            .await
            .unwrap();
        assert!(matches!(
            create(new_field(org, Site, "one_too_many", Text, &[])).await,
            Err(StoreError::Conflict(_))
        ));
        // Another organization has its own.
        create(new_field(other, Agent, "asset_tag", Text, &[]))
            .await
            .unwrap();

        let listed = store.list_custom_fields(org, None).await.unwrap();
        let scopes: Vec<(CustomFieldScope, &str)> =
            listed.iter().map(|f| (f.scope, f.key.as_str())).collect();
        assert_eq!(
            scopes,
            [
                (Client, "tier"),
                (Site, "asset_tag"),
                (Site, "backup_path"),
                (Agent, "asset_tag"),
                (Agent, "backup_path")
            ]
        );
        assert_eq!(
            store.list_custom_fields(org, Some(Client)).await.unwrap(),
            vec![tier.clone()]
        );
        assert!(matches!(
            store.get_custom_field(other, tier.id).await,
            Err(StoreError::NotFound)
        ));

        // Values per target; another organization's target is not found.
        let agent = store
            .enroll_agent(tenants.new_agent("dev-1", "web-01"))
            .await
            .unwrap();
        let second = store
            .enroll_agent(tenants.new_agent("dev-2", "db-01"))
            .await
            .unwrap();
        store
            .set_custom_values(
                org,
                Agent,
                agent.0,
                &[
                    (asset.id, Some("A-1".into())),
                    (path_agent.id, Some("/agent".into())),
                ],
            )
            .await
            .unwrap();
        store
            .set_custom_values(
                org,
                Site,
                tenants.site.id.0,
                &[(path_site.id, Some("/site".into()))],
            )
            .await
            .unwrap();
        store
            .set_custom_values(
                org,
                Client,
                tenants.acme.id.0,
                &[(tier.id, Some("Gold".into()))],
            )
            .await
            .unwrap();
        let values = store.custom_values(org, Agent, agent.0).await.unwrap();
        let shown: Vec<(&str, Option<&str>)> = values
            .iter()
            .map(|(f, v)| (f.key.as_str(), v.as_deref()))
            .collect();
        assert_eq!(
            shown,
            [("asset_tag", Some("A-1")), ("backup_path", Some("/agent"))]
        );
        assert!(matches!(
            store.custom_values(other, Agent, agent.0).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store
                .set_custom_values(other, Agent, agent.0, &[(asset.id, Some("x".into()))])
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(
            matches!(
                store
                    .set_custom_values(
                        org,
                        Site,
                        tenants.site.id.0,
                        &[(asset.id, Some("x".into()))]
                    )
                    .await,
                Err(StoreError::NotFound)
            ),
            "an agent field is not a site's"
        );
        assert!(
            matches!(
                store
                    .set_custom_values(
                        org,
                        Client,
                        tenants.acme.id.0,
                        &[(tier.id, Some("Bronze".into()))]
                    )
                    .await,
                Err(StoreError::Conflict(_))
            ),
            "a choice that is not one"
        );

        // What reaches each agent: its own, its site's, its client's.
        let keys = [
            "backup_path".to_string(),
            "tier".to_string(),
            "nothing".to_string(),
        ];
        let mut reaching = store
            .agent_custom_values(org, &[agent, second], &keys)
            .await
            .unwrap();
        reaching.sort_by(|a, b| {
            (a.agent_id == agent, &a.key, a.scope).cmp(&(b.agent_id == agent, &b.key, b.scope))
        });
        let seen: Vec<(bool, &str, CustomFieldScope, &str)> = reaching
            .iter()
            .map(|v| {
                (
                    v.agent_id == agent,
                    v.key.as_str(),
                    v.scope,
                    v.value.as_str(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (false, "backup_path", Site, "/site"),
                (false, "tier", Client, "Gold"),
                (true, "backup_path", Site, "/site"),
                (true, "backup_path", Agent, "/agent"),
                (true, "tier", Client, "Gold"),
            ]
        );
        assert!(store
            .agent_custom_values(other, &[agent], &keys)
            .await
            .unwrap()
            .is_empty());

        // The agent list's filter, by an agent, a site and a client field, without regard to case.
        let hosts = |condition: CustomValueMatch| {
            let store = store.clone();
            async move {
                let filter = AgentFilter {
                    custom_values: vec![condition],
                    ..Default::default()
                };
                let page = store
                    .list_agents(org, &filter, &ListQuery::default())
                    .await
                    .unwrap();
                page.items
                    .into_iter()
                    .map(|a| a.hostname)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            hosts(CustomValueMatch {
                field_id: asset.id,
                scope: Agent,
                value: "a-1".into()
            })
            .await,
            ["web-01"]
        );
        assert_eq!(
            hosts(CustomValueMatch {
                field_id: path_site.id,
                scope: Site,
                value: "/SITE".into()
            })
            .await,
            ["db-01", "web-01"]
        );
        assert_eq!(
            hosts(CustomValueMatch {
                field_id: tier.id,
                scope: Client,
                value: "gold".into()
            })
            .await,
            ["db-01", "web-01"]
        );
        assert!(hosts(CustomValueMatch {
            field_id: tier.id,
            scope: Client,
            value: "Silver".into()
        })
        .await
        .is_empty());

        // A choice in use cannot be dropped; renaming and adding choices can.
        match store
            .update_custom_field(org, tier.id, "Tier", &["Silver".into()])
            .await
        {
            Err(StoreError::Conflict(message)) => {
                assert!(message.contains("1 value(s)"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        let renamed = store
            .update_custom_field(
                org,
                tier.id,
                "Support tier",
                &["Gold".into(), "Silver".into(), "Bronze".into()],
            )
            .await
            .unwrap();
        assert_eq!(
            (
                renamed.name.as_str(),
                renamed.choices.len(),
                renamed.key.as_str()
            ),
            ("Support tier", 3, "tier")
        );
        assert!(matches!(
            store.update_custom_field(other, tier.id, "x", &[]).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store
                .update_custom_field(org, path_agent.id, "ASSET TAG", &[])
                .await,
            Err(StoreError::Conflict(_))
        ));

        // Clearing a value; deleting a field takes its values; deleting an
        // agent takes its values.
        store
            .set_custom_values(org, Agent, agent.0, &[(path_agent.id, None)])
            .await
            .unwrap();
        assert_eq!(
            store.custom_values(org, Agent, agent.0).await.unwrap()[1].1,
            None
        );
        assert!(matches!(
            store.delete_custom_field(other, path_site.id).await,
            Err(StoreError::NotFound)
        ));
        store.delete_custom_field(org, path_site.id).await.unwrap();
        assert!(store
            .agent_custom_values(org, &[second], &keys[..1])
            .await
            .unwrap()
            .is_empty());
        store
            .delete_agent(org, agent, "admin@msp.test", Utc::now())
            .await
            .unwrap();
        assert!(store
            .agent_custom_values(org, &[agent], &["asset_tag".to_string()])
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_deleted_client_or_site_takes_its_values() {
    on_every_backend(|store: Arc<dyn Store>| async move {
        let tenants = Tenants::create(store.as_ref()).await;
        let org = tenants.org.id;
        let choice = |scope, key| {
            let store = store.clone();
            async move {
                store
                    .create_custom_field(
                        new_field(org, scope, key, CustomFieldKind::Choice, &["Old", "New"]),
                        100,
                    )
                    .await
                    .unwrap()
            }
        };
        let site_field = choice(CustomFieldScope::Site, "wing").await;
        let client_field = choice(CustomFieldScope::Client, "plan").await;
        let client = store.create_client(org, "Gone Ltd").await.unwrap();
        let site = store.create_site(org, client.id, "Annex").await.unwrap();
        let lone_site = store
            .create_site(org, tenants.acme.id, "Shed")
            .await
            .unwrap();
        for (scope, target, field) in [
            (CustomFieldScope::Site, site.id.0, site_field.id),
            (CustomFieldScope::Site, lone_site.id.0, site_field.id),
            (CustomFieldScope::Client, client.id.0, client_field.id),
        ] {
            store
                .set_custom_values(org, scope, target, &[(field, Some("Old".into()))])
                .await
                .unwrap();
        }
        // While values use "Old", the choice cannot go.
        assert!(matches!(
            store
                .update_custom_field(org, site_field.id, "wing", &["New".into()])
                .await,
            Err(StoreError::Conflict(_))
        ));
        store.delete_site(org, lone_site.id).await.unwrap();
        store.delete_client(org, client.id).await.unwrap();
        // Deleting the site and the client (with its site) took their values.
        for field in [site_field.id, client_field.id] {
            store
                .update_custom_field(org, field, "renamed", &["New".into()])
                .await
                .unwrap();
        }
        assert!(matches!(
            store
                .custom_values(org, CustomFieldScope::Site, site.id.0)
                .await,
            Err(StoreError::NotFound)
        ));
    })
    .await;
}
